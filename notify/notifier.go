package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nahbar/nahbar/i18n"
)

// Mailer delivers a composed e-mail. An error means the e-mail was not accepted and the
// caller still holds everything needed to try again.
type Mailer interface {
	Send(ctx context.Context, e *Email) error
}

// Config wires a Notifier.
type Config struct {
	Catalog *i18n.Catalog // translations; required
	Mailer  Mailer        // delivery; required for Notify, not for Compose
	From    Address       // sender and calendar ORGANIZER, e.g. {"Terminservice", "termine@amt.example"}
	Now     func() time.Time
	Logger  *slog.Logger
}

// Notifier composes appointment e-mails and hands them to a Mailer. It holds no state
// between calls and is safe for concurrent use.
type Notifier struct {
	cat    *i18n.Catalog
	mailer Mailer
	from   Address
	now    func() time.Time
	log    *slog.Logger
}

// New checks the configuration and returns a Notifier.
func New(cfg Config) (*Notifier, error) {
	if cfg.Catalog == nil {
		return nil, errors.New("notify: config has no i18n catalog")
	}
	from, err := cleanAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: sender address: %w", err)
	}
	n := &Notifier{cat: cfg.Catalog, mailer: cfg.Mailer, from: from, now: cfg.Now, log: cfg.Logger}
	if n.now == nil {
		n.now = time.Now
	}
	if n.log == nil {
		n.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return n, nil
}

// Compose renders the e-mail for a notice without sending it (for previews and tests).
// Errors wrap ErrInvalidNotice when the notice itself is wrong.
func (n *Notifier) Compose(notice Notice) (*Email, error) {
	v, err := notice.validate()
	if err != nil {
		return nil, err
	}
	return compose(n.cat, n.from, n.now().UTC().Truncate(time.Second), v)
}

// Notify composes and sends one e-mail. On error nothing was delivered and the call can
// be repeated; errors.Is(err, ErrInvalidNotice) means repeating will not help.
func (n *Notifier) Notify(ctx context.Context, notice Notice) error {
	if n.mailer == nil {
		return errors.New("notify: no mailer configured")
	}
	e, err := n.Compose(notice)
	if err != nil {
		return fmt.Errorf("compose %s: %w", notice.Kind, err)
	}
	if err := n.mailer.Send(ctx, e); err != nil {
		return fmt.Errorf("send %s: %w", notice.Kind, err)
	}
	// The appointment's UID identifies the message in the log without personal data.
	n.log.Info("e-mail sent", "kind", notice.Kind.String(), "uid", cleanLine(notice.UID, 255), "lang", e.Lang)
	return nil
}
