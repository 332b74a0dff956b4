package notify

import (
	"errors"
	"strings"
	"testing"
	"time"

	ical "github.com/arran4/golang-ical"
)

func TestComposeEveryKindEveryLanguage(t *testing.T) {
	n := newTestNotifier(t, nil)
	kinds := []Kind{KindInvitation, KindReminder, KindCancellation, KindReschedule}
	for _, lang := range []string{"de", "en", "tr", "ar", "uk", "ru"} {
		for _, kind := range kinds {
			notice := invitation(t, lang)
			notice.Kind = kind
			if kind != KindInvitation {
				notice.Sequence = 7
			}
			e, err := n.Compose(notice)
			if err != nil {
				t.Fatalf("%s %s: %v", lang, kind, err)
			}
			dir := "ltr"
			if lang == "ar" {
				dir = "rtl"
			}
			if e.Lang != lang || e.Dir != dir || e.Subject == "" || strings.ContainsAny(e.Subject, "\r\n") {
				t.Errorf("%s %s: lang %q dir %q subject %q", lang, kind, e.Lang, e.Dir, e.Subject)
			}
			for part, body := range map[string]string{"text": e.Text, "html": e.HTML} {
				for _, bad := range []string{"{{", "<no value>", "ZgotmplZ", "mail_", "invite_", "role_"} {
					if strings.Contains(body, bad) {
						t.Errorf("%s %s %s contains %q", lang, kind, part, bad)
					}
				}
				if !strings.Contains(body, "Agentur für Arbeit Musterstadt") {
					t.Errorf("%s %s %s does not name the tenant", lang, kind, part)
				}
				if hasJoin := strings.Contains(body, notice.JoinURL); hasJoin != (kind != KindCancellation) {
					t.Errorf("%s %s %s: join link present = %v", lang, kind, part, hasJoin)
				}
			}
			if !strings.Contains(e.HTML, `lang="`+lang+`" dir="`+dir+`"`) {
				t.Errorf("%s %s: html without lang/dir", lang, kind)
			}
			switch kind {
			case KindReminder:
				if e.ICS != nil {
					t.Errorf("%s reminder carries an .ics", lang)
				}
			case KindCancellation:
				if method, _ := icsEvent(t, e.ICS); method != "CANCEL" || e.ICSMethod != "CANCEL" {
					t.Errorf("%s cancellation: method %s", lang, method)
				}
			default:
				if method, _ := icsEvent(t, e.ICS); method != "REQUEST" || e.ICSMethod != "REQUEST" {
					t.Errorf("%s %s: method %s", lang, kind, method)
				}
			}
		}
	}
}

func TestComposeRejectsInvalidNotices(t *testing.T) {
	n := newTestNotifier(t, nil)
	tests := []struct {
		name   string
		change func(*Notice)
	}{
		{"no kind", func(n *Notice) { n.Kind = 0 }},
		{"no address", func(n *Notice) { n.To.Email = "" }},
		{"address with a name", func(n *Notice) { n.To.Email = "Eve <eve@example.org>" }},
		{"two addresses", func(n *Notice) { n.To.Email = "a@example.org, b@example.org" }},
		{"address with line break", func(n *Notice) { n.To.Email = "a@example.org\nBcc: b@example.org" }},
		{"not an address", func(n *Notice) { n.To.Email = "nobody" }},
		{"no tenant name", func(n *Notice) { n.Brand.Name = " \r\n " }},
		{"no UID", func(n *Notice) { n.UID = "" }},
		{"end before start", func(n *Notice) { n.End = n.Start.Add(-time.Minute) }},
		{"no start", func(n *Notice) { n.Start = time.Time{} }},
		{"invitation without join link", func(n *Notice) { n.JoinURL = "" }},
		{"javascript join link", func(n *Notice) { n.JoinURL = "javascript:alert(1)" }},
		{"relative join link", func(n *Notice) { n.JoinURL = "/j/abc" }},
		{"join link with a space", func(n *Notice) { n.JoinURL = "https://x.example/j/a b" }},
		{"bad manage link", func(n *Notice) { n.ManageURL = "ftp://x.example/m" }},
		{"reschedule without sequence", func(n *Notice) { n.Kind = KindReschedule }},
		{"cancellation without sequence", func(n *Notice) { n.Kind = KindCancellation }},
		{"negative sequence", func(n *Notice) { n.Sequence = -1 }},
	}
	for _, tt := range tests {
		notice := invitation(t, "de")
		tt.change(&notice)
		_, err := n.Compose(notice)
		if !errors.Is(err, ErrInvalidNotice) {
			t.Errorf("%s: err %v, want ErrInvalidNotice", tt.name, err)
			continue
		}
		if strings.Contains(err.Error(), "ayse@example.org") || strings.Contains(err.Error(), "AbCdEfGh") {
			t.Errorf("%s: error %q leaks the address or the token", tt.name, err)
		}
	}
}

