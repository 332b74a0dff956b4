package storage

import (
	"context"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	from := time.Date(2030, 1, 6, 0, 0, 0, 0, berlin) // a Sunday
	to := from.AddDate(0, 0, 10)
	for _, c := range []struct {
		per  Period
		want []string
	}{
		{PerDay, []string{"2030-01-06", "2030-01-07", "2030-01-08", "2030-01-09", "2030-01-10", "2030-01-11",
			"2030-01-12", "2030-01-13", "2030-01-14", "2030-01-15"}},
		{PerWeek, []string{"2030-W01", "2030-W02", "2030-W03"}},
		{PerMonth, []string{"2030-01"}},
	} {
		got := Buckets(from, to, berlin, c.per)
		if len(got) != len(c.want) {
			t.Fatalf("%s: %v, want %v", c.per, got, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", c.per, got, c.want)
				break
			}
		}
	}
}

func TestStatsQueryRejectsBadInput(t *testing.T) {
	now := monday(0, 0)
	for _, q := range []StatsQuery{
		{TenantID: 0, From: now, To: now.Add(time.Hour), Per: PerDay},
		{TenantID: 1, From: now, To: now, Per: PerDay},
		{TenantID: 1, From: now, To: now.AddDate(4, 0, 0), Per: PerDay},
		{TenantID: 1, From: now, To: now.Add(time.Hour), Per: "year"},
	} {
		if err := q.check(); err == nil {
			t.Errorf("%+v: accepted", q)
		}
	}
}

