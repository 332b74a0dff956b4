package notify

import (
	"context"
	"errors"
	"fmt"
	"github.com/nahbar/nahbar/internal/smtptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// memSource is an in-memory ReminderSource, the interface the integrator implements
// over storage. forgetMarks makes it return reminders again after they were marked, to
// show that the loop itself never sends one twice.
type memSource struct {
	mu          sync.Mutex
	items       []Due
	marked      map[string]time.Time
	forgetMarks bool
	listErr     error
	markErr     error
}

func (s *memSource) add(key string, n Notice) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items = append(s.items, Due{Key: key, Notice: n})
}

func (s *memSource) DueReminders(_ context.Context, from, until time.Time) ([]Due, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listErr != nil {
		return nil, s.listErr
	}
	var out []Due
	for _, d := range s.items {
		if _, done := s.marked[d.Key]; done && !s.forgetMarks {
			continue
		}
		if !d.Notice.Start.Before(from) && d.Notice.Start.Before(until) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *memSource) MarkReminded(_ context.Context, key string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.markErr != nil {
		return s.markErr
	}
	s.marked[key] = at
	return nil
}

func (s *memSource) markedKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.marked {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// reminderNotice is a notice for key, starting `in` after now, to its own address.
func reminderNotice(t *testing.T, key string, start time.Time) Notice {
	n := invitation(t, "de")
	n.Kind = 0 // the loop sets it
	n.To = Address{Name: "Person " + key, Email: key + "@example.org"}
	n.Start, n.End = start, start.Add(30*time.Minute)
	return n
}

func recipients(ds []smtptest.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, strings.Join(d.To, ","))
	}
	sort.Strings(out)
	return out
}

