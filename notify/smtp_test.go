package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"github.com/nahbar/nahbar/internal/smtptest"
	"net"
	"strings"
	"testing"
	"time"

	ical "github.com/arran4/golang-ical"
	"github.com/emersion/go-smtp"
)

func newSMTP(t *testing.T, cfg SMTPConfig) *SMTP {
	t.Helper()
	m, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestInvitationArrives sends invitations in several languages through a real SMTP
// server and reads them back as a mail client and a calendar would.
func TestInvitationArrives(t *testing.T) {
	srv := smtptest.Start(t)
	n := newTestNotifier(t, newSMTP(t, smtpConfig(srv)))
	tests := []struct {
		lang, dir, subject, greeting string
	}{
		{"de", "ltr", "Ihr Videotermin am Montag, 3. Juni 2024 um 10:30 Uhr", "Guten Tag Ayşe Yılmaz,"},
		{"ar", "rtl", "موعدكم عبر الفيديو: الاثنين، 3 يونيو 2024، الساعة 10:30", "السيد/السيدة Ayşe Yılmaz،"},
		{"tr", "ltr", "Görüntülü görüşme randevunuz: 3 Haziran 2024 Pazartesi, saat 10:30", "Sayın Ayşe Yılmaz,"},
		{"uk", "ltr", "Ваша відеоконсультація: понеділок, 3 червня 2024 р., 10:30", "Добрий день, Ayşe Yılmaz!"},
		{"ru", "ltr", "Ваша видеоконсультация: понедельник, 3 июня 2024 г., 10:30", "Здравствуйте, Ayşe Yılmaz!"},
		{"en", "ltr", "Your video appointment on Monday, 3 June 2024 at 10:30", "Hello Ayşe Yılmaz,"},
	}
	for i, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			notice := invitation(t, tt.lang)
			if err := n.Notify(context.Background(), notice); err != nil {
				t.Fatal(err)
			}
			d := srv.Wait(i + 1)[i]
			if d.From != "termine@amt.example" || len(d.To) != 1 || d.To[0] != "ayse@example.org" {
				t.Fatalf("envelope from %q to %q", d.From, d.To)
			}
			m := parseMail(t, d.Data)
			if m.Subject != tt.subject {
				t.Errorf("subject %q, want %q", m.Subject, tt.subject)
			}
			if len(m.To) != 1 || m.To[0].Name != "Ayşe Yılmaz" || m.To[0].Address != "ayse@example.org" {
				t.Errorf("To = %v", m.To)
			}
			if got := m.Header.Get("Content-Language"); got != tt.lang {
				t.Errorf("Content-Language %q", got)
			}
			if m.Header.Get("Auto-Submitted") != "auto-generated" || !strings.HasSuffix(m.Header.Get("Message-Id"), "@amt.example>") {
				t.Errorf("headers: %v", m.Header)
			}
			want := []string{"multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar", "application/ics"}
			if strings.Join(m.Structure, " ") != strings.Join(want, " ") {
				t.Errorf("structure %v, want %v", m.Structure, want)
			}
			for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
				if !strings.Contains(body, notice.JoinURL) || !strings.Contains(body, notice.ManageURL) {
					t.Errorf("%s part lacks the join or manage link:\n%s", part, body)
				}
				if !strings.Contains(body, tt.greeting) {
					t.Errorf("%s part lacks greeting %q:\n%s", part, tt.greeting, body)
				}
			}
			for _, attr := range []string{`<html lang="` + tt.lang + `" dir="` + tt.dir + `">`, `<div lang="` + tt.lang + `" dir="` + tt.dir + `"`} {
				if !strings.Contains(m.HTML, attr) {
					t.Errorf("html lacks %s", attr)
				}
			}
			if !strings.Contains(m.HTML, `href="`+notice.JoinURL+`"`) {
				t.Error("html join button does not link the join URL")
			}
			ics, ok := m.Attachments["invite.ics"]
			if !ok {
				t.Fatalf("no invite.ics attachment: %s", m)
			}
			if m.Calendar != string(ics) || !strings.Contains(m.CalendarCT, "method=REQUEST") {
				t.Errorf("calendar alternative (%s) differs from the attachment", m.CalendarCT)
			}
			method, ev := icsEvent(t, ics)
			start, err := ev.GetStartAt()
			if err != nil {
				t.Fatal(err)
			}
			end, err := ev.GetEndAt()
			if err != nil {
				t.Fatal(err)
			}
			if method != "REQUEST" || ev.Id() != "appointment-42@termine.amt.example" || !start.Equal(testStart) || !end.Equal(testStart.Add(30*time.Minute)) {
				t.Errorf("ics: method %s uid %s start %v end %v", method, ev.Id(), start, end)
			}
			if raw := prop(ev, ical.ComponentPropertyDtStart); raw != "20240603T083000Z" {
				t.Errorf("DTSTART %q is not UTC", raw)
			}
			if prop(ev, ical.ComponentPropertySequence) != "0" || prop(ev, ical.ComponentPropertyStatus) != "CONFIRMED" {
				t.Errorf("sequence %q status %q", prop(ev, ical.ComponentPropertySequence), prop(ev, ical.ComponentPropertyStatus))
			}
			if desc := ical.FromText(prop(ev, ical.ComponentPropertyDescription)); !strings.Contains(desc, notice.JoinURL) {
				t.Errorf("DESCRIPTION lacks the join link: %q", desc)
			}
			if prop(ev, ical.ComponentPropertyOrganizer) != "mailto:termine@amt.example" || prop(ev, ical.ComponentPropertySummary) == "" {
				t.Errorf("organizer %q summary %q", prop(ev, ical.ComponentPropertyOrganizer), prop(ev, ical.ComponentPropertySummary))
			}
			if !strings.Contains(string(ics), "\r\n") || strings.Contains(strings.ReplaceAll(string(ics), "\r\n", ""), "\n") {
				t.Error("ics lines are not CRLF-terminated")
			}
		})
	}
}

