package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// WeeklyWindow is one recurring window of an advisor's week in the tenant's zone.
type WeeklyWindow struct {
	Weekday     time.Weekday
	StartMinute int // minutes after local midnight
	EndMinute   int // exclusive, ≤ 1440
}

func (w WeeklyWindow) valid() error {
	if w.Weekday < time.Sunday || w.Weekday > time.Saturday {
		return invalid("weekday", "not 0..6")
	}
	if w.StartMinute < 0 || w.EndMinute > 24*60 || w.StartMinute >= w.EndMinute {
		return invalid("window", "must be 00:00 ≤ start < end ≤ 24:00")
	}
	return nil
}

// SetWeeklyAvailability replaces an advisor's weekly plan.
func (s *Store) SetWeeklyAvailability(ctx context.Context, actorID, advisorID uint, ws []WeeklyWindow) error {
	rows := make([]WeeklyAvailability, 0, len(ws))
	for _, w := range ws {
		if err := w.valid(); err != nil {
			return fmt.Errorf("set availability of advisor %d: %w", advisorID, err)
		}
		rows = append(rows, WeeklyAvailability{AdvisorID: advisorID, Weekday: w.Weekday,
			StartMinute: w.StartMinute, EndMinute: w.EndMinute})
	}
	return s.write(ctx, fmt.Sprintf("set availability of advisor %d", advisorID), func(tx *gorm.DB) error {
		var a Advisor
		if err := tx.Take(&a, advisorID).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Where("advisor_id = ?", advisorID).Delete(&WeeklyAvailability{}).Error; err != nil {
			return err
		}
		if len(rows) > 0 {
			if err := tx.Create(&rows).Error; err != nil {
				return err
			}
		}
		return s.audit(tx, a.TenantID, actorID, "availability.set", "advisor", advisorID)
	})
}

// AddException adds a day off or extra hours for an advisor. Removing time does not
// cancel appointments already booked in it; the console shows them.
func (s *Store) AddException(ctx context.Context, actorID, advisorID uint, kind ExceptionKind, start, end time.Time, note string) (AvailabilityException, error) {
	e := AvailabilityException{AdvisorID: advisorID, Kind: kind, Start: dbTime(start), End: dbTime(end), Note: note}
	if kind != ExceptionOff && kind != ExceptionExtra {
		return e, fmt.Errorf("add exception: %w", invalid("kind", "not off or extra"))
	}
	if !e.Start.Before(e.End) || e.End.Sub(e.Start) > 366*24*time.Hour {
		return e, fmt.Errorf("add exception: %w", invalid("range", "start must be before end, at most a year"))
	}
	if len(note) > 200 {
		return e, fmt.Errorf("add exception: %w", invalid("note", "too long"))
	}
	err := s.write(ctx, "add exception", func(tx *gorm.DB) error {
		var a Advisor
		if err := tx.Take(&a, advisorID).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Create(&e).Error; err != nil {
			return err
		}
		return s.audit(tx, a.TenantID, actorID, "availability.exception", "advisor", advisorID)
	})
	return e, err
}

// DeleteException removes one exception.
func (s *Store) DeleteException(ctx context.Context, actorID, advisorID, id uint) error {
	return s.write(ctx, "delete exception", func(tx *gorm.DB) error {
		var a Advisor
		if err := tx.Take(&a, advisorID).Error; err != nil {
			return notFound(err)
		}
		res := tx.Where("id = ? AND advisor_id = ?", id, advisorID).Delete(&AvailabilityException{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("exception %d: %w", id, ErrNotFound)
		}
		return s.audit(tx, a.TenantID, actorID, "availability.exception.delete", "advisor", advisorID)
	})
}

// Availability returns an advisor's weekly plan and the exceptions overlapping [from, to).
func (s *Store) Availability(ctx context.Context, advisorID uint, from, to time.Time) ([]WeeklyAvailability, []AvailabilityException, error) {
	var ws []WeeklyAvailability
	var es []AvailabilityException
	db := s.read(ctx)
	if err := db.Where("advisor_id = ?", advisorID).Order("weekday, start_minute").Find(&ws).Error; err != nil {
		return nil, nil, fmt.Errorf("load availability of advisor %d: %w", advisorID, err)
	}
	if err := db.Where("advisor_id = ? AND starts_at < ? AND ends_at > ?", advisorID, dbTime(to), dbTime(from)).
		Order("starts_at").Find(&es).Error; err != nil {
		return nil, nil, fmt.Errorf("load exceptions of advisor %d: %w", advisorID, err)
	}
	return ws, es, nil
}