func newTestReminder(t *testing.T, src ReminderSource, m Mailer, clk *clock, tick <-chan time.Time) *Reminder {
	t.Helper()
	n := newTestNotifier(t, m)
	r, err := NewReminder(ReminderConfig{Source: src, Notifier: n, Lead: 24 * time.Hour, Now: clk.Now, Tick: tick, MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReminderSendsEachOnce(t *testing.T) {
	srv := smtptest.Start(t)
	clk := &clock{t: testNow}
	src := &memSource{marked: map[string]time.Time{}, forgetMarks: true}
	src.add("a", reminderNotice(t, "a", testNow.Add(2*time.Hour)))     // due
	src.add("b", reminderNotice(t, "b", testNow.Add(30*time.Hour)))    // due after 6 h more
	src.add("c", reminderNotice(t, "c", testNow.Add(23*time.Hour)))    // due
	src.add("d", reminderNotice(t, "d", testNow.Add(-10*time.Minute))) // already running: never
	r := newTestReminder(t, src, newSMTP(t, smtpConfig(srv)), clk, nil)
	ctx := context.Background()

	st, err := r.RunOnce(ctx)
	if err != nil || st.Sent != 2 || st.Due != 2 {
		t.Fatalf("first pass: %+v, %v", st, err)
	}
	if got := recipients(srv.Wait(2)); fmt.Sprint(got) != "[a@example.org c@example.org]" {
		t.Errorf("first pass sent to %v", got)
	}
	m := parseMail(t, srv.Deliveries()[0].Data)
	if !strings.HasPrefix(m.Subject, "Erinnerung: Ihr Videotermin am ") || len(m.Attachments) != 0 {
		t.Errorf("reminder subject %q, %d attachments", m.Subject, len(m.Attachments))
	}

	// The source forgets its marks; the loop still sends nothing twice.
	if st, err := r.RunOnce(ctx); err != nil || st.Sent != 0 || st.Due != 0 {
		t.Errorf("second pass: %+v, %v", st, err)
	}
	clk.Advance(7 * time.Hour)
	if st, err := r.RunOnce(ctx); err != nil || st.Sent != 1 {
		t.Errorf("after 7 h: %+v, %v", st, err)
	}
	if got := recipients(srv.Wait(3)); fmt.Sprint(got) != "[a@example.org b@example.org c@example.org]" {
		t.Errorf("sent to %v", got)
	}
	if got := src.markedKeys(); fmt.Sprint(got) != "[a b c]" {
		t.Errorf("marked %v", got)
	}
	// Long after, the loop's memory has let go of the old keys.
	clk.Advance(48 * time.Hour)
	if _, err := r.RunOnce(ctx); err != nil || len(r.done) != 0 {
		t.Errorf("memory not pruned: %v, %d keys", err, len(r.done))
	}
}

func TestReminderRetriesTemporaryFailures(t *testing.T) {
	srv := smtptest.Start(t)
	clk := &clock{t: testNow}
	src := &memSource{marked: map[string]time.Time{}}
	src.add("a", reminderNotice(t, "a", testNow.Add(time.Hour)))
	r := newTestReminder(t, src, newSMTP(t, smtpConfig(srv)), clk, nil)
	ctx := context.Background()

	srv.SetRcptErr(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "busy"})
	if st, _ := r.RunOnce(ctx); st.Failed != 1 || st.Sent != 0 {
		t.Fatalf("temporary failure: %+v", st)
	}
	if len(src.markedKeys()) != 0 {
		t.Fatal("a failed reminder was marked")
	}
	srv.SetRcptErr(nil)
	if st, _ := r.RunOnce(ctx); st.Sent != 1 {
		t.Fatalf("retry: %+v", st)
	}
	srv.Wait(1)

	// A permanent rejection is not retried; a temporary one only MaxAttempts times.
	src.add("perm", reminderNotice(t, "perm", testNow.Add(time.Hour)))
	srv.SetRcptErr(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	if st, _ := r.RunOnce(ctx); st.GivenUp != 1 {
		t.Errorf("permanent failure: %+v", st)
	}
	src.add("temp", reminderNotice(t, "temp", testNow.Add(time.Hour)))
	srv.SetRcptErr(&smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "later"})
	var passes []ReminderStats
	for range 4 {
		st, _ := r.RunOnce(ctx)
		passes = append(passes, st)
	}
	want := []ReminderStats{{Due: 1, Failed: 1}, {Due: 1, Failed: 1}, {Due: 1, GivenUp: 1}, {}}
	if fmt.Sprint(passes) != fmt.Sprint(want) {
		t.Errorf("passes %v, want %v", passes, want)
	}
	if len(srv.Deliveries()) != 1 {
		t.Errorf("%d deliveries", len(srv.Deliveries()))
	}
}

func TestReminderSourceErrors(t *testing.T) {
	srv := smtptest.Start(t)
	clk := &clock{t: testNow}
	src := &memSource{marked: map[string]time.Time{}, listErr: errors.New("database is down")}
	src.add("a", reminderNotice(t, "a", testNow.Add(time.Hour)))
	r := newTestReminder(t, src, newSMTP(t, smtpConfig(srv)), clk, nil)
	if _, err := r.RunOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "database is down") {
		t.Errorf("list error: %v", err)
	}
	// Sent but not marked: this process still never sends it again.
	src.listErr, src.markErr, src.forgetMarks = nil, errors.New("read-only"), true
	for range 2 {
		if _, err := r.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(srv.Wait(1)); n != 1 {
		t.Errorf("%d deliveries", n)
	}
}

// TestReminderRunLoop drives Run with an injected ticker and clock.
func TestReminderRunLoop(t *testing.T) {
	srv := smtptest.Start(t)
	clk := &clock{t: testNow}
	src := &memSource{marked: map[string]time.Time{}}
	src.add("a", reminderNotice(t, "a", testNow.Add(time.Hour)))
	tick := make(chan time.Time)
	r := newTestReminder(t, src, newSMTP(t, smtpConfig(srv)), clk, tick)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	srv.Wait(1) // the first pass runs at once
	src.add("b", reminderNotice(t, "b", testNow.Add(25*time.Hour)))
	tick <- clk.Advance(2 * time.Hour) // b is now 23 h away
	if got := recipients(srv.Wait(2)); fmt.Sprint(got) != "[a@example.org b@example.org]" {
		t.Errorf("sent to %v", got)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	if len(srv.Deliveries()) != 2 {
		t.Errorf("%d deliveries", len(srv.Deliveries()))
	}
}

func TestNewReminderNeedsSourceAndNotifier(t *testing.T) {
	if _, err := NewReminder(ReminderConfig{}); err == nil {
		t.Error("empty config accepted")
	}
}
