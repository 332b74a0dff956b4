package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// TLSPolicy says how the connection to the SMTP server is protected.
type TLSPolicy string

// TLS policies.
const (
	TLSStartTLS      TLSPolicy = "starttls"      // STARTTLS required (default); never sends in clear
	TLSImplicit      TLSPolicy = "tls"           // TLS from the first byte (SMTPS, usually port 465)
	TLSOpportunistic TLSPolicy = "opportunistic" // STARTTLS if offered, else clear text
	TLSNone          TLSPolicy = "none"          // clear text: only for a relay on the same host
)

// SMTPConfig configures the SMTP mailer.
type SMTPConfig struct {
	Host      string
	Port      int    // default 587, or 465 for TLSImplicit
	Username  string // empty: no authentication
	Password  string
	TLS       TLSPolicy   // default TLSStartTLS
	TLSConfig *tls.Config // optional: own roots or ServerName; default verifies against the system roots
	// Timeout bounds connecting and each SMTP command (default 30 s), so a hanging
	// server cannot stall the reminder loop or a booking request.
	Timeout time.Duration
	HELO    string // name announced in EHLO; default "localhost"
}

// SMTP sends e-mails through an SMTP server, one connection per message. It is safe for
// concurrent use.
type SMTP struct {
	client *mail.Client
	host   string
}

// NewSMTP validates cfg and prepares the client; it does not connect yet.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: no host configured")
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.HELO == "" {
		cfg.HELO = "localhost"
	}
	if cfg.Port == 0 {
		cfg.Port = 587
		if cfg.TLS == TLSImplicit {
			cfg.Port = 465
		}
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("smtp: port %d out of range", cfg.Port)
	}
	opts := []mail.Option{
		mail.WithPort(cfg.Port),
		mail.WithTimeout(cfg.Timeout),
		mail.WithHELO(cfg.HELO),
	}
	switch cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case TLSImplicit:
		opts = append(opts, mail.WithSSL(), mail.WithTLSPolicy(mail.NoTLS))
	default:
		return nil, fmt.Errorf("smtp: unknown TLS policy %q (want starttls, tls, opportunistic or none)", cfg.TLS)
	}
	if cfg.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(cfg.TLSConfig))
	} else {
		opts = append(opts, mail.WithTLSConfig(&tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}))
	}
	if cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	c, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp: configure client for %s: %w", cfg.Host, err)
	}
	return &SMTP{client: c, host: fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)}, nil
}

// Send delivers e. On error the message was not accepted (a server that rejects it after
// DATA has not queued it either), so the caller may retry; see SendError.
func (s *SMTP) Send(ctx context.Context, e *Email) error {
	m, err := e.message()
	if err != nil {
		return fmt.Errorf("build %s e-mail: %w", e.Kind, err)
	}
	if err := s.client.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("smtp %s: %w", s.host, newSendError(err))
	}
	return nil
}

// SendError is a failed SMTP delivery, described without personal data: go-mail's own
// error text lists the recipient's address, and servers often repeat it, so Error()
// reports only the stage and the status codes. Unwrap still gives the full error.
type SendError struct {
	Stage     string // "connect", "sender", "recipient", "data", …
	Code      int    // SMTP reply code, 0 if none (e.g. a connection failure)
	Enhanced  string // enhanced status code such as "5.7.1", if the server sent one
	Temporary bool   // 4xx or a connection problem: trying again later may work
	err       error
}

func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString(e.Stage)
	b.WriteString(" failed")
	if e.Code != 0 {
		fmt.Fprintf(&b, ": %d", e.Code)
		if e.Enhanced != "" {
			b.WriteString(" " + e.Enhanced)
		}
	} else if e.Stage == "connect" {
		b.WriteString(": " + e.err.Error())
	}
	if e.Temporary {
		b.WriteString(" (temporary)")
	}
	return b.String()
}

func (e *SendError) Unwrap() error { return e.err }

// Temporary reports whether err is a delivery failure worth retrying later (a 4xx reply
// or no connection), as opposed to a permanent rejection or an invalid notice.
func Temporary(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Temporary
}

func newSendError(err error) *SendError {
	var me *mail.SendError
	if !errors.As(err, &me) {
		// Dialling, TLS or authentication failed: the texts name hosts, not people.
		return &SendError{Stage: "connect", Temporary: true, err: err}
	}
	se := &SendError{Code: me.ErrorCode(), Enhanced: me.EnhancedStatusCode(), Temporary: me.IsTemp(), err: err}
	switch me.Reason {
	case mail.ErrSMTPMailFrom:
		se.Stage = "sender"
	case mail.ErrSMTPRcptTo:
		se.Stage = "recipient"
	case mail.ErrSMTPData, mail.ErrSMTPDataClose, mail.ErrWriteContent:
		se.Stage = "data"
	case mail.ErrConnCheck:
		se.Stage, se.Temporary = "connection", true
	default:
		se.Stage = "send"
	}
	return se
}
