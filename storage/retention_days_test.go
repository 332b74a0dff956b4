package storage

import (
	"context"
	"reflect"
	"testing"
)

// TestPurgeConfiguredDays: with RetentionDays set to 7, the citizen contact
// of an appointment that ended 8 days ago goes and that of one that ended 6
// days ago stays; the appointment rows, the statistics, the call records and
// the survey answers are the same before and after.
func TestPurgeConfiguredDays(t *testing.T) {
	for _, k := range dbKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			clk := &clock{t: monday(7, 0)}
			cfg := testConfig(clk)
			cfg.RetentionDays = 7
			s := k.open(t, cfg)
			ctx := context.Background()
			f := newFixture(t, s, deJob())
			old := f.book(t, s, monday(9, 0), 1)                     // ends Monday 09:30
			recent := f.book(t, s, monday(9, 0).AddDate(0, 0, 2), 2) // ends Wednesday 09:30
			clk.Set(monday(9, 40))
			must(t, s.SubmitSurvey(ctx, old.JoinToken, SurveyAnswers{EasyToUse: AnswerYes, WouldRecommend: AnswerYes}))
			must(t, s.SetAppointmentStatus(ctx, 0, old.Appointment.ID, StatusDone))
			id := old.Appointment.ID
			_, err := s.RecordCall(ctx, CallRecord{AppointmentID: &id, RoomID: "appt-x", Start: monday(9, 0),
				End: monday(9, 25), Advisors: 1, Citizens: 1, TierShares: TierShares{"high": 1}})
			must(t, err)
			stats := func() (AppointmentStats, CallStats, SurveySummary) {
				q := StatsQuery{TenantID: f.tenant.ID, From: monday(0, 0), To: monday(0, 0).AddDate(0, 0, 7), Per: PerDay}
				as, err := s.AppointmentStats(ctx, q)
				must(t, err)
				cs, err := s.CallStats(ctx, q)
				must(t, err)
				ss, err := s.Survey(ctx, f.tenant.ID, "2030-01-01", "2030-01-31")
				must(t, err)
				return as, cs, ss
			}
			as0, cs0, ss0 := stats()

			// Day 6 after the first one: nothing is old enough yet.
			rep, err := s.Purge(ctx, monday(9, 0).AddDate(0, 0, 7))
			must(t, err)
			if rep.Appointments != 0 {
				t.Fatalf("purge 6 days 23.5 hours after the end: %+v, want no contact purged", rep)
			}
			// Day 8: the old one's contact goes; the recent one (ended 6 days ago) stays.
			rep, err = s.Purge(ctx, monday(9, 0).AddDate(0, 0, 8))
			must(t, err)
			if rep.Appointments != 1 {
				t.Fatalf("purge 8 days after: %+v, want one appointment's contact", rep)
			}
			a, err := s.Appointment(ctx, old.Appointment.ID)
			must(t, err)
			if a.CitizenName != "" || a.CitizenEmail != "" || a.ContactPurgedAt == nil || a.Status != StatusDone {
				t.Fatalf("old appointment after purge: name %q email %q purged %v status %s", a.CitizenName, a.CitizenEmail, a.ContactPurgedAt, a.Status)
			}
			r, err := s.Appointment(ctx, recent.Appointment.ID)
			must(t, err)
			if r.CitizenName != "Citizen 2" || r.CitizenEmail != "citizen2@example.org" || r.ContactPurgedAt != nil {
				t.Fatalf("appointment that ended 6 days ago lost its contact: %+v", r)
			}
			as1, cs1, ss1 := stats()
			if !reflect.DeepEqual(as0, as1) || !reflect.DeepEqual(cs0, cs1) || !reflect.DeepEqual(ss0, ss1) {
				t.Fatalf("statistics changed by the purge:\n%+v\n%+v\n%+v\n%+v\n%+v\n%+v", as0, as1, cs0, cs1, ss0, ss1)
			}
			if ss1.Responses != 1 || count(t, s, &CallRecord{}) != 1 || count(t, s, &Appointment{}) != 2 {
				t.Fatalf("rows after purge: %d survey answers, %d call records, %d appointments",
					ss1.Responses, count(t, s, &CallRecord{}), count(t, s, &Appointment{}))
			}
		})
	}
}
