package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// race fires n Book calls at the same slot at once and sorts the outcomes.
func race(t *testing.T, s *Store, f fixture, start time.Time, n int) (won []Booking, taken int, other []error) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	gate := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			b, err := s.Book(context.Background(), BookRequest{TypeID: f.oneToOne.ID, Topic: "jobsearch",
				Language: "de", Start: start, Citizen: citizen(100 + i)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, b)
			case errors.Is(err, ErrSlotTaken):
				taken++
			default:
				other = append(other, err)
			}
		}(i)
	}
	close(gate)
	wg.Wait()
	return won, taken, other
}

func bookedAt(t *testing.T, s *Store, start time.Time) int64 {
	t.Helper()
	var n int64
	must(t, s.rdb.Model(&Appointment{}).Where("starts_at = ? AND status = ?", dbTime(start), StatusBooked).Count(&n).Error)
	return n
}

// TestBookRaceLastCapacityUnit: five advisors are free, but the media capacity has one
// unit left; 50 citizens click "book" at once. Exactly one gets it.
func TestBookRaceLastCapacityUnit(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob(), deJob(), deJob(), deJob(), deJob())
		must(t, s.SetCapacity(context.Background(), f.tenant.ID, 0, 3))
		f.book(t, s, monday(9, 0), 1)
		f.book(t, s, monday(9, 0), 2)

		won, taken, other := race(t, s, f, monday(9, 0), 50)
		if len(won) != 1 || taken != 49 || len(other) != 0 {
			t.Fatalf("%d booked, %d slot-taken, other errors %v; want 1, 49, none", len(won), taken, other)
		}
		if n := bookedAt(t, s, monday(9, 0)); n != 3 {
			t.Fatalf("%d appointments booked at 09:00 with capacity 3", n)
		}
		t.Logf("%s: 50 concurrent bookings for the last unit: 1 booked, %d ErrSlotTaken", s.Driver(), taken)
	})
}

// TestBookRaceAdvisorDoubleBooking: plenty of capacity, one advisor; 50 at once.
func TestBookRaceAdvisorDoubleBooking(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		won, taken, other := race(t, s, f, monday(10, 30), 50)
		if len(won) != 1 || taken != 49 || len(other) != 0 {
			t.Fatalf("%d booked, %d slot-taken, other errors %v; want 1, 49, none", len(won), taken, other)
		}
		if n := bookedAt(t, s, monday(10, 30)); n != 1 {
			t.Fatalf("advisor double-booked: %d appointments at 10:30", n)
		}
	})
}

func TestBook(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		ctx := context.Background()
		req := func(start time.Time) BookRequest {
			return BookRequest{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: "de", Start: start, Citizen: citizen(1)}
		}
		b, err := s.Book(ctx, req(monday(8, 30)))
		must(t, err)
		a := b.Appointment
		if a.AdvisorID != f.advisors[0].ID || !a.Start.Equal(monday(8, 30)) || !a.End.Equal(monday(9, 0)) ||
			a.Status != StatusBooked || a.MediaUnits != 1 || a.CitizenEmail != "citizen1@example.org" {
			t.Fatalf("unexpected appointment %+v", a)
		}
		if b.Invitation.Role != InviteCitizen || !b.Invitation.ValidFrom.Equal(monday(8, 0)) ||
			!b.Invitation.ValidUntil.Equal(monday(10, 0)) {
			t.Fatalf("citizen invitation window %v–%v, want 08:00–10:00", b.Invitation.ValidFrom, b.Invitation.ValidUntil)
		}
		for _, tc := range []struct {
			name string
			req  BookRequest
			want error
		}{
			{"same slot again", req(monday(8, 30)), ErrSlotTaken},
			{"overlapping slot", req(monday(8, 45)), ErrSlotTaken},
			{"outside working hours", req(monday(12, 0)), ErrSlotNotOffered},
			{"runs past working hours", req(monday(11, 45)), ErrSlotNotOffered},
			{"in the past", req(monday(6, 0)), ErrSlotNotOffered},
			{"Saturday", req(monday(9, 0).AddDate(0, 0, 5)), ErrSlotNotOffered},
			{"not a whole minute", req(monday(9, 0).Add(time.Second)), ErrInvalid},
			{"bad e-mail", BookRequest{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: "de", Start: monday(9, 0),
				Citizen: Contact{Name: "X", Email: "not-an-address", Language: "de"}}, ErrInvalid},
			{"empty name", BookRequest{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: "de", Start: monday(9, 0),
				Citizen: Contact{Name: "  ", Email: "x@example.org", Language: "de"}}, ErrInvalid},
			{"group type", BookRequest{TypeID: f.group.ID, Topic: "jobsearch", Language: "de", Start: monday(9, 0),
				Citizen: citizen(2)}, ErrInvalid},
			{"unknown type", BookRequest{TypeID: 4242, Topic: "jobsearch", Language: "de", Start: monday(9, 0),
				Citizen: citizen(2)}, ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := s.Book(ctx, tc.req); !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
			})
		}
	})
}

