package storage

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestDueReminders(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		ctx := context.Background()
		soon := f.book(t, s, monday(9, 0), 1)
		later := f.book(t, s, monday(10, 0), 2)
		tomorrow := f.book(t, s, monday(9, 0).AddDate(0, 0, 1), 3)
		cancelled := f.book(t, s, monday(11, 0), 4)
		_, err := s.CancelByToken(ctx, cancelled.ManageToken)
		must(t, err)
		_, err = s.CreateGroupSession(ctx, f.advisors[0].ID, GroupSessionRequest{TypeID: f.group.ID,
			AdvisorID: f.advisors[0].ID, Topic: "jobsearch", Language: "de", Start: monday(8, 0)})
		must(t, err)

		ids := func(from, until time.Time) string {
			t.Helper()
			due, err := s.DueReminders(ctx, from, until)
			must(t, err)
			var out []uint
			for _, d := range due {
				out = append(out, d.AppointmentID)
			}
			return fmt.Sprint(out)
		}
		// Window [07:00, 10:00): only the 09:00 one; the group session has no citizen,
		// the cancelled one is not booked, 10:00 is outside.
		if got, want := ids(monday(7, 0), monday(10, 0)), fmt.Sprint([]uint{soon.Appointment.ID}); got != want {
			t.Fatalf("due %s, want %s", got, want)
		}
		due, err := s.DueReminders(ctx, monday(7, 0), monday(7, 0).Add(24*time.Hour))
		must(t, err)
		if len(due) != 2 {
			t.Fatalf("24 h window: %d due, want 2 (09:00 and 10:00)", len(due))
		}
		d := due[0]
		if d.CitizenEmail != "citizen1@example.org" || d.CitizenName != "Citizen 1" || d.CitizenLanguage != "de" ||
			d.TenantName != "Agentur für Arbeit" || d.TimeZone != "Europe/Berlin" || d.AdvisorName != f.advisors[0].Name ||
			!d.Start.Equal(monday(9, 0)) || !d.End.Equal(monday(9, 30)) || d.TenantColor == "" {
			t.Errorf("due reminder %+v", d)
		}

		// The first claim wins, a second (another node) loses; the claimed one is no longer due.
		for i, want := range []bool{true, false} {
			ok, err := s.MarkReminded(ctx, soon.Appointment.ID, monday(7, 1))
			if err != nil || ok != want {
				t.Fatalf("claim %d: %v, %v; want %v", i, ok, err, want)
			}
		}
		if got, want := ids(monday(7, 0), monday(9, 0).AddDate(0, 0, 1).Add(time.Minute)),
			fmt.Sprint([]uint{later.Appointment.ID, tomorrow.Appointment.ID}); got != want {
			t.Errorf("after the claim due %s, want %s", got, want)
		}
	})
}