// TestRescheduleAndCancelUpdateTheSameEntry checks what a calendar needs to move or drop
// the entry an invitation created: same UID, higher SEQUENCE, METHOD CANCEL for cancels.
func TestRescheduleAndCancelUpdateTheSameEntry(t *testing.T) {
	srv := smtptest.Start(t)
	n := newTestNotifier(t, newSMTP(t, smtpConfig(srv)))
	ctx := context.Background()

	inv := invitation(t, "de")
	moved := inv
	moved.Kind = KindReschedule
	moved.PreviousStart = inv.Start
	moved.Start = inv.Start.Add(26 * time.Hour)
	moved.End = moved.Start.Add(30 * time.Minute)
	moved.Sequence = SequenceAt(testNow)
	cancelled := moved
	cancelled.Kind = KindCancellation
	cancelled.Sequence = SequenceAt(testNow.Add(time.Hour))
	cancelled.BookURL = "https://termine.amt.example/buchen"

	for _, notice := range []Notice{inv, moved, cancelled} {
		if err := n.Notify(ctx, notice); err != nil {
			t.Fatalf("%s: %v", notice.Kind, err)
		}
	}
	got := srv.Wait(3)
	var seqs []string
	for i, want := range []struct {
		method, status, start string
		joinLink              bool
	}{
		{"REQUEST", "CONFIRMED", "20240603T083000Z", true},
		{"REQUEST", "CONFIRMED", "20240604T103000Z", true},
		{"CANCEL", "CANCELLED", "20240604T103000Z", false},
	} {
		m := parseMail(t, got[i].Data)
		method, ev := icsEvent(t, m.Attachments["invite.ics"])
		if method != want.method || prop(ev, ical.ComponentPropertyStatus) != want.status || prop(ev, ical.ComponentPropertyDtStart) != want.start {
			t.Errorf("mail %d: method %s status %s start %s", i, method, prop(ev, ical.ComponentPropertyStatus), prop(ev, ical.ComponentPropertyDtStart))
		}
		if ev.Id() != inv.UID {
			t.Errorf("mail %d: UID %s, want %s", i, ev.Id(), inv.UID)
		}
		if strings.Contains(m.Text, inv.JoinURL) != want.joinLink {
			t.Errorf("mail %d: join link shown %v, want %v", i, !want.joinLink, want.joinLink)
		}
		if !strings.Contains(m.CalendarCT, "method="+want.method) {
			t.Errorf("mail %d: calendar part %q", i, m.CalendarCT)
		}
		seqs = append(seqs, prop(ev, ical.ComponentPropertySequence))
	}
	if !(atoi(t, seqs[0]) < atoi(t, seqs[1]) && atoi(t, seqs[1]) < atoi(t, seqs[2])) {
		t.Errorf("SEQUENCE does not increase: %v", seqs)
	}
	resched := parseMail(t, got[1].Data)
	if !strings.Contains(resched.Text, "Bisheriger Termin: Montag, 3. Juni 2024, 10:30 Uhr") || !strings.Contains(resched.Text, "Dienstag, 4. Juni 2024, 12:30–13:00 Uhr") {
		t.Errorf("reschedule text does not show old and new time:\n%s", resched.Text)
	}
	cancel := parseMail(t, got[2].Data)
	if !strings.Contains(cancel.Subject, "Abgesagt") || !strings.Contains(cancel.Text, cancelled.BookURL) || strings.Contains(cancel.Text, inv.ManageURL) {
		t.Errorf("cancellation: subject %q\n%s", cancel.Subject, cancel.Text)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// TestRejectedMessageCanBeRetried: a server that refuses the recipient or the content
// gives a clear error without the address in it, keeps nothing, and the same Email goes
// through once the server accepts again.
func TestRejectedMessageCanBeRetried(t *testing.T) {
	srv := smtptest.Start(t)
	mailer := newSMTP(t, smtpConfig(srv))
	n := newTestNotifier(t, mailer)
	e, err := n.Compose(invitation(t, "de"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name      string
		rcpt      error
		data      error
		stage     string
		code      int
		temporary bool
	}{
		{"unknown mailbox", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<ayse@example.org>: mailbox unavailable"}, nil, "recipient", 550, false},
		{"greylisted", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "try again later"}, nil, "recipient", 451, true},
		{"content refused", nil, &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "message refused"}, "data", 554, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetRcptErr(tt.rcpt)
			srv.SetDataErr(tt.data)
			err := mailer.Send(ctx, e)
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a SendError", err)
			}
			if se.Stage != tt.stage || se.Code != tt.code || se.Temporary != tt.temporary || Temporary(err) != tt.temporary {
				t.Errorf("SendError %+v, want stage %s code %d temporary %v", se, tt.stage, tt.code, tt.temporary)
			}
			if strings.Contains(err.Error(), "ayse@example.org") || !strings.Contains(err.Error(), srv.Host) {
				t.Errorf("error text %q: must name the server, not the recipient", err)
			}
			if len(srv.Deliveries()) != 0 {
				t.Fatal("a rejected message was stored")
			}
		})
	}
	srv.SetRcptErr(nil)
	srv.SetDataErr(nil)
	if err := mailer.Send(ctx, e); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if m := parseMail(t, srv.Wait(1)[0].Data); !strings.Contains(m.Text, "https://termine.amt.example/j/") {
		t.Error("retried message lost its content")
	}
}

