package storage

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestPurge checks that retention removes exactly the citizen data it should and
// leaves everything else.
func TestPurge(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		ctx := context.Background()
		old := f.book(t, s, monday(9, 0), 1)
		_, _, err := s.Invite(ctx, f.advisors[0].ID, NewInvitation{AppointmentID: old.Appointment.ID,
			Role: InviteGuardian, DisplayName: "Guardian", Email: "guardian@example.org"})
		must(t, err)
		sess, err := s.CreateGroupSession(ctx, f.advisors[0].ID, GroupSessionRequest{TypeID: f.group.ID,
			AdvisorID: f.advisors[0].ID, Topic: "jobsearch", Language: "de", Start: monday(14, 0)})
		must(t, err)
		_, err = s.Register(ctx, sess.ID, citizen(7))
		must(t, err)
		future := f.book(t, s, monday(9, 0).AddDate(0, 0, 42), 2)
		clk.Set(monday(9, 40))
		must(t, s.SubmitSurvey(ctx, old.JoinToken, SurveyAnswers{EasyToUse: AnswerYes}))
		_, err = s.RecordCall(ctx, CallRecord{AppointmentID: &old.Appointment.ID, RoomID: "r1", Start: monday(9, 0),
			End: monday(9, 25), Advisors: 1, Citizens: 1, Guardians: 1, TierShares: TierShares{"high": 0.9, "low": 0.1}})
		must(t, err)
		auditBefore := count(t, s, &AuditEntry{})

		// 20 days later: the old links are past their grace and go; contact data stays.
		rep, err := s.Purge(ctx, monday(9, 0).AddDate(0, 0, 20))
		must(t, err)
		if rep != (PurgeReport{Appointments: 0, Invitations: 3, Registrations: 1}) {
			t.Fatalf("purge after 20 days: %+v", rep)
		}
		if _, _, err := s.InvitationByToken(ctx, old.JoinToken); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("purged invitation still resolves: %v", err)
		}
		a, err := s.Appointment(ctx, old.Appointment.ID)
		must(t, err)
		if a.CitizenEmail == "" || a.ContactPurgedAt != nil {
			t.Fatal("contact data purged before the retention period")
		}

		// 31 days later: the old appointment's contact goes, the future one stays whole.
		purgeAt := monday(9, 0).AddDate(0, 0, 31)
		rep, err = s.Purge(ctx, purgeAt)
		must(t, err)
		if rep != (PurgeReport{Appointments: 2, Invitations: 0, Registrations: 0}) {
			t.Fatalf("purge after 31 days: %+v", rep)
		}
		a, err = s.Appointment(ctx, old.Appointment.ID)
		must(t, err)
		if a.CitizenName != "" || a.CitizenEmail != "" || a.ManageTokenHash != nil || a.ContactPurgedAt == nil ||
			!a.ContactPurgedAt.Equal(purgeAt) {
			t.Fatalf("old appointment after purge: %+v", a)
		}
		if a.Status != StatusBooked || a.AdvisorID != f.advisors[0].ID || !a.Start.Equal(monday(9, 0)) {
			t.Fatal("purge changed what is not personal data")
		}
		if _, err := s.AppointmentByManageToken(ctx, old.ManageToken); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("manage link of a purged appointment: %v", err)
		}
		fut, err := s.Appointment(ctx, future.Appointment.ID)
		must(t, err)
		if fut.CitizenEmail != "citizen2@example.org" || fut.ManageTokenHash == nil || len(fut.Invitations) != 1 {
			t.Fatalf("future appointment touched by purge: %+v", fut)
		}
		if _, err := s.AppointmentByManageToken(ctx, future.ManageToken); err != nil {
			t.Fatalf("future manage link: %v", err)
		}
		for _, c := range []struct {
			model any
			want  int64
		}{
			{&SurveyResponse{}, 1}, {&CallRecord{}, 1}, {&AuditEntry{}, auditBefore}, {&Appointment{}, 3},
			{&Advisor{}, 1}, {&Tenant{}, 1},
		} {
			if n := count(t, s, c.model); n != c.want {
				t.Fatalf("%T: %d rows after purge, want %d", c.model, n, c.want)
			}
		}

		// Idempotent.
		rep, err = s.Purge(ctx, purgeAt.Add(time.Hour))
		must(t, err)
		if rep != (PurgeReport{}) {
			t.Fatalf("second purge: %+v", rep)
		}
	})
}

func count(t *testing.T, s *Store, model any) int64 {
	t.Helper()
	var n int64
	must(t, s.rdb.Model(model).Count(&n).Error)
	return n
}
