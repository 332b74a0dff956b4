package storage

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// hhmm renders slots as Berlin wall-clock times with their advisors, which is what
// the calendar shows a citizen.
func hhmm(slots []Slot, f fixture) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		var who []int
		for _, id := range s.AdvisorIDs {
			for j, a := range f.advisors {
				if a.ID == id {
					who = append(who, j)
				}
			}
		}
		out[i] = fmt.Sprintf("%s%v", s.Start.In(berlin).Format("15:04"), who)
	}
	return out
}

func TestFreeSlots(t *testing.T) {
	morning := func(who string) []string {
		var out []string
		for m := 8 * 60; m < 12*60; m += 30 {
			out = append(out, fmt.Sprintf("%02d:%02d%s", m/60, m%60, who))
		}
		return out
	}
	without := func(in []string, drop ...string) []string {
		return slices.DeleteFunc(slices.Clone(in), func(s string) bool { return slices.Contains(drop, s) })
	}
	replace := func(in []string, old, new string) []string {
		out := slices.Clone(in)
		out[slices.Index(out, old)] = new
		return out
	}
	ctx := context.Background()
	cases := []struct {
		name     string
		language string
		location bool
		setup    func(t *testing.T, s *Store, f fixture, clk *clock)
		want     []string
	}{
		{name: "two advisors speak German", language: "de", want: morning("[0 1]")},
		{name: "only advisor 1 speaks Turkish", language: "tr", want: morning("[1]")},
		{name: "nobody speaks Arabic", language: "ar", want: []string{}},
		{name: "location filter", language: "de", location: true, want: morning("[1]")},
		{name: "day off removes one advisor", language: "de",
			setup: func(t *testing.T, s *Store, f fixture, _ *clock) {
				_, err := s.AddException(ctx, 0, f.advisors[0].ID, ExceptionOff, monday(8, 0), monday(9, 0), "training")
				must(t, err)
			},
			want: replace(replace(morning("[0 1]"), "08:00[0 1]", "08:00[1]"), "08:30[0 1]", "08:30[1]")},
		{name: "extra hours add slots", language: "de",
			setup: func(t *testing.T, s *Store, f fixture, _ *clock) {
				_, err := s.AddException(ctx, 0, f.advisors[0].ID, ExceptionExtra, monday(14, 0), monday(15, 0), "")
				must(t, err)
			},
			want: append(morning("[0 1]"), "14:00[0]", "14:30[0]")},
		{name: "booked advisor is not offered", language: "de",
			setup: func(t *testing.T, s *Store, f fixture, _ *clock) { f.book(t, s, monday(9, 0), 1) },
			// Book spreads work: the first booking goes to the lowest id.
			want: replace(morning("[0 1]"), "09:00[0 1]", "09:00[1]")},
		{name: "both advisors booked", language: "de",
			setup: func(t *testing.T, s *Store, f fixture, _ *clock) {
				f.book(t, s, monday(9, 0), 1)
				f.book(t, s, monday(9, 0), 2)
			},
			want: without(morning("[0 1]"), "09:00[0 1]")},
		{name: "media capacity full although an advisor is free", language: "de",
			setup: func(t *testing.T, s *Store, f fixture, _ *clock) {
				must(t, s.SetCapacity(ctx, f.tenant.ID, 0, 1))
				f.book(t, s, monday(10, 0), 1)
			},
			want: without(morning("[0 1]"), "10:00[0 1]")},
		{name: "capacity below one type's units offers nothing", language: "de",
			setup: func(t *testing.T, s *Store, f fixture, _ *clock) { must(t, s.SetCapacity(ctx, f.tenant.ID, 0, 0)) },
			want:  []string{}},
		{name: "a group session holds its units for an hour", language: "de",
			setup: func(t *testing.T, s *Store, f fixture, _ *clock) {
				must(t, s.SetCapacity(ctx, f.tenant.ID, 0, 5))
				_, err := s.CreateGroupSession(ctx, f.advisors[2].ID, GroupSessionRequest{TypeID: f.group.ID,
					AdvisorID: f.advisors[2].ID, Topic: "benefits", Language: "en", Start: monday(10, 0)})
				must(t, err)
			},
			want: without(morning("[0 1]"), "10:00[0 1]", "10:30[0 1]")},
		{name: "no slots in the past", language: "de",
			setup: func(t *testing.T, s *Store, f fixture, clk *clock) { clk.Set(monday(10, 15)) },
			want:  []string{"10:30[0 1]", "11:00[0 1]", "11:30[0 1]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
				f := newFixture(t, s,
					deJob(),
					advisorSpec{langs: []string{"de", "tr"}, topics: []string{"jobsearch", "benefits"}, atLocation: true},
					advisorSpec{langs: []string{"en"}, topics: []string{"benefits"}})
				if tc.setup != nil {
					tc.setup(t, s, f, clk)
				}
				q := SlotQuery{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: tc.language,
					From: monday(0, 0), To: monday(24, 0)}
				if tc.location {
					q.LocationID = &f.location.ID
				}
				slots, err := s.FreeSlots(ctx, q)
				must(t, err)
				if got := hhmm(slots, f); !slices.Equal(got, tc.want) {
					t.Fatalf("slots\n got %v\nwant %v", got, tc.want)
				}
			})
		})
	}
}

func TestFreeSlotsRejectsBadQueries(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		ctx := context.Background()
		for _, tc := range []struct {
			name string
			q    SlotQuery
		}{
			{"bad topic", SlotQuery{TypeID: f.oneToOne.ID, Topic: "job search!", Language: "de", From: monday(0, 0), To: monday(24, 0)}},
			{"bad language", SlotQuery{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: "d", From: monday(0, 0), To: monday(24, 0)}},
			{"group type", SlotQuery{TypeID: f.group.ID, Topic: "jobsearch", Language: "de", From: monday(0, 0), To: monday(24, 0)}},
			{"range too long", SlotQuery{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: "de", From: monday(0, 0), To: monday(0, 0).AddDate(0, 3, 0)}},
		} {
			if _, err := s.FreeSlots(ctx, tc.q); err == nil {
				t.Errorf("%s: no error", tc.name)
			}
		}
		if _, err := s.FreeSlots(ctx, SlotQuery{TypeID: 999, Topic: "jobsearch", Language: "de", From: monday(0, 0), To: monday(24, 0)}); err == nil {
			t.Error("unknown type: no error")
		}
		// A week: Monday to Friday mornings, nothing at the weekend.
		slots, err := s.FreeSlots(ctx, SlotQuery{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: "de",
			From: monday(0, 0), To: monday(0, 0).AddDate(0, 0, 7)})
		must(t, err)
		if len(slots) != 5*8 {
			t.Fatalf("%d slots in a week, want 40", len(slots))
		}
		if d := slots[len(slots)-1].Start.In(berlin); d.Weekday() != time.Friday || d.Hour() != 11 || d.Minute() != 30 {
			t.Fatalf("last slot %v, want Friday 11:30", d)
		}
	})
}
