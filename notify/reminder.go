package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Due is one reminder to send. Key identifies it for MarkReminded and for the loop's own
// memory (e.g. the invitation's ID); it must not contain personal data, since it is logged.
type Due struct {
	Key    string
	Notice Notice // Kind is set to KindReminder by the loop
}

// ReminderSource is what the reminder loop needs from storage. storage has no such query
// yet; the integrator implements it there (a "reminded at" column on invitations and a
// conditional update make it safe across several nodes).
type ReminderSource interface {
	// DueReminders lists the reminders for appointments that start in [from, until) and
	// have not been marked as reminded. The notices carry a join link if the source can
	// mint one; without it the e-mail points to the invitation's link.
	DueReminders(ctx context.Context, from, until time.Time) ([]Due, error)
	// MarkReminded records that the reminder for key went out at the given time.
	MarkReminded(ctx context.Context, key string, at time.Time) error
}

// ReminderConfig configures the reminder loop.
type ReminderConfig struct {
	Source   ReminderSource
	Notifier *Notifier
	// Lead is how long before the start the reminder goes out (default 24 h). An
	// appointment booked later than that gets its reminder at the next tick.
	Lead time.Duration
	// Interval between checks (default 1 min), used only when Tick is nil.
	Interval time.Duration
	// Tick drives the loop; tests send on it. nil: a time.Ticker with Interval.
	Tick <-chan time.Time
	Now  func() time.Time
	// MaxAttempts bounds retries of a temporarily failing reminder (default 5); a
	// permanent failure (invalid address, 5xx) is not retried at all.
	MaxAttempts int
	Logger      *slog.Logger
}

// Reminder sends each due reminder once. Its state (what was sent, what failed) belongs
// to the goroutine running Run; nothing else touches it.
type Reminder struct {
	cfg ReminderConfig
	log *slog.Logger
	// done maps keys already handled (sent, or given up) to when they may be forgotten:
	// one Lead later, when the appointment has begun and is no longer due.
	done     map[string]time.Time
	attempts map[string]int
}

// ReminderStats says what one pass did.
type ReminderStats struct {
	Due, Sent, Failed, GivenUp int
}

// NewReminder checks the configuration.
func NewReminder(cfg ReminderConfig) (*Reminder, error) {
	if cfg.Source == nil || cfg.Notifier == nil {
		return nil, errors.New("reminder: source and notifier are required")
	}
	if cfg.Lead <= 0 {
		cfg.Lead = 24 * time.Hour
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Reminder{cfg: cfg, log: log.With("component", "reminder"), done: map[string]time.Time{}, attempts: map[string]int{}}, nil
}

// Run checks for due reminders at once and then at every tick, until ctx ends.
func (r *Reminder) Run(ctx context.Context) error {
	tick := r.cfg.Tick
	if tick == nil {
		t := time.NewTicker(r.cfg.Interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("reminder pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
		}
	}
}

// RunOnce sends the reminders due now. It must not run concurrently with Run. A failed
// send is left for a later pass (up to MaxAttempts); the error reports only a failure to
// list what is due.
func (r *Reminder) RunOnce(ctx context.Context) (ReminderStats, error) {
	var st ReminderStats
	now := r.cfg.Now()
	for key, forget := range r.done {
		if forget.Before(now) {
			delete(r.done, key)
			delete(r.attempts, key)
		}
	}
	due, err := r.cfg.Source.DueReminders(ctx, now, now.Add(r.cfg.Lead))
	if err != nil {
		return st, fmt.Errorf("list due reminders: %w", err)
	}
	for _, d := range due {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		if _, ok := r.done[d.Key]; ok {
			continue
		}
		st.Due++
		d.Notice.Kind = KindReminder
		err := r.cfg.Notifier.Notify(ctx, d.Notice)
		if err != nil {
			if ctx.Err() != nil {
				return st, ctx.Err() // shutting down: not the reminder's fault
			}
			r.attempts[d.Key]++
			if permanent(err) || r.attempts[d.Key] >= r.cfg.MaxAttempts {
				st.GivenUp++
				r.done[d.Key] = now.Add(r.cfg.Lead)
				r.log.Error("reminder given up", "key", d.Key, "attempts", r.attempts[d.Key], "err", err)
				continue
			}
			st.Failed++
			r.log.Warn("reminder failed, will retry", "key", d.Key, "attempts", r.attempts[d.Key], "err", err)
			continue
		}
		st.Sent++
		// Remember it before marking: if marking fails, this process still never sends
		// it twice; another node might, which is the lesser harm than no reminder.
		r.done[d.Key] = now.Add(r.cfg.Lead)
		if err := r.cfg.Source.MarkReminded(ctx, d.Key, now); err != nil {
			r.log.Error("reminder sent but not marked", "key", d.Key, "err", err)
		}
	}
	return st, nil
}

// permanent reports whether retrying err cannot help: the notice is invalid or the
// server rejected the message for good (5xx). Other errors are retried.
func permanent(err error) bool {
	var se *SendError
	return errors.Is(err, ErrInvalidNotice) || (errors.As(err, &se) && !se.Temporary)
}
