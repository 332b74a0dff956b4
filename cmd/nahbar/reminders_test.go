package main

import (
	"bytes"
	"context"
	"github.com/nahbar/nahbar/internal/smtptest"
	"io"
	"log/slog"
	"mime"
	"net/mail"
	"testing"
	"time"

	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/notify"
	"github.com/nahbar/nahbar/storage"
)

// TestReminderOnePerAppointment runs two nodes' reminder loops over one database: the
// appointment due within the lead produces exactly one reminder mail, however often
// they pass.
func TestReminderOnePerAppointment(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db, err := storage.Open(ctx, storage.Config{DataDir: t.TempDir(), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	seeded, err := db.Seed(ctx, storage.Demo{}) // an appointment starting now, citizen@nahbar.local
	if err != nil {
		t.Fatal(err)
	}

	srv := smtptest.Start(t)
	mailer, err := notify.NewSMTP(notify.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: notify.TLSNone, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notify.Config{Catalog: cat, Mailer: mailer, From: notify.Address{Name: "Termine", Email: "termine@amt.example"}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var nodes []*notify.Reminder
	for range 2 {
		r, err := notify.NewReminder(notify.ReminderConfig{Source: newReminderSource(db, "https://termine.amt.example", clock, log),
			Notifier: n, Lead: reminderLead, Now: clock, Tick: make(chan time.Time), Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, r)
	}
	sent := 0
	for range 2 {
		for _, r := range nodes {
			st, err := r.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sent += st.Sent
		}
	}
	got := srv.Deliveries()
	if sent != 1 || len(got) != 1 {
		t.Fatalf("%d sent, %d mails arrived; want exactly one", sent, len(got))
	}
	if to := got[0].To; len(to) != 1 || to[0] != seeded.Appointment.CitizenEmail {
		t.Errorf("reminder went to %v, want %s", to, seeded.Appointment.CitizenEmail)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Erinnerung: Ihr Videotermin am "; len(subject) < len(want) || subject[:len(want)] != want {
		t.Errorf("subject %q", subject)
	}
}

func TestStartRemindersWithoutMail(t *testing.T) {
	startReminders(nil, nil, "", slog.New(slog.NewTextHandler(io.Discard, nil)))() // no SMTP: nothing runs, stop returns
}
