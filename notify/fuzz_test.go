package notify

import (
	"bytes"
	"errors"
	"mime"
	"net/mail"
	"strings"
	"testing"

	ical "github.com/arran4/golang-ical"
)

// allowedHeaders are the only top-level headers an e-mail may carry, whatever the input.
var allowedHeaders = map[string]bool{
	"Auto-Submitted": true, "Content-Language": true, "Date": true, "Mime-Version": true,
	"Message-Id": true, "Subject": true, "From": true, "To": true, "Content-Type": true,
}

// FuzzCompose feeds what citizens and admins type (name, e-mail, tenant name, links)
// through composing and MIME rendering: never a panic; either ErrInvalidNotice or a
// message with exactly the expected headers, one recipient and a parseable calendar.
func FuzzCompose(f *testing.F) {
	seeds := [][4]string{
		{"Ayşe Yılmaz", "ayse@example.org", "Agentur für Arbeit", "https://t.example/j/abc"},
		{"Eve\r\nBcc: v@example.com", "eve@example.org", "Amt\nX: y", "https://t.example/j/abc"},
		{`M", v@example.com, "x`, "m@example.org", `"Amt"; CN=x:`, "https://t.example/j/a?b=c&d=<e>"},
		{"محمد", "m@example.org\r\nBcc: v@example.com", "وزارة", "javascript:alert(1)"},
		{"=?UTF-8?B?QmNjOiB4?=", "x@[127.0.0.1]", "=?utf-8?q?x?=", "http://[::1]:8080/j/x"},
		{"", "a@b.c", "T", "https://t.example/" + strings.Repeat("x", 300)},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	n := newTestNotifier(f, nil)
	f.Fuzz(func(t *testing.T, name, email, tenant, join string) {
		notice := invitation(t, "ar")
		notice.To = Address{Name: name, Email: email}
		notice.Brand.Name = tenant
		notice.JoinURL = join
		e, err := n.Compose(notice)
		if err != nil {
			if !errors.Is(err, ErrInvalidNotice) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if _, err := e.WriteTo(&buf); err != nil {
			t.Fatalf("write: %v", err)
		}
		msg, err := mail.ReadMessage(&buf)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		for h := range msg.Header {
			if !allowedHeaders[h] {
				t.Fatalf("unexpected header %q", h)
			}
		}
		to, err := msg.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != e.To.Email {
			t.Fatalf("To %q → %v, %v", msg.Header.Get("To"), to, err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || strings.ContainsAny(subject, "\r\n") {
			t.Fatalf("subject %q: %v", subject, err)
		}
		cal, err := ical.ParseCalendar(bytes.NewReader(e.ICS))
		if err != nil {
			t.Fatalf("ics: %v\n%s", err, e.ICS)
		}
		if evs := cal.Events(); len(evs) != 1 || evs[0].Id() != notice.UID {
			t.Fatalf("ics events %d", len(evs))
		}
	})
}
