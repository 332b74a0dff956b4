package storage

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// SlotQuery asks for bookable slots of a type for a topic and language, optionally
// at one location, starting in [From, To).
type SlotQuery struct {
	TypeID     uint
	Topic      string
	Language   string
	LocationID *uint
	From, To   time.Time
}

// Slot is a bookable start time: at least one advisor is free for the whole
// appointment and the media capacity holds it.
type Slot struct {
	Start, End time.Time
	AdvisorIDs []uint // free advisors, ascending
	FreeUnits  int    // media units still free during the slot before booking it
}

func (q SlotQuery) clean() (SlotQuery, error) {
	var err error
	if q.Topic, err = cleanKey("topic", q.Topic); err != nil {
		return q, err
	}
	if q.Language, err = cleanLang("language", q.Language); err != nil {
		return q, err
	}
	return q, nil
}

// bookableType loads an active one-to-one type; group sessions are registered for, not booked.
func bookableType(t AppointmentType, err error) (AppointmentType, error) {
	if err != nil {
		return t, err
	}
	if !t.Active {
		return t, fmt.Errorf("appointment type %d: %w", t.ID, ErrNotFound)
	}
	if t.Kind != KindOneToOne {
		return t, invalid("type", "group sessions are registered for, not booked by slot")
	}
	return t, nil
}

// FreeSlots lists the slots a citizen may book, in time order. Slots step by the
// type's duration from the start of each advisor's free time, so they realign after
// a booked appointment; slots before now are never offered.
func (s *Store) FreeSlots(ctx context.Context, q SlotQuery) ([]Slot, error) {
	q, err := q.clean()
	if err != nil {
		return nil, fmt.Errorf("free slots: %w", err)
	}
	if now := s.now(); q.From.Before(now) {
		q.From = now
	}
	if !q.From.Before(q.To) {
		return nil, nil
	}
	if q.To.Sub(q.From) > s.cfg.MaxSlotRange {
		return nil, fmt.Errorf("free slots: %w", invalid("range", "longer than "+s.cfg.MaxSlotRange.String()))
	}
	db := s.read(ctx)
	var typ AppointmentType
	typ, err = bookableType(typ, notFound(db.Take(&typ, q.TypeID).Error))
	if err != nil {
		return nil, fmt.Errorf("free slots of type %d: %w", q.TypeID, err)
	}
	p, err := loadPlan(db, typ, planQuery{topic: q.Topic, language: q.Language,
		locationID: q.LocationID}, q.From, q.To)
	if err != nil {
		return nil, fmt.Errorf("free slots of type %d: %w", q.TypeID, err)
	}
	return p.slots(q.From, q.To), nil
}

// slots walks every candidate's free time and merges the results by start.
func (p *plan) slots(from, to time.Time) []Slot {
	d := p.typ.Duration()
	byStart := map[int64]*Slot{}
	for _, id := range p.advisors {
		for _, free := range subtract(p.avail[id], p.busy[id]) {
			for t := free.start; !t.Add(d).After(free.end); t = t.Add(d) {
				if t.Before(from) || !t.Before(to) {
					continue
				}
				k := t.Unix()
				sl := byStart[k]
				if sl == nil {
					sl = &Slot{Start: t.UTC(), End: t.Add(d).UTC()}
					byStart[k] = sl
				}
				sl.AdvisorIDs = append(sl.AdvisorIDs, id)
			}
		}
	}
	out := make([]Slot, 0, len(byStart))
	for _, sl := range byStart {
		x := span{sl.Start, sl.End}
		if !p.fits(x) {
			continue
		}
		sl.FreeUnits = p.capacity - peak(p.load, x)
		out = append(out, *sl)
	}
	slices.SortFunc(out, func(a, b Slot) int { return a.Start.Compare(b.Start) })
	return out
}
