package rooms

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeSessionMessages(t *testing.T) {
	f := false
	tests := []struct {
		name string
		in   string
		want Message
	}{
		{"quality", `{"type":"quality","mode":"save_data"}`, Message{Type: TypeQuality, Mode: QualitySaveData}},
		{"quality budget", `{"type":"quality","mode":"high","budget_mb_per_hour":120.5}`, Message{Type: TypeQuality, Mode: QualityHigh, BudgetMBPerHour: 120.5}},
		{"usage", `{"type":"usage","tier":"low","width":320,"height":180,"kbps":99.5,"mb_per_hour":44.8,"mode":"save_data"}`,
			Message{Type: TypeUsage, Tier: "low", Width: 320, Height: 180, Kbps: 99.5, MBPerHour: 44.8, Mode: QualitySaveData}},
		{"video paused", `{"type":"video_paused","reason":"bandwidth"}`, Message{Type: TypeVideoPaused, Reason: PauseBandwidth}},
		{"video resumed", `{"type":"video_resumed"}`, Message{Type: TypeVideoResumed}},
		{"publish hint", `{"type":"publish_hint","max_width":480,"max_height":360,"max_fps":15,"max_kbps":600}`,
			Message{Type: TypePublishHint, MaxWidth: 480, MaxHeight: 360, MaxFPS: 15, MaxKbps: 600}},
		{"device status", `{"type":"device_status","camera":"denied"}`, Message{Type: TypeDeviceStatus, Camera: "denied"}},
		{"screen", `{"type":"screen","mid":"2"}`, Message{Type: TypeScreen, Mid: "2"}},
		{"screen stop", `{"type":"screen_stop"}`, Message{Type: TypeScreenStop}},
		{"chat", `{"type":"chat","text":"Guten Tag\nBis gleich"}`, Message{Type: TypeChat, Text: "Guten Tag\nBis gleich"}},
		{"chat delete", `{"type":"chat_delete","id":"c7"}`, Message{Type: TypeChatDelete, ID: "c7"}},
		{"raise hand", `{"type":"raise_hand"}`, Message{Type: TypeRaiseHand}},
		{"lower own hand", `{"type":"lower_hand"}`, Message{Type: TypeLowerHand}},
		{"lower a hand", `{"type":"lower_hand","participant_id":"p2"}`, Message{Type: TypeLowerHand, ParticipantID: "p2"}},
		{"hand", `{"type":"hand","raised":false,"participant_id":"p1"}`, Message{Type: TypeHand, Raised: &f, ParticipantID: "p1"}},
		{"mute all", `{"type":"mute_all"}`, Message{Type: TypeMuteAll}},
		{"promote", `{"type":"promote","participant_id":"p2"}`, Message{Type: TypePromote, ParticipantID: "p2"}},
		{"demote", `{"type":"demote","participant_id":"p2"}`, Message{Type: TypeDemote, ParticipantID: "p2"}},
		{"roster with count", `{"type":"roster","participants":[{"id":"p1","name":"A","role":"advisor","audio_muted":false,"video_muted":false,"publishing":true}],"attendees":250}`,
			Message{Type: TypeRoster, Participants: []RosterEntry{{ID: "p1", Name: "A", Role: RoleAdvisor, Publishing: true}}, Attendees: 250}},
		{"status", `{"type":"status","connections":[{"participant_id":"p1","name":"A","role":"citizen","tier":"audio","down_kbps":45,"up_kbps":300,"rtt_ms":180.5,"loss_pct":4.5,"fps":0,"video_paused":true}]}`,
			Message{Type: TypeStatus, Connections: []ConnectionStatus{{ParticipantID: "p1", Name: "A", Role: RoleCitizen, Tier: AudioOnlyTier,
				DownKbps: 45, UpKbps: 300, RTTMillis: 180.5, LossPct: 4.5, VideoPaused: true}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeMessage([]byte(tt.in))
			if err != nil {
				t.Fatalf("DecodeMessage: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRejectSessionMessages(t *testing.T) {
	tests := []struct{ name, in, wantErr string }{
		{"quality without mode", `{"type":"quality"}`, "mode"},
		{"quality unknown mode", `{"type":"quality","mode":"ultra"}`, "mode"},
		{"negative budget", `{"type":"quality","mode":"high","budget_mb_per_hour":-1}`, "budget"},
		{"huge budget", `{"type":"quality","mode":"high","budget_mb_per_hour":1e9}`, "budget"},
		{"device nothing", `{"type":"device_status"}`, "neither"},
		{"device unknown state", `{"type":"device_status","camera":"on fire"}`, "not one of"},
		{"device control chars", `{"type":"device_status","details":"a\u0007b"}`, "control character"},
		{"screen without mid", `{"type":"screen"}`, "missing mid"},
		{"chat empty", `{"type":"chat","text":"   "}`, "empty chat"},
		{"chat too long", `{"type":"chat","text":"` + strings.Repeat("x", MaxChatText+1) + `"}`, "exceeds the limit"},
		{"chat control chars", `{"type":"chat","text":"a\u001bb"}`, "control character"},
		{"chat foreign field", `{"type":"chat","text":"x","sdp":"v=0"}`, "not allowed"},
		{"chat delete without id", `{"type":"chat_delete"}`, "missing id"},
		{"promote without id", `{"type":"promote"}`, "missing participant_id"},
		{"raise hand with field", `{"type":"raise_hand","participant_id":"p"}`, "not allowed"},
		{"roster negative count", `{"type":"roster","attendees":-1}`, "out of range"},
		{"status negative rate", `{"type":"status","connections":[{"participant_id":"p","down_kbps":-5}]}`, "out of range"},
		{"hint huge", `{"type":"publish_hint","max_width":100000}`, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeMessage([]byte(tt.in))
			if err == nil {
				t.Fatalf("DecodeMessage(%.60s) succeeded, want error containing %q", tt.in, tt.wantErr)
			}
			if !errors.Is(err, ErrBadMessage) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q, want one wrapping ErrBadMessage containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRateWindow(t *testing.T) {
	w := newRateWindow(10 * time.Second)
	if w.rate(10*time.Second) != 0 {
		t.Fatal("rate before samples")
	}
	for i := range 20 {
		w.add(testTime(i), uint64(i*1000)) // 1000 per second
	}
	if got := w.rate(5 * time.Second); got != 1000 {
		t.Fatalf("rate over 5 s = %v, want 1000", got)
	}
	w.add(testTime(20), 19000) // a second with nothing
	if got := w.rate(2 * time.Second); got != 500 {
		t.Fatalf("rate over the last 2 s = %v, want 500", got)
	}
}

func testTime(s int) time.Time { return time.Unix(1000+int64(s), 0) }
