package storage

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestInvitationWindowAndIsolation(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		ctx := context.Background()
		a := f.book(t, s, monday(9, 0), 1)
		b := f.book(t, s, monday(11, 0), 2)
		interp, interpTok, err := s.Invite(ctx, f.advisors[0].ID, NewInvitation{AppointmentID: a.Appointment.ID,
			Role: InviteInterpreter, DisplayName: "Dolmetscherin", Email: "dolm@example.org", Language: "ar"})
		must(t, err)

		type check struct {
			name  string
			at    time.Time
			token string
			want  error
			appt  uint
			role  InvitationRole
		}
		for _, c := range []check{
			{"too early", monday(8, 29), a.JoinToken, ErrTokenNotYetValid, 0, ""},
			{"opens 30 min before", monday(8, 30), a.JoinToken, nil, a.Appointment.ID, InviteCitizen},
			{"interpreter of A opens A", monday(9, 10), interpTok, nil, a.Appointment.ID, InviteInterpreter},
			{"token of B opens B, not A", monday(10, 45), b.JoinToken, nil, b.Appointment.ID, InviteCitizen},
			{"closes an hour after the end", monday(10, 31), a.JoinToken, ErrTokenExpired, 0, ""},
			{"manage token does not join", monday(9, 0), a.ManageToken, ErrInvalidToken, 0, ""},
			{"malformed", monday(9, 0), "' OR 1=1 --", ErrInvalidToken, 0, ""},
			{"empty", monday(9, 0), "", ErrInvalidToken, 0, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				clk.Set(c.at)
				inv, appt, err := s.AuthorizeInvitation(ctx, c.token)
				if !errors.Is(err, c.want) {
					t.Fatalf("got %v, want %v", err, c.want)
				}
				if c.want == nil && (appt.ID != c.appt || inv.Role != c.role) {
					t.Fatalf("token opened appointment %d as %s, want %d as %s", appt.ID, inv.Role, c.appt, c.role)
				}
			})
		}

		clk.Set(monday(9, 0))
		must(t, s.RevokeInvitation(ctx, f.advisors[0].ID, interp.ID))
		if _, _, err := s.AuthorizeInvitation(ctx, interpTok); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("revoked invitation: %v", err)
		}
		invs, err := s.Invitations(ctx, a.Appointment.ID)
		must(t, err)
		if len(invs) != 2 || invs[1].RevokedAt == nil {
			t.Fatalf("invitations %+v", invs)
		}
		log, err := s.AuditLog(ctx, f.tenant.ID, 10)
		must(t, err)
		if len(log) != 2 || log[0].Action != "invitation.revoke" || log[1].Action != "invitation.create.interpreter" ||
			log[1].ActorID != f.advisors[0].ID {
			t.Fatalf("audit log %+v", log)
		}

		must(t, s.SetAppointmentStatus(ctx, f.advisors[0].ID, a.Appointment.ID, StatusDone))
		if _, _, err := s.AuthorizeInvitation(ctx, a.JoinToken); !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("invitation of a finished appointment: %v", err)
		}
		if _, _, err := s.Invite(ctx, f.advisors[0].ID, NewInvitation{AppointmentID: a.Appointment.ID,
			Role: InviteCounsel, DisplayName: "Late"}); !errors.Is(err, ErrTooLate) {
			t.Fatalf("invite to a finished appointment: %v", err)
		}
		if _, _, err := s.Invite(ctx, f.advisors[0].ID, NewInvitation{AppointmentID: b.Appointment.ID,
			Role: "boss", DisplayName: "X"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("invite with unknown role: %v", err)
		}
	})
}