// TestStatistics books, ends, cancels and records calls, then checks every
// figure the statistics pages show, on both databases.
func TestStatistics(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		ctx := context.Background()
		f := newFixture(t, s, advisorSpec{langs: []string{"de"}, topics: []string{"jobsearch"}, atLocation: true})
		held1 := f.book(t, s, monday(8, 0), 1)
		held2 := f.book(t, s, monday(8, 30), 2)
		noShow := f.book(t, s, monday(9, 0), 3)
		cancelled := f.book(t, s, monday(9, 30), 4)
		open := f.book(t, s, monday(8, 0).AddDate(0, 0, 1), 5) // Tuesday, still booked
		must(t, s.SetAppointmentStatus(ctx, 0, held1.Appointment.ID, StatusDone))
		must(t, s.SetAppointmentStatus(ctx, 0, held2.Appointment.ID, StatusDone))
		must(t, s.SetAppointmentStatus(ctx, 0, noShow.Appointment.ID, StatusNoShow))
		must(t, s.SetAppointmentStatus(ctx, 0, cancelled.Appointment.ID, StatusCancelled))

		rec := func(a Appointment, start time.Time, minutes int, shares TierShares, reconnects, rtt int, loss float64) {
			id := a.ID
			_, err := s.RecordCall(ctx, CallRecord{AppointmentID: &id, RoomID: "appt-x", Start: start,
				End: start.Add(time.Duration(minutes) * time.Minute), Advisors: 1, Citizens: 1, Interpreters: minutes / 20,
				TierShares: shares, Reconnects: reconnects, WorstRTTMillis: rtt, WorstLossPct: loss})
			must(t, err)
		}
		rec(held1.Appointment, monday(8, 1), 20, TierShares{"high": 1}, 0, 40, 0)
		rec(held2.Appointment, monday(8, 31), 10, TierShares{"high": 0.4, "low": 0.3, "audio": 0.3}, 2, 300, 5)
		// A call of an API room belongs to no tenant.
		_, err := s.RecordCall(ctx, CallRecord{RoomID: "api-room", Start: monday(10, 0), End: monday(11, 0)})
		must(t, err)

		week := StatsQuery{TenantID: f.tenant.ID, From: monday(0, 0), To: monday(0, 0).AddDate(0, 0, 7), Per: PerDay}
		as, err := s.AppointmentStats(ctx, week)
		must(t, err)
		want := Outcomes{Total: 5, Held: 2, Cancelled: 1, NoShow: 1, Booked: 1}
		if as.Totals != want {
			t.Errorf("totals %+v, want %+v", as.Totals, want)
		}
		if got := as.ByTime["2030-01-07"]; got.Total != 4 || got.Held != 2 {
			t.Errorf("Monday %+v, want 4 with 2 held", got)
		}
		if got := as.ByTime["2030-01-08"]; got.Total != 1 || got.Booked != 1 {
			t.Errorf("Tuesday %+v, want 1 booked", got)
		}
		if len(as.Buckets) != 7 || len(as.Rows) != 2 {
			t.Errorf("buckets %v rows %+v: want 7 days and 2 rows", as.Buckets, as.Rows)
		}
		if r := as.Rows[0]; r.Location != "Nürnberg" || r.Type != "Beratung" || r.Language != "de" {
			t.Errorf("row names %+v", r)
		}
		if got := as.Totals.Share(as.Totals.Held); got != 0.4 {
			t.Errorf("held share %v, want 0.4", got)
		}

		perWeek := week
		perWeek.Per = PerWeek
		if ws, err := s.AppointmentStats(ctx, perWeek); err != nil || len(ws.Rows) != 1 || ws.Rows[0].Bucket != "2030-W02" || ws.Rows[0].Total != 5 {
			t.Errorf("per week: %+v, %v", ws.Rows, err)
		}
		elsewhere := week
		elsewhere.LocationID = f.location.ID + 1000
		here := week
		here.LocationID = f.location.ID
		if hs, err := s.CallStats(ctx, here); err != nil || hs.Calls != 2 {
			t.Errorf("calls at the location: %+v, %v", hs, err)
		}
		if es, err := s.CallStats(ctx, elsewhere); err != nil || es.Calls != 0 {
			t.Errorf("calls elsewhere: %+v, %v", es, err)
		}
		if es, err := s.AppointmentStats(ctx, elsewhere); err != nil || es.Totals.Total != 0 {
			t.Errorf("another location: %+v, %v", es.Totals, err)
		}

		cs, err := s.CallStats(ctx, week)
		must(t, err)
		if cs.Calls != 2 || cs.Minutes != 30 || cs.MinutesByBucket["2030-01-07"] != 30 {
			t.Errorf("calls %d minutes %d by day %v, want 2, 30 on Monday", cs.Calls, cs.Minutes, cs.MinutesByBucket)
		}
		// Weighted by length: (20·1 + 10·0.4)/30 high, 10·0.3/30 audio.
		if h, a := cs.TierShares["high"], cs.AudioOnlyShare(); !near(h, 0.8) || !near(a, 0.1) {
			t.Errorf("high %v audio %v, want 0.8 and 0.1", h, a)
		}
		if cs.Reconnects != 2 || cs.CallsWithReconnects != 1 || cs.MedianWorstRTTMillis != 40 {
			t.Errorf("reconnects %d in %d calls, median worst RTT %d", cs.Reconnects, cs.CallsWithReconnects, cs.MedianWorstRTTMillis)
		}
		if cs.ByRole["advisor"] != 2 || cs.ByRole["interpreter"] != 1 {
			t.Errorf("by role %v", cs.ByRole)
		}

		days, err := s.CapacityUse(ctx, f.tenant.ID, monday(7, 0), 14)
		must(t, err)
		if len(days) != 14 || days[0].Day != "2030-01-07" || days[1].Day != "2030-01-08" {
			t.Fatalf("days %+v", days)
		}
		// Monday's appointments are no longer booked; Tuesday holds one unit for 30 min.
		if d := days[1]; d.PeakUnits != 1 || d.Capacity != 100 || d.Appointment != 1 || !near(d.UnitHours, 0.5) {
			t.Errorf("Tuesday %+v", d)
		}
		if d := days[0]; d.PeakUnits != 0 {
			t.Errorf("Monday %+v", d)
		}
		_ = open
		if _, err := s.CapacityUse(ctx, f.tenant.ID, monday(7, 0), 0); err == nil {
			t.Error("0 days accepted")
		}
	})
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
