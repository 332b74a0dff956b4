package storage

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// Statistics for the authority: counts over appointments, call records and
// survey answers, never a person. Rows are read with only the columns needed
// and aggregated here, so the same code runs on SQLite and PostgreSQL and
// buckets follow the tenant's calendar (its time zone, ISO weeks).

// Period is the width of a statistics bucket.
type Period string

// Bucket widths.
const (
	PerDay   Period = "day"
	PerWeek  Period = "week"
	PerMonth Period = "month"
)

// Valid reports whether p is one of the three widths.
func (p Period) Valid() bool { return p == PerDay || p == PerWeek || p == PerMonth }

// StatsQuery selects a tenant's appointments that start in [From, To),
// optionally at one location (0: all).
type StatsQuery struct {
	TenantID   uint
	LocationID uint
	From, To   time.Time
	Per        Period
}

func (q StatsQuery) check() error {
	if q.TenantID == 0 {
		return invalid("tenant", "missing")
	}
	if !q.From.Before(q.To) || q.To.Sub(q.From) > 3*366*24*time.Hour {
		return invalid("period", "empty, reversed or longer than three years")
	}
	if !q.Per.Valid() {
		return invalid("bucket", "want day, week or month")
	}
	return nil
}

// Outcomes counts appointments by what became of them.
type Outcomes struct {
	Total, Held, Cancelled, NoShow, Booked int
}

func (o *Outcomes) add(s Status) {
	o.Total++
	switch s {
	case StatusDone:
		o.Held++
	case StatusCancelled:
		o.Cancelled++
	case StatusNoShow:
		o.NoShow++
	default:
		o.Booked++
	}
}

// Share is n of o.Total as 0..1 (0 when there is nothing).
func (o Outcomes) Share(n int) float64 {
	if o.Total == 0 {
		return 0
	}
	return float64(n) / float64(o.Total)
}

// AppointmentRow is one bucket of one (location, type, language).
type AppointmentRow struct {
	Bucket   string // 2030-01-07, 2030-W02 or 2030-01
	Location string // "" for appointments without a location
	Type     string
	Language string
	Outcomes
}

// AppointmentStats answers the appointment tables: per bucket, location,
// type and language, with the period's totals.
type AppointmentStats struct {
	Rows    []AppointmentRow
	Buckets []string            // every bucket of the period, in order (empty ones too)
	Totals  Outcomes            // the whole period
	ByTime  map[string]Outcomes // per bucket, all kinds together
}

