package storage

import (
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
)

// plan is everything needed to decide which slots are free in a time range: the
// candidate advisors' free time and the global media load. FreeSlots builds it from a
// read snapshot; Book, Reschedule and group sessions build it inside their locked
// write transaction and decide on exactly the same rules.
type plan struct {
	typ      AppointmentType
	loc      *time.Location
	capacity int
	advisors []uint          // candidates, ascending
	avail    map[uint][]span // weekly ∪ extra − off, normalized
	busy     map[uint][]span // booked appointments, normalized
	load     []step          // media units held by all booked appointments
}

// planQuery selects the candidates. Advisor pins one advisor (group sessions, the
// console); otherwise topic and language (and location) choose them.
type planQuery struct {
	topic      string
	language   string
	locationID *uint
	advisorID  uint
	exclude    uint // an appointment to ignore (the one being rescheduled)
}

var zoneCache sync.Map // string → *time.Location

func zone(name string) (*time.Location, error) {
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	zoneCache.Store(name, l)
	return l, nil
}

// maxAppointment bounds every appointment's length (types allow up to 480 minutes),
// so overlap queries can give the index on starts_at a lower bound too instead of
// scanning all past appointments.
const maxAppointment = 8 * time.Hour

// fresh starts a new statement on the same connection or transaction.
func fresh(db *gorm.DB) *gorm.DB { return db.Session(&gorm.Session{NewDB: true}) }

func loadPlan(db *gorm.DB, typ AppointmentType, q planQuery, from, to time.Time) (*plan, error) {
	p := &plan{typ: typ, avail: map[uint][]span{}, busy: map[uint][]span{}}
	var tenant Tenant
	if err := fresh(db).Take(&tenant, typ.TenantID).Error; err != nil {
		return nil, fmt.Errorf("load tenant %d: %w", typ.TenantID, notFound(err))
	}
	loc, err := zone(tenant.TimeZone)
	if err != nil {
		return nil, err
	}
	p.loc = loc
	var capRow CapacityConfig
	if err := fresh(db).Take(&capRow, 1).Error; err != nil {
		return nil, fmt.Errorf("load capacity: %w", notFound(err))
	}
	p.capacity = capRow.TotalUnits

	adv := fresh(db).Model(&Advisor{}).Where("tenant_id = ? AND active = ?", typ.TenantID, true)
	if q.advisorID != 0 {
		adv = adv.Where("id = ?", q.advisorID)
	} else {
		adv = adv.
			Where("id IN (?)", fresh(db).Model(&AdvisorTopic{}).Select("advisor_id").Where("topic = ?", q.topic)).
			Where("id IN (?)", fresh(db).Model(&AdvisorLanguage{}).Select("advisor_id").Where("language = ?", q.language))
		if q.locationID != nil {
			adv = adv.Where("location_id = ?", *q.locationID)
		}
	}
	if err := adv.Order("id").Pluck("id", &p.advisors).Error; err != nil {
		return nil, fmt.Errorf("find advisors: %w", err)
	}

	// A slot starting before `to` may run until to+duration.
	end := to.Add(typ.Duration())
	f, e := dbTime(from), dbTime(end)
	if err := p.loadLoad(db, f, e, q.exclude); err != nil {
		return nil, err
	}
	if len(p.advisors) == 0 {
		return p, nil
	}

	var weekly []WeeklyAvailability
	if err := fresh(db).Where("advisor_id IN ?", p.advisors).Find(&weekly).Error; err != nil {
		return nil, fmt.Errorf("load weekly availability: %w", err)
	}
	var exc []AvailabilityException
	if err := fresh(db).Where("advisor_id IN ? AND starts_at < ? AND ends_at > ?", p.advisors, e, f).
		Find(&exc).Error; err != nil {
		return nil, fmt.Errorf("load availability exceptions: %w", err)
	}
	var appts []Appointment
	busyQ := fresh(db).Select("id", "advisor_id", "starts_at", "ends_at").
		Where("advisor_id IN ? AND status = ? AND starts_at < ? AND starts_at > ? AND ends_at > ?",
			p.advisors, StatusBooked, e, f.Add(-maxAppointment), f)
	if q.exclude != 0 {
		busyQ = busyQ.Where("id <> ?", q.exclude)
	}
	if err := busyQ.Find(&appts).Error; err != nil {
		return nil, fmt.Errorf("load booked appointments: %w", err)
	}

	weeklyBy := map[uint][]WeeklyAvailability{}
	for _, w := range weekly {
		weeklyBy[w.AdvisorID] = append(weeklyBy[w.AdvisorID], w)
	}
	extra, off := map[uint][]span{}, map[uint][]span{}
	for _, x := range exc {
		sp := span{x.Start, x.End}
		if x.Kind == ExceptionExtra {
			extra[x.AdvisorID] = append(extra[x.AdvisorID], sp)
		} else {
			off[x.AdvisorID] = append(off[x.AdvisorID], sp)
		}
	}
	for _, a := range appts {
		p.busy[a.AdvisorID] = append(p.busy[a.AdvisorID], span{a.Start, a.End})
	}
	for _, id := range p.advisors {
		base := append(expandWeekly(weeklyBy[id], from, end, loc), extra[id]...)
		p.avail[id] = subtract(normalize(base), normalize(off[id]))
		p.busy[id] = normalize(p.busy[id])
	}
	return p, nil
}

// loadLoad reads the media load of [from, to) grouped by identical intervals, which
// keeps a month of a busy service to a few thousand rows.
func (p *plan) loadLoad(db *gorm.DB, from, to time.Time, exclude uint) error {
	type row struct {
		StartsAt time.Time
		EndsAt   time.Time
		Units    int
	}
	var rows []row
	q := fresh(db).Model(&Appointment{}).Select("starts_at, ends_at, SUM(media_units) AS units").
		Where("status = ? AND starts_at < ? AND starts_at > ? AND ends_at > ?", StatusBooked, to, from.Add(-maxAppointment), from)
	if exclude != 0 {
		q = q.Where("id <> ?", exclude)
	}
	if err := q.Group("starts_at, ends_at").Scan(&rows).Error; err != nil {
		return fmt.Errorf("load media load: %w", err)
	}
	loads := make([]load, len(rows))
	for i, r := range rows {
		loads[i] = load{span{r.StartsAt, r.EndsAt}, r.Units}
	}
	p.load = profile(loads)
	return nil
}

// fits reports whether x still has media capacity for this type.
func (p *plan) fits(x span) bool { return peak(p.load, x)+p.typ.MediaUnits <= p.capacity }

// scheduled lists the candidates whose working time covers x, and free those of them
// with no booked appointment overlapping x.
func (p *plan) scheduled(x span) (scheduled, free []uint) {
	for _, id := range p.advisors {
		if !covers(p.avail[id], x) {
			continue
		}
		scheduled = append(scheduled, id)
		if !overlapsAny(p.busy[id], x) {
			free = append(free, id)
		}
	}
	return scheduled, free
}
