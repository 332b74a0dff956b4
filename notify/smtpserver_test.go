package notify

import (
	"time"

	"github.com/nahbar/nahbar/internal/smtptest"
)

// smtpConfig points the notifier at a test server, without TLS.
func smtpConfig(ts *smtptest.Server) SMTPConfig {
	return SMTPConfig{Host: ts.Host, Port: ts.Port, TLS: TLSNone, Timeout: 10 * time.Second}
}