// TestNameCannotInjectHeaders: CR/LF, quotes and commas in a citizen's name (from the
// booking form) produce neither a header nor a recipient.
func TestNameCannotInjectHeaders(t *testing.T) {
	srv := smtptest.Start(t)
	n := newTestNotifier(t, newSMTP(t, smtpConfig(srv)))
	names := []string{
		"Eve\r\nBcc: victim@example.com\r\nX-Injected: 1",
		"Eve\nSubject: forged\n\nbody",
		`Mallory", victim@example.com, "x`,
		"Trudy <victim@example.com>, other@example.com",
		"Zoë\u2028Bcc: victim@example.com",
	}
	for i, name := range names {
		notice := invitation(t, "en")
		notice.To.Name = name
		notice.Brand.Name = "Amt\r\nBcc: tenant-victim@example.com"
		if err := n.Notify(context.Background(), notice); err != nil {
			t.Fatalf("name %q: %v", name, err)
		}
		d := srv.Wait(i + 1)[i]
		if len(d.To) != 1 || d.To[0] != "ayse@example.org" {
			t.Errorf("name %q: RCPT TO %v", name, d.To)
		}
		m := parseMail(t, d.Data)
		for _, h := range []string{"Bcc", "Cc", "X-Injected"} {
			if v := m.Header.Get(h); v != "" {
				t.Errorf("name %q created header %s: %q", name, h, v)
			}
		}
		if len(m.To) != 1 || m.To[0].Address != "ayse@example.org" || strings.ContainsAny(m.To[0].Name, "\r\n") {
			t.Errorf("name %q: To = %v", name, m.To)
		}
		if strings.Contains(m.Subject, "forged") || strings.ContainsAny(m.Subject, "\r\n") {
			t.Errorf("name %q: subject %q", name, m.Subject)
		}
	}
	// An address with a line break is refused before anything is sent.
	notice := invitation(t, "en")
	notice.To.Email = "ayse@example.org\r\nBcc: victim@example.com"
	if err := n.Notify(context.Background(), notice); !errors.Is(err, ErrInvalidNotice) {
		t.Errorf("address with CRLF: %v, want ErrInvalidNotice", err)
	}
	if len(srv.Deliveries()) != len(names) {
		t.Error("the invalid address was sent")
	}
}

