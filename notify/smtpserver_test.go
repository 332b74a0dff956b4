package notify

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
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// A real SMTP server (emersion/go-smtp) on 127.0.0.1:0 that keeps what it accepts.

type delivery struct {
	From string
	To   []string
	Data []byte
	TLS  bool
	User string
}

type smtpServer struct {
	t    *testing.T
	host string
	port int
	srv  *smtp.Server

	mu      sync.Mutex
	got     []delivery
	rcptErr error // returned for every RCPT TO while set
	dataErr error // returned after DATA while set
	users   map[string]string
	arrived chan struct{}
}

type serverOpt func(*smtp.Server, *smtpServer)

func withTLS(cert tls.Certificate) serverOpt {
	return func(s *smtp.Server, _ *smtpServer) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
}

func withUser(user, pass string) serverOpt {
	return func(_ *smtp.Server, ts *smtpServer) { ts.users[user] = pass }
}

func startSMTP(t *testing.T, opts ...serverOpt) *smtpServer {
	t.Helper()
	ts := &smtpServer{t: t, users: map[string]string{}, arrived: make(chan struct{}, 100)}
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
		t.Fatal(err)
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	host, port, _ := net.SplitHostPort(l.Addr().String())
	ts.host = host
	ts.port, _ = strconv.Atoi(port)
	ts.srv = s
	return ts
}

func (ts *smtpServer) setRcptErr(err error) { ts.mu.Lock(); ts.rcptErr = err; ts.mu.Unlock() }
func (ts *smtpServer) setDataErr(err error) { ts.mu.Lock(); ts.dataErr = err; ts.mu.Unlock() }

func (ts *smtpServer) deliveries() []delivery {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]delivery(nil), ts.got...)
}

// wait blocks until n messages in total have arrived, or fails after a generous bound
// (this only bounds a hang; a passing run never waits for time to pass).
func (ts *smtpServer) wait(n int) []delivery {
	ts.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if d := ts.deliveries(); len(d) >= n {
			return d
		}
		select {
		case <-ts.arrived:
		case <-deadline:
			ts.t.Fatalf("waited for %d messages, have %d", n, len(ts.deliveries()))
		}
	}
}

func (ts *smtpServer) config() SMTPConfig {
	return SMTPConfig{Host: ts.host, Port: ts.port, TLS: TLSNone, Timeout: 10 * time.Second}
}

type session struct {
	ts   *smtpServer
	conn *smtp.Conn
	cur  delivery
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
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
	d.Data = bytes.Clone(b)
	s.ts.got = append(s.ts.got, d)
	s.ts.arrived <- struct{}{}
	return nil
}

func (s *session) Reset() { user := s.cur.User; s.cur = delivery{User: user} }

func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
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
