package main

import (
	"fmt"
	"log/slog"
	"net/mail"
	"time"

	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/notify"
	"github.com/nahbar/nahbar/web"
)

// newMailer builds the invitation mailer from NAHBAR_SMTP_*; no host means
// no mail (nil, nil): the pages then show the links to pass on.
func newMailer(c smtpConfig, log *slog.Logger) (web.InviteNotifier, error) {
	if c.Host == "" {
		return nil, nil
	}
	smtp, err := notify.NewSMTP(notify.SMTPConfig{Host: c.Host, Port: c.Port, Username: c.User, Password: c.Password,
		Timeout: 30 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, fmt.Errorf("mail: sender NAHBAR_SMTP_FROM %q: %w", c.From, err)
	}
	cat, err := i18n.New()
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	n, err := notify.New(notify.Config{Catalog: cat, Mailer: smtp, From: notify.Address{Name: from.Name, Email: from.Address},
		Logger: log})
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	log.Info("e-mail enabled", "smtp_host", c.Host, "smtp_port", c.Port)
	return n, nil
}