func TestComposeDetails(t *testing.T) {
	n := newTestNotifier(t, nil)

	t.Run("html escapes what the citizen typed", func(t *testing.T) {
		notice := invitation(t, "de")
		notice.To.Name = `<script>alert("x")</script>`
		e, err := n.Compose(notice)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(e.HTML, "<script>") || !strings.Contains(e.HTML, "&lt;script&gt;") {
			t.Error("name is not escaped in the html part")
		}
	})
	t.Run("extra participant sees the role", func(t *testing.T) {
		notice := invitation(t, "de")
		notice.Role = "interpreter"
		notice.ManageURL = ""
		e, err := n.Compose(notice)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(e.Text, "Ihre Rolle: Dolmetschung") || strings.Contains(e.Text, "Termin absagen") {
			t.Errorf("interpreter invitation:\n%s", e.Text)
		}
	})
	t.Run("reminder without a join link points to the invitation", func(t *testing.T) {
		notice := invitation(t, "en")
		notice.Kind = KindReminder
		notice.JoinURL = ""
		e, err := n.Compose(notice)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(e.Text, "Please use the link from your invitation e-mail.") || !strings.HasPrefix(e.Subject, "Reminder:") {
			t.Errorf("reminder %q:\n%s", e.Subject, e.Text)
		}
	})
	t.Run("brand colour, contrast and logo", func(t *testing.T) {
		tests := []struct {
			color, logo         string
			wantColor, wantText string
			wantLogo            bool
		}{
			{"#004b87", "https://amt.example/logo.png", "#004b87", "#ffffff", true},
			{"#ffcc00", "https://amt.example/logo.png", "#ffcc00", "#000000", true},
			{"red; background:url(x)", "javascript:alert(1)", defaultColor, "#ffffff", false},
			{"", "data:image/png;base64,AAAA", defaultColor, "#ffffff", false},
		}
		for _, tt := range tests {
			notice := invitation(t, "de")
			notice.Brand.Color, notice.Brand.LogoURL = tt.color, tt.logo
			e, err := n.Compose(notice)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(e.HTML, "background:"+tt.wantColor+";color:"+tt.wantText) {
				t.Errorf("colour %q: header is not %s on %s", tt.color, tt.wantText, tt.wantColor)
			}
			if strings.Contains(e.HTML, "<img") != tt.wantLogo || strings.Contains(e.HTML, "javascript:") {
				t.Errorf("logo %q: img shown %v", tt.logo, !tt.wantLogo)
			}
		}
	})
	t.Run("attendee CN keeps the name readable", func(t *testing.T) {
		notice := invitation(t, "de")
		notice.To.Name = `O'Brien, "Sam"; Jr.`
		e, err := n.Compose(notice)
		if err != nil {
			t.Fatal(err)
		}
		_, ev := icsEvent(t, e.ICS)
		att := ev.Attendees()
		if len(att) != 1 || att[0].Email() != "ayse@example.org" {
			t.Fatalf("attendees %v", att)
		}
		if cn := ev.GetProperty(ical.ComponentPropertyAttendee).ICalParameters["CN"]; len(cn) != 1 || cn[0] != "O’Brien Sam Jr." {
			t.Errorf("CN %q", cn)
		}
	})
}

func TestCleanLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Ayşe   Yılmaz ", "Ayşe Yılmaz"},
		{"a\r\nBcc: b", "a Bcc: b"},
		{"a\u2028b\u2029c\u0085d", "a b c d"},
		{"tab\tand\x00nul\x7fdel", "tab and nul del"},
		{"zero\u200bwidth\ufeff", "zero width"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"\r\n", ""},
		{"محمد\u202eevil", "محمد\u202eevil"}, // bidi controls are format (Cf), kept: they cannot break a header
	}
	for _, tt := range tests {
		if got := cleanLine(tt.in, 200); got != tt.want {
			t.Errorf("cleanLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := cleanLine(strings.Repeat("x", 500), 10); got != strings.Repeat("x", 10) {
		t.Errorf("not cut: %q", got)
	}
}

func TestUIDAndSequence(t *testing.T) {
	if got := AppointmentUID(42, "termine.amt.example"); got != "appointment-42@termine.amt.example" {
		t.Errorf("UID %q", got)
	}
	if got := AppointmentUID(1, "evil\r\nBEGIN:VEVENT"); strings.ContainsAny(got, "\r\n") {
		t.Errorf("UID %q has a line break", got)
	}
	a, b := SequenceAt(testNow), SequenceAt(testNow.Add(time.Second))
	if !(0 < a && a < b) || SequenceAt(time.Time{}) != 1 {
		t.Errorf("SequenceAt: %d, %d, zero %d", a, b, SequenceAt(time.Time{}))
	}
	if SequenceAt(time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC)) > 1<<31-1 {
		t.Error("SEQUENCE overflows 32 bits before 2090")
	}
}

func BenchmarkComposeInvitation(b *testing.B) {
	n := newTestNotifier(b, nil)
	notice := invitation(b, "ar")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Compose(notice); err != nil {
			b.Fatal(err)
		}
	}
}
