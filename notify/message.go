package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	netmail "net/mail"
	"strings"

	"github.com/wneessen/go-mail"
)

// message builds the MIME message of e. The layout is the one calendar services send and
// mail clients recognise as an invitation:
//
//	multipart/mixed
//	├─ multipart/alternative
//	│  ├─ text/plain
//	│  ├─ text/html
//	│  └─ text/calendar; method=REQUEST|CANCEL   (clients show accept/decline or remove)
//	└─ invite.ics (application/ics attachment)   (for clients that only offer attachments)
func (e *Email) message() (*mail.Msg, error) {
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	// Addresses go in as parsed structures, never as formatted strings, so a name cannot
	// close the quotes and add a recipient; control characters were removed in validate.
	m.FromMailAddress(&netmail.Address{Name: e.From.Name, Address: e.From.Email})
	m.AddToMailAddress(&netmail.Address{Name: e.To.Name, Address: e.To.Email})
	if err := m.EnvelopeFrom(e.From.Email); err != nil {
		return nil, fmt.Errorf("envelope sender: %w", err)
	}
	m.Subject(e.Subject)
	m.SetDateWithValue(e.Date)
	id, err := messageID(e.From.Email)
	if err != nil {
		return nil, err
	}
	m.SetMessageIDWithValue(id)
	m.SetGenHeader(mail.HeaderContentLang, e.Lang)
	// RFC 3834: an automatic message; auto-responders must not answer it.
	m.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	m.SetBodyString(mail.TypeTextPlain, e.Text)
	m.AddAlternativeString(mail.TypeTextHTML, e.HTML)
	if len(e.ICS) > 0 {
		m.AddAlternativeString(mail.ContentType("text/calendar; method="+e.ICSMethod), string(e.ICS))
		if err := m.AttachReader("invite.ics", bytes.NewReader(e.ICS), mail.WithFileContentType("application/ics")); err != nil {
			return nil, fmt.Errorf("attach invite.ics: %w", err)
		}
	}
	return m, nil
}

// WriteTo writes e as an RFC 5322 message, as it would travel over SMTP. Useful for a
// development mailer that drops messages into files, and for tests.
func (e *Email) WriteTo(w io.Writer) (int64, error) {
	m, err := e.message()
	if err != nil {
		return 0, err
	}
	n, err := m.WriteTo(w)
	if err != nil {
		return n, fmt.Errorf("write %s e-mail: %w", e.Kind, err)
	}
	return n, nil
}

// messageID is a random id in the sender's domain: the machine's host name (go-mail's
// default) says nothing to receivers and may be an internal name.
func messageID(from string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("message id: %w", err)
	}
	domain := from[strings.LastIndexByte(from, '@')+1:]
	return hex.EncodeToString(b[:]) + "@" + domain, nil
}
