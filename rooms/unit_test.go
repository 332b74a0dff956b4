package rooms

import (
	"strings"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	now := time.Unix(1000, 0)
	l := rateLimit{interval: 5 * time.Second, now: func() time.Time { return now }}
	steps := []struct {
		advance        time.Duration
		wantOK         bool
		wantSuppressed int
	}{
		{0, true, 0},
		{time.Second, false, 0},
		{time.Second, false, 0},
		{3 * time.Second, true, 2}, // 5 s after the first: reports the two held back
		{4 * time.Second, false, 0},
		{time.Second, true, 1},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		ok, sup := l.allow()
		if ok != s.wantOK || sup != s.wantSuppressed {
			t.Fatalf("step %d: allow() = %v, %d; want %v, %d", i, ok, sup, s.wantOK, s.wantSuppressed)
		}
	}
}

func TestRoles(t *testing.T) {
	for _, r := range []Role{RoleAdvisor, RoleCitizen, RoleInterpreter, RoleGuardian, RoleCounsel} {
		if !r.Valid() || !r.Publishes() {
			t.Errorf("%s: valid %v publishes %v", r, r.Valid(), r.Publishes())
		}
	}
	if !RoleAttendee.Valid() || RoleAttendee.Publishes() {
		t.Errorf("attendee must be valid and receive-only")
	}
	if Role("king").Valid() || Role("king").Publishes() || Role("").Valid() {
		t.Errorf("unknown roles must be invalid and not publish")
	}
}

func TestCheckGrant(t *testing.T) {
	tests := []struct {
		name    string
		g       Grant
		wantErr string
	}{
		{"ok", Grant{RoomID: "r", DisplayName: "Ada", Role: RoleCitizen}, ""},
		{"no room", Grant{Role: RoleCitizen}, "room id"},
		{"long room", Grant{RoomID: strings.Repeat("r", 200), Role: RoleCitizen}, "room id"},
		{"bad role", Grant{RoomID: "r", Role: "king"}, "unknown role"},
		{"long name", Grant{RoomID: "r", Role: RoleCitizen, DisplayName: strings.Repeat("n", 300)}, "display name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkGrant(tt.g)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("checkGrant = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestSettingEngineConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"defaults", Config{}, ""},
		{"port range", Config{UDPPortMin: 40000, UDPPortMax: 40100}, ""},
		{"bad range", Config{UDPPortMin: 40100, UDPPortMax: 40000}, "port range"},
		{"public ip", Config{PublicIPs: []string{"203.0.113.7"}}, ""},
		{"not an ip", Config{PublicIPs: []string{"example.org"}}, "not an IP"},
		{"port too high", Config{UDPPort: 70000}, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, closer, err := newAPI(tt.cfg.withDefaults(), nil)
			if closer != nil {
				_ = closer.Close()
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("newAPI = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestStreamID(t *testing.T) {
	if got := streamID("all-but:0123456789abcdef"); got != "nahbar-all-but-0123456789abcdef" {
		t.Fatalf("streamID = %q", got)
	}
}