// TestSTARTTLSAndAuth sends over a real STARTTLS upgrade with PLAIN authentication, and
// checks that STARTTLS is mandatory by default: a server without it gets nothing.
func TestSTARTTLSAndAuth(t *testing.T) {
	cert, roots := smtptest.SelfSigned(t)
	srv := smtptest.Start(t, smtptest.WithTLS(cert), smtptest.WithUser("nahbar", "s3cret"))
	cfg := smtpConfig(srv)
	cfg.TLS = TLSStartTLS
	cfg.TLSConfig = &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	cfg.Username, cfg.Password = "nahbar", "s3cret"
	n := newTestNotifier(t, newSMTP(t, cfg))
	if err := n.Notify(context.Background(), invitation(t, "uk")); err != nil {
		t.Fatal(err)
	}
	d := srv.Wait(1)[0]
	if !d.TLS || d.User != "nahbar" {
		t.Errorf("delivered with TLS %v as %q", d.TLS, d.User)
	}

	cfg.Password = "wrong"
	if err := newTestNotifier(t, newSMTP(t, cfg)).Notify(context.Background(), invitation(t, "uk")); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: %v", err)
	}

	plain := smtptest.Start(t) // no TLS offered
	pcfg := smtpConfig(plain)
	pcfg.TLS = TLSStartTLS
	err := newTestNotifier(t, newSMTP(t, pcfg)).Notify(context.Background(), invitation(t, "uk"))
	if err == nil || !Temporary(err) {
		t.Errorf("mandatory STARTTLS against a clear-text server: %v", err)
	}
	if len(plain.Deliveries()) != 0 {
		t.Error("message sent in clear text despite mandatory STARTTLS")
	}
}

// TestSMTPTimeout: a server that accepts the connection and never greets must not hold
// the sender longer than the configured timeout.
func TestSMTPTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			held <- c
		}
	}()
	defer func() {
		select {
		case c := <-held:
			c.Close()
		default:
		}
	}()
	addr := l.Addr().(*net.TCPAddr)
	mailer := newSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: addr.Port, TLS: TLSNone, Timeout: 300 * time.Millisecond})
	e, err := newTestNotifier(t, nil).Compose(invitation(t, "de"))
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	err = mailer.Send(context.Background(), e)
	if err == nil || !Temporary(err) {
		t.Fatalf("silent server: %v", err)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("Send took %v with a 300 ms timeout", took)
	}
}

func TestNewSMTPConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  SMTPConfig
		ok   bool
	}{
		{"defaults", SMTPConfig{Host: "mail.example"}, true},
		{"implicit TLS", SMTPConfig{Host: "mail.example", TLS: TLSImplicit}, true},
		{"opportunistic", SMTPConfig{Host: "mail.example", TLS: TLSOpportunistic, Port: 25}, true},
		{"no host", SMTPConfig{}, false},
		{"bad policy", SMTPConfig{Host: "mail.example", TLS: "maybe"}, false},
		{"bad port", SMTPConfig{Host: "mail.example", Port: 70000}, false},
	}
	for _, tt := range tests {
		if _, err := NewSMTP(tt.cfg); (err == nil) != tt.ok {
			t.Errorf("%s: err %v", tt.name, err)
		}
	}
}
