package notify

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	ical "github.com/arran4/golang-ical"
)

// parsed is a received e-mail taken apart the way a mail client would.
type parsed struct {
	Header      mail.Header
	Subject     string
	To          []*mail.Address
	Text, HTML  string
	Calendar    string // the text/calendar alternative
	CalendarCT  string
	Attachments map[string][]byte
	Structure   []string // content types in order, for layout assertions
}

func parseMail(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, raw)
	}
	p := parsed{Header: msg.Header, Attachments: map[string][]byte{}}
	dec := new(mime.WordDecoder)
	if p.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	if p.To, err = msg.Header.AddressList("To"); err != nil {
		t.Fatalf("To header %q: %v", msg.Header.Get("To"), err)
	}
	walk(t, &p, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
	return p
}

func walk(t *testing.T, p *parsed, ctype, cte, disposition string, body io.Reader) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatalf("content type %q: %v", ctype, err)
	}
	p.Structure = append(p.Structure, mt)
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("next part of %s: %v", mt, err)
			}
			walk(t, p, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part.Header.Get("Content-Disposition"), part)
		}
	}
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("read %s: %v", mt, err)
	}
	if strings.EqualFold(cte, "base64") {
		if data, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(data)), "")); err != nil {
			t.Fatalf("base64 %s: %v", mt, err)
		}
	}
	if disposition != "" {
		if d, dp, err := mime.ParseMediaType(disposition); err == nil && d == "attachment" {
			p.Attachments[dp["filename"]] = data
			return
		}
	}
	switch mt {
	case "text/plain":
		p.Text = string(data)
	case "text/html":
		p.HTML = string(data)
	case "text/calendar":
		p.Calendar, p.CalendarCT = string(data), ctype
	}
}

// icsEvent parses an .ics and returns its METHOD and its only event.
func icsEvent(t *testing.T, data []byte) (string, *ical.VEvent) {
	t.Helper()
	cal, err := ical.ParseCalendar(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse ics: %v\n%s", err, data)
	}
	method := ""
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == string(ical.PropertyMethod) {
			method = p.Value
		}
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("ics has %d events", len(evs))
	}
	return method, evs[0]
}

func prop(ev *ical.VEvent, p ical.ComponentProperty) string {
	if v := ev.GetProperty(p); v != nil {
		return v.Value
	}
	return ""
}

func (p parsed) String() string {
	return fmt.Sprintf("subject %q, structure %v, attachments %d", p.Subject, p.Structure, len(p.Attachments))
}
