package web

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// consoleSMTP is a real SMTP server (emersion/go-smtp) on 127.0.0.1 that
// keeps every message it accepts, for the console's invitation mails.
type consoleSMTP struct {
	host string
	port int

	mu      sync.Mutex
	got     []consoleMail
	arrived chan struct{}
}

type consoleMail struct {
	To   []string
	Data []byte
}

func startConsoleSMTP(t *testing.T) *consoleSMTP {
	t.Helper()
	ts := &consoleSMTP{arrived: make(chan struct{}, 16)}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &consoleSMTPSession{ts: ts}, nil }))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	host, port, _ := net.SplitHostPort(l.Addr().String())
	ts.host = host
	ts.port, _ = strconv.Atoi(port)
	return ts
}

// wait returns once n messages arrived (the bound only stops a hang).
func (ts *consoleSMTP) wait(t *testing.T, n int) []consoleMail {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		ts.mu.Lock()
		got := append([]consoleMail(nil), ts.got...)
		ts.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-ts.arrived:
		case <-deadline:
			t.Fatalf("waited for %d mails, have %d", n, len(got))
		}
	}
}

type consoleSMTPSession struct {
	ts  *consoleSMTP
	cur consoleMail
}

func (s *consoleSMTPSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *consoleSMTPSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}
func (s *consoleSMTPSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ts.mu.Lock()
	s.ts.got = append(s.ts.got, consoleMail{To: s.cur.To, Data: bytes.Clone(b)})
	s.ts.mu.Unlock()
	s.ts.arrived <- struct{}{}
	return nil
}
func (s *consoleSMTPSession) Reset()        { s.cur = consoleMail{} }
func (s *consoleSMTPSession) Logout() error { return nil }
