package storage

import (
	"fmt"
	"testing"
	"time"
)

func at(hh, mm int) time.Time { return monday(hh, mm) }

func sp(h1, m1, h2, m2 int) span { return span{at(h1, m1), at(h2, m2)} }

func fmtSpans(ss []span) string {
	out := ""
	for _, s := range ss {
		out += fmt.Sprintf("[%s-%s]", s.start.In(berlin).Format("15:04"), s.end.In(berlin).Format("15:04"))
	}
	return out
}

func TestNormalizeAndSubtract(t *testing.T) {
	for _, tc := range []struct {
		name    string
		a, b    []span
		wantA   string
		wantSub string
	}{
		{"disjoint", []span{sp(8, 0, 9, 0), sp(10, 0, 11, 0)}, nil, "[08:00-09:00][10:00-11:00]", "[08:00-09:00][10:00-11:00]"},
		{"touching merge", []span{sp(9, 0, 10, 0), sp(8, 0, 9, 0)}, nil, "[08:00-10:00]", "[08:00-10:00]"},
		{"nested", []span{sp(8, 0, 12, 0), sp(9, 0, 10, 0)}, nil, "[08:00-12:00]", "[08:00-12:00]"},
		{"empty span dropped", []span{sp(8, 0, 8, 0)}, nil, "", ""},
		{"hole", []span{sp(8, 0, 12, 0)}, []span{sp(9, 0, 10, 0)}, "[08:00-12:00]", "[08:00-09:00][10:00-12:00]"},
		{"cut both ends", []span{sp(8, 0, 12, 0)}, []span{sp(7, 0, 8, 30), sp(11, 30, 13, 0)}, "[08:00-12:00]", "[08:30-11:30]"},
		{"removed entirely", []span{sp(8, 0, 9, 0)}, []span{sp(7, 0, 13, 0)}, "[08:00-09:00]", ""},
		{"one b across two a", []span{sp(8, 0, 9, 0), sp(10, 0, 11, 0)}, []span{sp(8, 30, 10, 30)}, "[08:00-09:00][10:00-11:00]", "[08:00-08:30][10:30-11:00]"},
		{"many holes", []span{sp(8, 0, 12, 0)}, []span{sp(8, 0, 8, 30), sp(9, 0, 9, 30), sp(10, 0, 10, 30)}, "[08:00-12:00]", "[08:30-09:00][09:30-10:00][10:30-12:00]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := normalize(append([]span(nil), tc.a...))
			if got := fmtSpans(a); got != tc.wantA {
				t.Fatalf("normalize %s, want %s", got, tc.wantA)
			}
			if got := fmtSpans(subtract(a, normalize(tc.b))); got != tc.wantSub {
				t.Fatalf("subtract %s, want %s", got, tc.wantSub)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	avail := []span{sp(8, 0, 10, 0), sp(11, 0, 12, 0)}
	for _, tc := range []struct {
		x    span
		want bool
	}{
		{sp(8, 0, 8, 30), true}, {sp(9, 30, 10, 0), true}, {sp(9, 45, 10, 15), false},
		{sp(10, 0, 10, 30), false}, {sp(11, 30, 12, 0), true}, {sp(7, 30, 8, 30), false}, {sp(12, 0, 12, 30), false},
	} {
		if got := covers(avail, tc.x); got != tc.want {
			t.Errorf("covers %s = %v, want %v", fmtSpans([]span{tc.x}), got, tc.want)
		}
	}
}

func TestExpandWeeklyAcrossDST(t *testing.T) {
	ws := []WeeklyAvailability{{Weekday: time.Sunday, StartMinute: 8 * 60, EndMinute: 12 * 60},
		{Weekday: time.Monday, StartMinute: 0, EndMinute: 24 * 60}}
	// 31 March 2030 is the last Sunday of March: Berlin moves from UTC+1 to UTC+2 at 02:00.
	from := time.Date(2030, 3, 30, 0, 0, 0, 0, berlin)
	got := expandWeekly(ws, from, from.AddDate(0, 0, 3), berlin)
	if len(got) != 2 {
		t.Fatalf("%d spans: %v", len(got), got)
	}
	sun := got[0]
	if sun.start.In(berlin).Hour() != 8 || sun.end.In(berlin).Hour() != 12 || sun.end.Sub(sun.start) != 4*time.Hour {
		t.Fatalf("Sunday window %v–%v, want 08:00–12:00 local", sun.start.In(berlin), sun.end.In(berlin))
	}
	if sun.start.UTC().Hour() != 6 {
		t.Fatalf("Sunday 08:00 summer time is %v UTC, want 06:00", sun.start.UTC())
	}
	mon := got[1]
	if mon.end.Sub(mon.start) != 24*time.Hour || mon.end.In(berlin).Day() != 2 {
		t.Fatalf("Monday whole day %v–%v", mon.start, mon.end)
	}
	if expandWeekly(ws, from, from, berlin) != nil {
		t.Fatal("empty range expanded")
	}
}

func TestProfileAndPeak(t *testing.T) {
	loads := []load{
		{sp(9, 0, 9, 30), 1},
		{sp(9, 30, 10, 0), 1}, // back to back with the first: never 2 at once
		{sp(9, 15, 10, 15), 5},
		{sp(11, 0, 11, 30), 2},
		{sp(11, 0, 11, 30), 0}, // no units: ignored
	}
	p := profile(loads)
	for _, tc := range []struct {
		x    span
		want int
	}{
		{sp(8, 0, 9, 0), 0}, {sp(9, 0, 9, 15), 1}, {sp(9, 0, 9, 30), 6}, {sp(9, 0, 10, 0), 6},
		{sp(10, 0, 10, 15), 5}, {sp(10, 15, 11, 0), 0}, {sp(10, 30, 11, 1), 2}, {sp(11, 30, 12, 0), 0},
	} {
		if got := peak(p, tc.x); got != tc.want {
			t.Errorf("peak %s = %d, want %d", fmtSpans([]span{tc.x}), got, tc.want)
		}
	}
	if n := len(p); p[n-1].units != 0 {
		t.Fatalf("profile does not return to zero: %v", p)
	}
}

func TestHourBuckets(t *testing.T) {
	for _, tc := range []struct {
		x    span
		want int
	}{
		{sp(9, 0, 9, 30), 1}, {sp(9, 0, 10, 0), 1}, {sp(9, 30, 10, 30), 2}, {sp(9, 59, 12, 1), 4},
	} {
		if got := len(hourBuckets(tc.x.start, tc.x.end)); got != tc.want {
			t.Errorf("%s touches %d buckets, want %d", fmtSpans([]span{tc.x}), got, tc.want)
		}
	}
	// Any two overlapping intervals share a bucket.
	a, b := hourBuckets(at(9, 50), at(10, 5)), hourBuckets(at(10, 0), at(10, 30))
	shared := false
	for _, x := range a {
		for _, y := range b {
			shared = shared || x == y
		}
	}
	if !shared {
		t.Fatal("overlapping intervals share no lock bucket")
	}
}
