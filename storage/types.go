package storage

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// NewAppointmentType is what an admin enters for a format of appointment.
type NewAppointmentType struct {
	TenantID        uint
	Name            string
	Kind            TypeKind
	DurationMinutes int
	MediaUnits      int
	SeatLimit       int // groups only
}

func (n NewAppointmentType) clean() (NewAppointmentType, error) {
	var err error
	if n.Name, err = cleanName("type name", n.Name, 200); err != nil {
		return n, err
	}
	switch n.Kind {
	case KindOneToOne:
		n.SeatLimit = 0
	case KindGroup:
		if n.SeatLimit < 1 || n.SeatLimit > 10000 {
			return n, invalid("seat limit", "must be 1..10000")
		}
	default:
		return n, invalid("kind", "not one_to_one or group")
	}
	if n.DurationMinutes < 5 || n.DurationMinutes > 8*60 {
		return n, invalid("duration", "must be 5..480 minutes")
	}
	if n.MediaUnits < 1 || n.MediaUnits > 100000 {
		return n, invalid("media units", "must be at least 1")
	}
	return n, nil
}

// CreateAppointmentType adds a format of appointment.
func (s *Store) CreateAppointmentType(ctx context.Context, actorID uint, n NewAppointmentType) (AppointmentType, error) {
	var t AppointmentType
	n, err := n.clean()
	if err != nil {
		return t, fmt.Errorf("create appointment type: %w", err)
	}
	t = AppointmentType{TenantID: n.TenantID, Name: n.Name, Kind: n.Kind, DurationMinutes: n.DurationMinutes,
		MediaUnits: n.MediaUnits, SeatLimit: n.SeatLimit, Active: true}
	err = s.write(ctx, "create appointment type", func(tx *gorm.DB) error {
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		return s.audit(tx, t.TenantID, actorID, "type.create", "appointment_type", t.ID)
	})
	return t, err
}

// AppointmentType loads one type.
func (s *Store) AppointmentType(ctx context.Context, id uint) (AppointmentType, error) {
	var t AppointmentType
	if err := s.read(ctx).Take(&t, id).Error; err != nil {
		return t, fmt.Errorf("load appointment type %d: %w", id, notFound(err))
	}
	return t, nil
}

// AppointmentTypes lists a tenant's types, active ones only unless all is set.
func (s *Store) AppointmentTypes(ctx context.Context, tenantID uint, all bool) ([]AppointmentType, error) {
	q := s.read(ctx).Where("tenant_id = ?", tenantID)
	if !all {
		q = q.Where("active = ?", true)
	}
	var ts []AppointmentType
	if err := q.Order("name, id").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("list appointment types of tenant %d: %w", tenantID, err)
	}
	return ts, nil
}

// SetAppointmentTypeActive hides or shows a type for new bookings; booked
// appointments keep it.
func (s *Store) SetAppointmentTypeActive(ctx context.Context, actorID, id uint, active bool) error {
	return s.write(ctx, fmt.Sprintf("set type %d active", id), func(tx *gorm.DB) error {
		var t AppointmentType
		if err := tx.Take(&t, id).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Model(&t).Update("active", active).Error; err != nil {
			return err
		}
		return s.audit(tx, t.TenantID, actorID, "type.active", "appointment_type", id)
	})
}

// Capacity is the media capacity in units that bookings may use at any instant.
func (s *Store) Capacity(ctx context.Context) (int, error) {
	var c CapacityConfig
	if err := s.read(ctx).Take(&c, 1).Error; err != nil {
		return 0, fmt.Errorf("load capacity: %w", notFound(err))
	}
	return c.TotalUnits, nil
}

// SetCapacity changes the media capacity. Lowering it does not cancel anything; it
// only stops new bookings until load falls below it. tenantID and actorID are for
// the audit log (actorID 0: set by the system or the cluster).
func (s *Store) SetCapacity(ctx context.Context, tenantID, actorID uint, units int) error {
	if units < 0 || units > 10_000_000 {
		return fmt.Errorf("set capacity: %w", invalid("units", "out of range"))
	}
	return s.write(ctx, "set capacity", func(tx *gorm.DB) error {
		if err := tx.Save(&CapacityConfig{ID: 1, TotalUnits: units}).Error; err != nil {
			return err
		}
		return s.audit(tx, tenantID, actorID, "capacity.set", "capacity", 1)
	})
}