// AppointmentStats counts the tenant's appointments of q.
func (s *Store) AppointmentStats(ctx context.Context, q StatsQuery) (AppointmentStats, error) {
	var out AppointmentStats
	if err := q.check(); err != nil {
		return out, fmt.Errorf("appointment statistics: %w", err)
	}
	loc, names, err := s.statsNames(ctx, q.TenantID)
	if err != nil {
		return out, err
	}
	type row struct {
		StartsAt   time.Time
		Status     Status
		LocationID *uint
		AdvisorID  uint
		TypeID     uint
		Language   string
	}
	var rows []row
	db := s.read(ctx).Model(&Appointment{}).Select("starts_at, status, location_id, advisor_id, type_id, language").
		Where("tenant_id = ? AND starts_at >= ? AND starts_at < ?", q.TenantID, dbTime(q.From), dbTime(q.To))
	if err := db.Scan(&rows).Error; err != nil {
		return out, fmt.Errorf("appointment statistics of tenant %d: %w", q.TenantID, err)
	}
	type key struct{ b, l, t, lang string }
	agg := map[key]*Outcomes{}
	out.ByTime = map[string]Outcomes{}
	for _, r := range rows {
		l := names.where(r.LocationID, r.AdvisorID)
		if q.LocationID != 0 && l != q.LocationID {
			continue
		}
		k := key{bucket(r.StartsAt, loc, q.Per), names.locations[l], names.types[r.TypeID], r.Language}
		o := agg[k]
		if o == nil {
			o = &Outcomes{}
			agg[k] = o
		}
		o.add(r.Status)
		out.Totals.add(r.Status)
		bt := out.ByTime[k.b]
		bt.add(r.Status)
		out.ByTime[k.b] = bt
	}
	for k, o := range agg {
		out.Rows = append(out.Rows, AppointmentRow{Bucket: k.b, Location: k.l, Type: k.t, Language: k.lang, Outcomes: *o})
	}
	sort.Slice(out.Rows, func(i, j int) bool {
		a, b := out.Rows[i], out.Rows[j]
		if a.Bucket != b.Bucket {
			return a.Bucket < b.Bucket
		}
		if a.Location != b.Location {
			return a.Location < b.Location
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Language < b.Language
	})
	out.Buckets = Buckets(q.From, q.To, loc, q.Per)
	return out, nil
}

// CallStats is the calls of a period: minutes and connection quality.
type CallStats struct {
	Calls, Minutes int
	// MinutesByBucket is the call minutes per bucket of Buckets.
	MinutesByBucket map[string]int
	Buckets         []string
	// TierShares is the share of all receivers' call time per tier ("high",
	// "medium", "low", "audio"), each call weighted by its minutes.
	TierShares map[string]float64
	// Reconnects over all calls, and how many calls had at least one.
	Reconnects, CallsWithReconnects int
	// WorstRTTMillis and WorstLossPct are the median over calls of each
	// call's worst figure (a call's worst moment, typical over calls).
	MedianWorstRTTMillis int
	MedianWorstLossPct   float64
	// Participants by role over all calls.
	ByRole map[string]int
}

// AudioOnlyShare is the share of call time receivers spent without video.
func (c CallStats) AudioOnlyShare() float64 { return c.TierShares["audio"] }

// CallStats sums the call records of the tenant's appointments that started
// in the period (calls of rooms made through the API belong to no tenant and
// are not counted here).
func (s *Store) CallStats(ctx context.Context, q StatsQuery) (CallStats, error) {
	out := CallStats{MinutesByBucket: map[string]int{}, TierShares: map[string]float64{}, ByRole: map[string]int{}}
	if err := q.check(); err != nil {
		return out, fmt.Errorf("call statistics: %w", err)
	}
	loc, names, err := s.statsNames(ctx, q.TenantID)
	if err != nil {
		return out, err
	}
	var rs []struct {
		CallRecord `gorm:"embedded"`
		LocationID *uint
		AdvisorID  uint
	}
	db := s.read(ctx).Model(&CallRecord{}).
		Select("call_records.*, appointments.location_id AS location_id, appointments.advisor_id AS advisor_id").
		Joins("JOIN appointments ON appointments.id = call_records.appointment_id").
		Where("appointments.tenant_id = ? AND call_records.started_at >= ? AND call_records.started_at < ?",
			q.TenantID, dbTime(q.From), dbTime(q.To))
	if err := db.Order("call_records.started_at, call_records.id").Scan(&rs).Error; err != nil {
		return out, fmt.Errorf("call statistics of tenant %d: %w", q.TenantID, err)
	}
	var rtts []int
	var losses []float64
	weight := 0.0
	for _, r := range rs {
		if q.LocationID != 0 && names.where(r.LocationID, r.AdvisorID) != q.LocationID {
			continue
		}
		c := r.CallRecord
		out.Calls++
		out.Minutes += c.Minutes
		out.MinutesByBucket[bucket(c.Start, loc, q.Per)] += c.Minutes
		w := math.Max(c.End.Sub(c.Start).Seconds(), 1)
		for tier, share := range c.TierShares {
			out.TierShares[tier] += share * w
		}
		weight += w
		out.Reconnects += c.Reconnects
		if c.Reconnects > 0 {
			out.CallsWithReconnects++
		}
		rtts = append(rtts, c.WorstRTTMillis)
		losses = append(losses, c.WorstLossPct)
		for role, n := range map[string]int{"advisor": c.Advisors, "citizen": c.Citizens, "interpreter": c.Interpreters,
			"guardian": c.Guardians, "counsel": c.Counsels, "attendee": c.Attendees} {
			out.ByRole[role] += n
		}
	}
	if weight > 0 {
		for tier := range out.TierShares {
			out.TierShares[tier] /= weight
		}
	}
	if n := len(rtts); n > 0 {
		sort.Ints(rtts)
		sort.Float64s(losses)
		out.MedianWorstRTTMillis = rtts[(n-1)/2]
		out.MedianWorstLossPct = losses[(n-1)/2]
	}
	out.Buckets = Buckets(q.From, q.To, loc, q.Per)
	return out, nil
}

// DayCapacity is one day's booked media load against the capacity.
type DayCapacity struct {
	Day         string // YYYY-MM-DD in the tenant's zone
	PeakUnits   int    // most units booked at any instant of the day
	UnitHours   float64
	Capacity    int // units available at any instant
	Appointment int // booked appointments starting that day
}

// CapacityUse is the booked load of the days from from's day on (days of
// them), against the configured capacity. The capacity is shared by every
// tenant of the installation, so the load counts all tenants too.
func (s *Store) CapacityUse(ctx context.Context, tenantID uint, from time.Time, days int) ([]DayCapacity, error) {
	if days < 1 || days > 92 {
		return nil, fmt.Errorf("capacity use: %w", invalid("days", "want 1..92"))
	}
	loc, _, err := s.statsNames(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	capUnits, err := s.Capacity(ctx)
	if err != nil {
		return nil, err
	}
	f := from.In(loc)
	start := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	end := start.AddDate(0, 0, days)
	type row struct {
		StartsAt, EndsAt time.Time
		MediaUnits       int
	}
	var rows []row
	err = s.read(ctx).Model(&Appointment{}).Select("starts_at, ends_at, media_units").
		Where("status = ? AND starts_at < ? AND ends_at > ?", StatusBooked, dbTime(end), dbTime(start)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("capacity use: %w", err)
	}
	loads := make([]load, len(rows))
	for i, r := range rows {
		loads[i] = load{span{r.StartsAt, r.EndsAt}, r.MediaUnits}
	}
	prof := profile(loads)
	out := make([]DayCapacity, days)
	for i := range out {
		d0 := start.AddDate(0, 0, i)
		d1 := start.AddDate(0, 0, i+1)
		dc := DayCapacity{Day: d0.Format("2006-01-02"), Capacity: capUnits, PeakUnits: peak(prof, span{d0, d1})}
		for _, r := range rows {
			a, b := maxTime(r.StartsAt, d0), minTime(r.EndsAt, d1)
			if a.Before(b) {
				dc.UnitHours += b.Sub(a).Hours() * float64(r.MediaUnits)
			}
			if !r.StartsAt.Before(d0) && r.StartsAt.Before(d1) {
				dc.Appointment++
			}
		}
		out[i] = dc
	}
	return out, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// statsNames is what statistics group by: location and type names, and
// each advisor's location.
type statsNames struct {
	locations map[uint]string
	types     map[uint]string
	advisorAt map[uint]uint
}

// where is an appointment's location: the one booked, else its advisor's
// (0: none).
func (n statsNames) where(booked *uint, advisorID uint) uint {
	if booked != nil {
		return *booked
	}
	return n.advisorAt[advisorID]
}

func (s *Store) statsNames(ctx context.Context, tenantID uint) (*time.Location, statsNames, error) {
	n := statsNames{locations: map[uint]string{}, types: map[uint]string{}, advisorAt: map[uint]uint{}}
	t, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return nil, n, err
	}
	loc, err := zone(t.TimeZone)
	if err != nil {
		return nil, n, fmt.Errorf("statistics of tenant %d: %w", tenantID, err)
	}
	ls, err := s.Locations(ctx, tenantID)
	if err != nil {
		return nil, n, err
	}
	for _, l := range ls {
		n.locations[l.ID] = l.Name
	}
	ts, err := s.AppointmentTypes(ctx, tenantID, true)
	if err != nil {
		return nil, n, err
	}
	for _, t := range ts {
		n.types[t.ID] = t.Name
	}
	as, err := s.Advisors(ctx, tenantID)
	if err != nil {
		return nil, n, err
	}
	for _, a := range as {
		if a.LocationID != nil {
			n.advisorAt[a.ID] = *a.LocationID
		}
	}
	return loc, n, nil
}

// bucket names the day, ISO week or month of t in loc.
func bucket(t time.Time, loc *time.Location, p Period) string {
	t = t.In(loc)
	switch p {
	case PerWeek:
		y, w := t.ISOWeek()
		return strconv.Itoa(y) + "-W" + fmt.Sprintf("%02d", w)
	case PerMonth:
		return t.Format("2006-01")
	default:
		return t.Format("2006-01-02")
	}
}

// Buckets lists every bucket that [from, to) touches, in order.
func Buckets(from, to time.Time, loc *time.Location, p Period) []string {
	var out []string
	f := from.In(loc)
	for d := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc); d.Before(to) && len(out) < 2000; d = d.AddDate(0, 0, 1) {
		if b := bucket(d, loc, p); len(out) == 0 || out[len(out)-1] != b {
			out = append(out, b)
		}
	}
	return out
}
