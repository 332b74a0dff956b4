package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Appointment loads one appointment with its invitations.
func (s *Store) Appointment(ctx context.Context, id uint) (Appointment, error) {
	var a Appointment
	if err := s.read(ctx).Preload("Invitations").Take(&a, id).Error; err != nil {
		return a, fmt.Errorf("load appointment %d: %w", id, notFound(err))
	}
	return a, nil
}

// AdvisorAppointments lists an advisor's appointments starting in [from, to) with
// their invitations, for the console's day view.
func (s *Store) AdvisorAppointments(ctx context.Context, advisorID uint, from, to time.Time) ([]Appointment, error) {
	var as []Appointment
	err := s.read(ctx).Preload("Invitations").
		Where("advisor_id = ? AND starts_at >= ? AND starts_at < ?", advisorID, dbTime(from), dbTime(to)).
		Order("starts_at, id").Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("list appointments of advisor %d: %w", advisorID, err)
	}
	return as, nil
}

// SetAppointmentStatus records what happened to a booked appointment: done, no-show
// or cancelled by the advisor.
func (s *Store) SetAppointmentStatus(ctx context.Context, actorID, id uint, to Status) error {
	switch to {
	case StatusDone, StatusNoShow, StatusCancelled:
	default:
		return fmt.Errorf("set status of appointment %d: %w", id, invalid("status", "not done, no_show or cancelled"))
	}
	return s.write(ctx, fmt.Sprintf("set status of appointment %d", id), func(tx *gorm.DB) error {
		var a Appointment
		if err := tx.Take(&a, id).Error; err != nil {
			return notFound(err)
		}
		if err := setStatus(tx, &a, StatusBooked, to); err != nil {
			return err
		}
		return s.audit(tx, a.TenantID, actorID, "appointment."+string(to), "appointment", id)
	})
}

// place inserts a booked appointment for a pinned advisor after checking, under the
// hour-bucket locks, that the advisor has nothing else then and the media capacity
// holds it. Working hours are not checked: advisors may place appointments outside
// them (group sessions, the demo). Called inside a write transaction.
func (s *Store) place(tx *gorm.DB, typ AppointmentType, a *Appointment) error {
	x := span{a.Start, a.End}
	if err := s.lock(tx, hourBuckets(x.start, x.end)...); err != nil {
		return err
	}
	p, err := loadPlan(tx, typ, planQuery{advisorID: a.AdvisorID}, x.start, x.start)
	if err != nil {
		return err
	}
	if len(p.advisors) == 0 {
		return fmt.Errorf("advisor %d: %w", a.AdvisorID, ErrNotFound)
	}
	if overlapsAny(p.busy[a.AdvisorID], x) {
		return fmt.Errorf("%w: advisor %d has another appointment then", ErrSlotTaken, a.AdvisorID)
	}
	if !p.fits(x) {
		return fmt.Errorf("%w: media capacity full", ErrSlotTaken)
	}
	if err := fresh(tx).Omit("Invitations", "Registrations", "CallRecords").Create(a).Error; err != nil {
		return fmt.Errorf("insert appointment: %w", err)
	}
	return nil
}
