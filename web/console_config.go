package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/notify"
)

// InviteNotifier sends an invitation e-mail; *notify.Notifier implements it.
// Declared here so the console works (showing links to copy) without mail.
type InviteNotifier interface {
	Notify(ctx context.Context, n notify.Notice) error
}

// ConsoleConfig configures the advisor console and the admin pages under
// /console. They are mounted when Config.Storage is set and admit from
// Config.Lobby, the waiting room the citizens' pages and the Authorizer use.
type ConsoleConfig struct {
	// Mailer sends invitations to extra participants; nil: the console shows
	// the link to copy instead.
	Mailer InviteNotifier
	// Catalog translates the console; nil: the embedded catalogue (i18n.New).
	Catalog *i18n.Catalog
	// InvitePath is where an invitation token is opened, e.g. "/i/" (default).
	InvitePath string
	// Now and Rand are injected so tests drive expiry and reproduce ids.
	Now  func() time.Time
	Rand io.Reader
	// SessionIdle ends a session nobody used for that long (default 30 min);
	// SessionMax ends any session after that long (default 10 h, a work day).
	SessionIdle, SessionMax time.Duration
	// MaxSessions bounds memory (default 10,000).
	MaxSessions int
	// LoginFailures failed logins of one account within LoginWindow block
	// that account until the window has passed (defaults 5 and 15 min);
	// LoginFailuresPerIP (default 20) do the same for a client address, set
	// higher because an office's advisors often share one address.
	LoginFailures, LoginFailuresPerIP int
	LoginWindow                       time.Duration
	// AdvisorTokenTTL is how long an advisor's call link works (default 4 h).
	AdvisorTokenTTL time.Duration
}

func (c *ConsoleConfig) setDefaults() error {
	if c.InvitePath == "" {
		c.InvitePath = "/i/"
	}
	if c.InvitePath[0] != '/' || c.InvitePath[len(c.InvitePath)-1] != '/' {
		return fmt.Errorf("web console config: InvitePath %q must start and end with /", c.InvitePath)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = 30 * time.Minute
	}
	if c.SessionMax <= 0 {
		c.SessionMax = 10 * time.Hour
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = 10_000
	}
	if c.LoginFailures <= 0 {
		c.LoginFailures = 5
	}
	if c.LoginFailuresPerIP <= 0 {
		c.LoginFailuresPerIP = 20
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = 15 * time.Minute
	}
	if c.AdvisorTokenTTL <= 0 {
		c.AdvisorTokenTTL = 4 * time.Hour
	}
	return nil
}
