package storage

import (
	"context"
	"testing"
	"time"
)

// benchStore is a month with 20 advisors (Monday–Friday 08:00–12:00), every other
// slot of every advisor booked: ~1,760 appointments, the calendar a citizen opens.
func benchStore(b *testing.B, k dbKind) (*Store, fixture) {
	b.Helper()
	clk := &clock{t: monday(7, 0)}
	s := k.open(b, testConfig(clk))
	specs := make([]advisorSpec, 20)
	for i := range specs {
		specs[i] = deJob()
	}
	f := newFixture(b, s, specs...)
	var appts []Appointment
	for d := 0; d < 31; d++ {
		day := monday(8, 0).AddDate(0, 0, d)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for i, a := range f.advisors {
			for slot := i % 2; slot < 8; slot += 2 {
				start := day.Add(time.Duration(slot) * 30 * time.Minute).UTC()
				appts = append(appts, Appointment{TenantID: f.tenant.ID, TypeID: f.oneToOne.ID, AdvisorID: a.ID,
					Topic: "jobsearch", Language: "de", Start: start, End: start.Add(30 * time.Minute), MediaUnits: 1,
					Status: StatusBooked, CitizenName: "C", CitizenEmail: "c@example.org", CitizenLanguage: "de"})
			}
		}
	}
	if err := s.wdb.Omit("Invitations", "Registrations", "CallRecords").CreateInBatches(appts, 200).Error; err != nil {
		b.Fatal(err)
	}
	return s, f
}

func BenchmarkFreeSlotsMonth(b *testing.B) {
	for _, k := range dbKinds {
		b.Run(k.name, func(b *testing.B) {
			s, f := benchStore(b, k)
			q := SlotQuery{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: "de",
				From: monday(0, 0), To: monday(0, 0).AddDate(0, 0, 31)}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				slots, err := s.FreeSlots(ctx, q)
				if err != nil || len(slots) == 0 {
					b.Fatalf("%d slots, %v", len(slots), err)
				}
			}
		})
	}
}

func BenchmarkBook(b *testing.B) {
	for _, k := range dbKinds {
		b.Run(k.name, func(b *testing.B) {
			s, f := benchStore(b, k)
			must(b, s.SetCapacity(context.Background(), 0, 0, 1_000_000))
			slots, err := s.FreeSlots(context.Background(), SlotQuery{TypeID: f.oneToOne.ID, Topic: "jobsearch",
				Language: "de", From: monday(0, 0), To: monday(0, 0).AddDate(0, 0, 31)})
			must(b, err)
			var queue []time.Time
			for _, sl := range slots {
				for range sl.AdvisorIDs {
					queue = append(queue, sl.Start)
				}
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				if i == len(queue) {
					b.Fatalf("ran out of free slots after %d bookings", i)
				}
				_, err := s.Book(ctx, BookRequest{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: "de",
					Start: queue[i], Citizen: citizen(i)})
				if err != nil {
					b.Fatalf("book %d: %v", i, err)
				}
				i++
			}
		})
	}
}