func TestGroupSessionSeats(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		ctx := context.Background()
		sess, err := s.CreateGroupSession(ctx, f.advisors[0].ID, GroupSessionRequest{TypeID: f.group.ID,
			AdvisorID: f.advisors[0].ID, Topic: "jobsearch", Language: "de", Start: monday(14, 0)})
		must(t, err)
		if sess.SeatLimit != 5 || sess.MediaUnits != 5 {
			t.Fatalf("session %+v", sess)
		}
		// The advisor cannot be in two places.
		if _, err := s.CreateGroupSession(ctx, f.advisors[0].ID, GroupSessionRequest{TypeID: f.group.ID,
			AdvisorID: f.advisors[0].ID, Topic: "jobsearch", Language: "de", Start: monday(14, 30)}); !errors.Is(err, ErrSlotTaken) {
			t.Fatalf("overlapping session: %v", err)
		}

		// 50 attendees register at once for 5 seats.
		type result struct {
			r   Registration
			err error
		}
		results := make(chan result, 50)
		gate := make(chan struct{})
		for i := 0; i < 50; i++ {
			go func() {
				<-gate
				r, err := s.Register(ctx, sess.ID, citizen(i))
				results <- result{r, err}
			}()
		}
		close(gate)
		var got []Registration
		full := 0
		for i := 0; i < 50; i++ {
			res := <-results
			switch {
			case res.err == nil:
				got = append(got, res.r)
			case errors.Is(res.err, ErrSessionFull):
				full++
			default:
				t.Fatalf("register: %v", res.err)
			}
		}
		if len(got) != 5 || full != 45 {
			t.Fatalf("%d registered, %d full; want 5 and 45", len(got), full)
		}
		open, err := s.OpenGroupSessions(ctx, f.tenant.ID, monday(0, 0), monday(24, 0), "de")
		must(t, err)
		if len(open) != 0 {
			t.Fatalf("full session still listed as open: %+v", open)
		}

		// A cancelled seat reopens; the attendee's link dies.
		must(t, s.CancelRegistration(ctx, got[0].JoinToken))
		clk.Set(monday(14, 0))
		if _, _, err := s.AuthorizeInvitation(ctx, got[0].JoinToken); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("cancelled registration's link: %v", err)
		}
		inv, _, err := s.AuthorizeInvitation(ctx, got[1].JoinToken)
		must(t, err)
		if inv.Role != InviteAttendee {
			t.Fatalf("attendee joins as %s", inv.Role)
		}
		clk.Set(monday(7, 0))
		open, err = s.OpenGroupSessions(ctx, f.tenant.ID, monday(0, 0), monday(24, 0), "")
		must(t, err)
		if len(open) != 1 || open[0].SeatsLeft != 1 {
			t.Fatalf("open sessions %+v, want one with 1 seat", open)
		}
		if _, err := s.Register(ctx, sess.ID, Contact{Name: "X", Email: "bad", Language: "de"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("register with bad e-mail: %v", err)
		}
		clk.Set(monday(14, 1))
		if _, err := s.Register(ctx, sess.ID, citizen(99)); !errors.Is(err, ErrTooLate) {
			t.Fatalf("register after start: %v", err)
		}
	})
}

// TestInvitationByTokenCancelled: the holder of a real link to a cancelled
// appointment gets the appointment (so the page can name the authority and its
// contact); an unknown or revoked token still gets nothing at all.
func TestInvitationByTokenCancelled(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		ctx := context.Background()
		a := f.book(t, s, monday(9, 0), 1)
		clk.Set(monday(8, 0))
		must(t, s.SetAppointmentStatus(ctx, f.advisors[0].ID, a.Appointment.ID, StatusCancelled))
		tests := []struct {
			name     string
			token    string
			want     error
			wantAppt uint
		}{
			{"real link of a cancelled appointment", a.JoinToken, ErrCancelled, a.Appointment.ID},
			{"unknown token", "AAAAAAAAAAAAAAAAAAAAAA", ErrInvalidToken, 0},
			{"manage token", a.ManageToken, ErrInvalidToken, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				inv, appt, err := s.InvitationByToken(ctx, tt.token)
				if !errors.Is(err, tt.want) {
					t.Fatalf("got %v, want %v", err, tt.want)
				}
				if appt.ID != tt.wantAppt || appt.TenantID != 0 && appt.TenantID != f.tenant.ID {
					t.Fatalf("appointment %d of tenant %d, want %d", appt.ID, appt.TenantID, tt.wantAppt)
				}
				if tt.wantAppt == 0 && (inv.ID != 0 || appt.CitizenName != "") {
					t.Fatalf("a wrong token learned invitation %d / %q", inv.ID, appt.CitizenName)
				}
				// Admission never lets a cancelled appointment through, and returns nothing.
				if inv, appt, err := s.AuthorizeInvitation(ctx, tt.token); err == nil || inv.ID != 0 || appt.ID != 0 {
					t.Fatalf("authorize: %v, invitation %d, appointment %d", err, inv.ID, appt.ID)
				}
			})
		}
	})
}
