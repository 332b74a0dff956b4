package storage

import (
	"slices"
	"sort"
	"time"
)

// span is a half-open time interval [start, end).
type span struct{ start, end time.Time }

func (s span) overlaps(o span) bool { return s.start.Before(o.end) && o.start.Before(s.end) }

// expandWeekly turns weekly windows into absolute spans for every local day that
// touches [from, to), in loc. Windows are read on the wall clock, so 08:00–12:00 stays
// 08:00–12:00 across daylight-saving changes.
func expandWeekly(ws []WeeklyAvailability, from, to time.Time, loc *time.Location) []span {
	if len(ws) == 0 || !from.Before(to) {
		return nil
	}
	f := from.In(loc)
	day := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	var out []span
	for ; day.Before(to); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
		for _, w := range ws {
			if w.Weekday != day.Weekday() {
				continue
			}
			s := time.Date(day.Year(), day.Month(), day.Day(), 0, w.StartMinute, 0, 0, loc)
			e := time.Date(day.Year(), day.Month(), day.Day(), 0, w.EndMinute, 0, 0, loc)
			if s.Before(e) && s.Before(to) && e.After(from) {
				out = append(out, span{s, e})
			}
		}
	}
	return normalize(out)
}

// normalize sorts spans and merges the ones that overlap or touch. It reuses in.
func normalize(in []span) []span {
	in = slices.DeleteFunc(in, func(s span) bool { return !s.start.Before(s.end) })
	if len(in) < 2 {
		return in
	}
	slices.SortFunc(in, func(a, b span) int { return a.start.Compare(b.start) })
	out := in[:1]
	for _, s := range in[1:] {
		last := &out[len(out)-1]
		if !s.start.After(last.end) {
			if s.end.After(last.end) {
				last.end = s.end
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// subtract removes every span of b from a. Both must be normalized.
func subtract(a, b []span) []span {
	var out []span
	j := 0
	for _, s := range a {
		cur := s
		for j < len(b) && !b[j].end.After(cur.start) {
			j++
		}
		for k := j; k < len(b) && b[k].start.Before(cur.end); k++ {
			if b[k].start.After(cur.start) {
				out = append(out, span{cur.start, b[k].start})
			}
			if b[k].end.After(cur.start) {
				cur.start = b[k].end
			}
			if !cur.start.Before(cur.end) {
				break
			}
		}
		if cur.start.Before(cur.end) {
			out = append(out, cur)
		}
	}
	return out
}

// covers reports whether one normalized span contains all of x.
func covers(spans []span, x span) bool {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].end.After(x.start) })
	return i < len(spans) && !spans[i].start.After(x.start) && !spans[i].end.Before(x.end)
}

// overlapsAny reports whether x overlaps any span (normalized or not).
func overlapsAny(spans []span, x span) bool {
	for _, s := range spans {
		if s.overlaps(x) {
			return true
		}
	}
	return false
}

// load is media capacity held during a span.
type load struct {
	span
	units int
}

// step is a piece of a load profile: units holds from at until the next step.
type step struct {
	at    time.Time
	units int
}

// profile turns loads into a step function of concurrent units, sorted by time. The
// last step always returns to zero.
func profile(loads []load) []step {
	type ev struct {
		at time.Time
		d  int
	}
	evs := make([]ev, 0, 2*len(loads))
	for _, l := range loads {
		if l.units == 0 || !l.start.Before(l.end) {
			continue
		}
		evs = append(evs, ev{l.start, l.units}, ev{l.end, -l.units})
	}
	slices.SortFunc(evs, func(a, b ev) int { return a.at.Compare(b.at) })
	var out []step
	cur := 0
	for i := 0; i < len(evs); {
		at := evs[i].at
		for ; i < len(evs) && evs[i].at.Equal(at); i++ {
			cur += evs[i].d
		}
		if n := len(out); n > 0 && out[n-1].units == cur {
			continue
		}
		out = append(out, step{at, cur})
	}
	return out
}

// peak is the most units held at any instant of x.
func peak(p []step, x span) int {
	// The step in force at x.start is the last one at or before it.
	i := sort.Search(len(p), func(i int) bool { return p[i].at.After(x.start) })
	max := 0
	if i > 0 {
		max = p[i-1].units
	}
	for ; i < len(p) && p[i].at.Before(x.end); i++ {
		if p[i].units > max {
			max = p[i].units
		}
	}
	return max
}