// TestTokensAreStoredHashed reads every column of the rows a booking and an extra
// invitation wrote and looks for the raw tokens.
func TestTokensAreStoredHashed(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		b := f.book(t, s, monday(9, 0), 1)
		_, extra, err := s.Invite(context.Background(), f.advisors[0].ID, NewInvitation{AppointmentID: b.Appointment.ID,
			Role: InviteInterpreter, DisplayName: "Interpreter"})
		must(t, err)
		tokens := []string{b.ManageToken, b.JoinToken, extra}
		for _, tok := range tokens {
			if len(tok) != 22 {
				t.Fatalf("token %q is not 128 bits in base64url", tok)
			}
		}
		for _, table := range []string{"appointments", "invitations", "audit_entries"} {
			rows, err := s.rdb.Raw("SELECT * FROM " + table).Rows()
			must(t, err)
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				must(t, rows.Scan(ptrs...))
				for i, v := range vals {
					cell := fmt.Sprint(v)
					if b, ok := v.([]byte); ok {
						cell = string(b)
					}
					for _, tok := range tokens {
						if strings.Contains(cell, tok) {
							t.Fatalf("raw token stored in %s.%s", table, cols[i])
						}
					}
				}
			}
			must(t, rows.Close())
		}
		want := func(tok string) string {
			raw, err := tokenEncoding.DecodeString(tok)
			must(t, err)
			sum := sha256.Sum256(raw)
			return hex.EncodeToString(sum[:])
		}
		var a Appointment
		must(t, s.rdb.Take(&a, b.Appointment.ID).Error)
		if a.ManageTokenHash == nil || *a.ManageTokenHash != want(b.ManageToken) {
			t.Fatalf("manage_token_hash is not the SHA-256 of the token")
		}
		var n int64
		must(t, s.rdb.Model(&Invitation{}).Where("token_hash IN ?", []string{want(b.JoinToken), want(extra)}).Count(&n).Error)
		if n != 2 {
			t.Fatalf("%d invitations found by SHA-256 of their tokens, want 2", n)
		}
	})
}

func TestCancelAndRescheduleByToken(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		ctx := context.Background()
		b := f.book(t, s, monday(9, 0), 1)

		// Reschedule to 10:00: same advisor, same links, invitation window moves along.
		a, err := s.RescheduleByToken(ctx, b.ManageToken, monday(10, 0))
		must(t, err)
		if !a.Start.Equal(monday(10, 0)) || !a.End.Equal(monday(10, 30)) || a.AdvisorID != f.advisors[0].ID {
			t.Fatalf("rescheduled to %v–%v with advisor %d", a.Start, a.End, a.AdvisorID)
		}
		inv, _, err := s.InvitationByToken(ctx, b.JoinToken)
		must(t, err)
		if !inv.ValidFrom.Equal(monday(9, 30)) || !inv.ValidUntil.Equal(monday(11, 30)) {
			t.Fatalf("invitation window %v–%v after reschedule, want 09:30–11:30", inv.ValidFrom, inv.ValidUntil)
		}
		// 09:00 is free again, 10:00 is taken.
		slots, err := s.FreeSlots(ctx, SlotQuery{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: "de",
			From: monday(9, 0), To: monday(10, 30)})
		must(t, err)
		if got := hhmm(slots, f); fmt.Sprint(got) != "[09:00[0] 09:30[0]]" {
			t.Fatalf("slots after reschedule %v", got)
		}
		// Moving onto its own time plus a bit (overlapping itself) works.
		_, err = s.RescheduleByToken(ctx, b.ManageToken, monday(10, 15))
		must(t, err)

		other := f.book(t, s, monday(11, 0), 2)
		for _, tc := range []struct {
			name  string
			token string
			start time.Time
			want  error
		}{
			{"onto another booking", b.ManageToken, monday(11, 0), ErrSlotTaken},
			{"outside working hours", b.ManageToken, monday(13, 0), ErrSlotNotOffered},
			{"garbage token", "not-a-token", monday(9, 0), ErrInvalidToken},
			{"unknown token", "AAAAAAAAAAAAAAAAAAAAAA", monday(9, 0), ErrInvalidToken},
			{"join token is not a manage token", b.JoinToken, monday(9, 0), ErrInvalidToken},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := s.RescheduleByToken(ctx, tc.token, tc.start); !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
			})
		}

		// Cancel: status, freed slot, dead join link, no second cancel.
		a, err = s.CancelByToken(ctx, b.ManageToken)
		must(t, err)
		if a.Status != StatusCancelled {
			t.Fatalf("status %s after cancel", a.Status)
		}
		if _, err := s.CancelByToken(ctx, b.ManageToken); !errors.Is(err, ErrCancelled) {
			t.Fatalf("second cancel: %v", err)
		}
		if _, _, err := s.InvitationByToken(ctx, b.JoinToken); !errors.Is(err, ErrCancelled) {
			t.Fatalf("join link of a cancelled appointment: %v", err)
		}
		if _, err := s.RescheduleByToken(ctx, b.ManageToken, monday(9, 0)); !errors.Is(err, ErrCancelled) {
			t.Fatalf("reschedule of a cancelled appointment: %v", err)
		}
		f.book(t, s, monday(10, 0), 3) // the freed time is bookable

		// Once it has started, the citizen can no longer change it.
		clk.Set(monday(11, 5))
		if _, err := s.CancelByToken(ctx, other.ManageToken); !errors.Is(err, ErrTooLate) {
			t.Fatalf("cancel after start: %v", err)
		}
	})
}

// TestRescheduleRaceOnLastSlot: two citizens move their appointments onto the one
// free time of the only advisor at once; one wins.
func TestRescheduleRace(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		var tokens []string
		for i, h := range []int{8, 9, 10} {
			tokens = append(tokens, f.book(t, s, monday(h, 0), i).ManageToken)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(tokens))
		for i, tok := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.RescheduleByToken(context.Background(), tok, monday(11, 30))
			}()
		}
		wg.Wait()
		ok, taken := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrSlotTaken):
				taken++
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if ok != 1 || taken != 2 || bookedAt(t, s, monday(11, 30)) != 1 {
			t.Fatalf("%d moved, %d taken, %d at 11:30", ok, taken, bookedAt(t, s, monday(11, 30)))
		}
	})
}
