package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/nahbar/nahbar/notify"
	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// reminderLead is how long before the start the citizen's reminder goes out.
const reminderLead = 24 * time.Hour

// reminderSource adapts storage to notify.ReminderSource. It claims each due
// appointment in storage before handing it to the loop, so of several nodes only one
// sends; claimed but not yet sent reminders stay in pending so the loop can retry a
// failed send. pending belongs to the goroutine running the loop.
type reminderSource struct {
	db      *storage.Store
	domain  string // for the calendar UID
	now     func() time.Time
	log     *slog.Logger
	pending map[string]notify.Due
}

func newReminderSource(db *storage.Store, publicURL string, now func() time.Time, log *slog.Logger) *reminderSource {
	domain := "localhost"
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		domain = u.Hostname()
	}
	return &reminderSource{db: db, domain: domain, now: now, log: log, pending: map[string]notify.Due{}}
}

// DueReminders claims the newly due appointments and returns every claimed one not yet
// sent. The notices carry no join link (only its hash is stored): the e-mail points to
// the invitation's link.
func (r *reminderSource) DueReminders(ctx context.Context, from, until time.Time) ([]notify.Due, error) {
	rows, err := r.db.DueReminders(ctx, from, until)
	if err != nil {
		return nil, err
	}
	for _, d := range rows {
		claimed, err := r.db.MarkReminded(ctx, d.AppointmentID, r.now())
		if err != nil {
			return nil, fmt.Errorf("claim reminder of appointment %d: %w", d.AppointmentID, err)
		}
		if claimed {
			r.pending[reminderKey(d.AppointmentID)] = notify.Due{Key: reminderKey(d.AppointmentID), Notice: r.notice(d)}
		}
	}
	out := make([]notify.Due, 0, len(r.pending))
	for key, d := range r.pending {
		if d.Notice.Start.Before(from) { // begun: too late to remind
			delete(r.pending, key)
			continue
		}
		if d.Notice.Start.Before(until) {
			out = append(out, d)
		}
	}
	return out, nil
}

// MarkReminded forgets a sent reminder; storage holds its claim already.
func (r *reminderSource) MarkReminded(_ context.Context, key string, _ time.Time) error {
	delete(r.pending, key)
	return nil
}

func reminderKey(appointmentID uint) string {
	return "appointment-" + strconv.FormatUint(uint64(appointmentID), 10)
}

func (r *reminderSource) notice(d storage.DueReminder) notify.Notice {
	tz, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		r.log.Warn("reminder: unknown tenant time zone, using UTC", "appointment", d.AppointmentID, "zone", d.TimeZone)
		tz = time.UTC
	}
	return notify.Notice{Brand: notify.Brand{Name: d.TenantName, Color: d.TenantColor, LogoURL: d.TenantLogoURL},
		To: notify.Address{Name: d.CitizenName, Email: d.CitizenEmail}, Language: d.CitizenLanguage, Role: "citizen",
		UID: notify.AppointmentUID(d.AppointmentID, r.domain), Sequence: notify.SequenceAt(d.UpdatedAt),
		Start: d.Start, End: d.End, TimeZone: tz, AdvisorName: d.AdvisorName}
}

// startReminders runs the reminder loop when mail is configured and returns what stops
// it (call before the storage closes).
func startReminders(db *storage.Store, mailer web.InviteNotifier, publicURL string, log *slog.Logger) (stop func()) {
	n, ok := mailer.(*notify.Notifier)
	if !ok || n == nil {
		return func() {}
	}
	r, err := notify.NewReminder(notify.ReminderConfig{Source: newReminderSource(db, publicURL, time.Now, log),
		Notifier: n, Lead: reminderLead, Logger: log})
	if err != nil {
		log.Error("reminders disabled", "err", err)
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx)
	}()
	return func() { cancel(); <-done }
}
