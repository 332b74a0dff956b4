// Package smtptest starts a real SMTP server (emersion/go-smtp) on 127.0.0.1 for tests
// and keeps every message it accepts, so a test reads what a mail client would receive.
// The notifier, the console, the reminder loop and the browser journey all send through
// the real protocol to it instead of a stub function.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Delivery is one accepted message: the envelope and the raw RFC 5322 bytes.
type Delivery struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // the message came over STARTTLS
	User string // the authenticated user, if any
}

// Server is a running SMTP server; it stops when the test ends.
type Server struct {
	Host string
	Port int

	t       testing.TB
	mu      sync.Mutex
	got     []Delivery
	rcptErr error
	dataErr error
	users   map[string]string
	arrived chan struct{}
}

// Option configures a Server before it starts.
type Option func(*smtp.Server, *Server)

// WithTLS offers STARTTLS with cert.
func WithTLS(cert tls.Certificate) Option {
	return func(s *smtp.Server, _ *Server) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
}

// WithUser requires PLAIN authentication and accepts user with pass.
func WithUser(user, pass string) Option {
	return func(_ *smtp.Server, ts *Server) { ts.users[user] = pass }
}

// Start listens on 127.0.0.1 on a free port.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	ts := &Server{t: t, users: map[string]string{}, arrived: make(chan struct{}, 1)}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{ts: ts, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.MaxMessageBytes = 1 << 20
	s.MaxRecipients = 50
	for _, o := range opts {
		o(s, ts)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp test server: %v", err)
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	addr := l.Addr().(*net.TCPAddr)
	ts.Host, ts.Port = addr.IP.String(), addr.Port
	return ts
}

// SetRcptErr makes every RCPT TO fail with err while it is set (nil clears it).
func (ts *Server) SetRcptErr(err error) { ts.mu.Lock(); ts.rcptErr = err; ts.mu.Unlock() }

// SetDataErr makes every DATA fail with err while it is set (nil clears it).
func (ts *Server) SetDataErr(err error) { ts.mu.Lock(); ts.dataErr = err; ts.mu.Unlock() }

// Deliveries returns what has arrived so far.
func (ts *Server) Deliveries() []Delivery {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return slices.Clone(ts.got)
}

// Wait returns once n messages in total have arrived; the 20 s bound only stops a hang.
func (ts *Server) Wait(n int) []Delivery {
	ts.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if d := ts.Deliveries(); len(d) >= n {
			return d
		}
		select {
		case <-ts.arrived:
		case <-deadline:
			ts.t.Fatalf("waited for %d mails, have %d", n, len(ts.Deliveries()))
		}
	}
}

type session struct {
	ts   *Server
	conn *smtp.Conn
	cur  Delivery
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		s.ts.mu.Lock()
		defer s.ts.mu.Unlock()
		if want, ok := s.ts.users[user]; !ok || want != pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.cur.User = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	if len(s.ts.users) > 0 && s.cur.User == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.From = from
	_, s.cur.TLS = s.conn.TLSConnectionState()
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	if s.ts.rcptErr != nil {
		return s.ts.rcptErr
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	if s.ts.dataErr != nil {
		return s.ts.dataErr
	}
	d := s.cur
	d.To = slices.Clone(d.To)
	d.Data = bytes.Clone(b)
	s.ts.got = append(s.ts.got, d)
	select { // wake a waiter; one pending signal is enough, Wait rereads the list
	case s.ts.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (s *session) Reset() { s.cur = Delivery{User: s.cur.User} }

func (s *session) Logout() error { return nil }

// SelfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func SelfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
