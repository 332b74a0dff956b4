package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// appointmentByManageHash finds the appointment of a manage token.
func appointmentByManageHash(db *gorm.DB, hash string) (Appointment, error) {
	var a Appointment
	if err := fresh(db).Where("manage_token_hash = ?", hash).Take(&a).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return a, ErrInvalidToken
		}
		return a, err
	}
	if a.ManageTokenHash == nil || !sameHash(*a.ManageTokenHash, hash) {
		return a, ErrInvalidToken
	}
	return a, nil
}

// AppointmentByManageToken loads the appointment a cancel/reschedule link points to.
func (s *Store) AppointmentByManageToken(ctx context.Context, token string) (Appointment, error) {
	hash, err := tokenHash(token)
	if err != nil {
		return Appointment{}, fmt.Errorf("load appointment by manage token: %w", err)
	}
	a, err := appointmentByManageHash(s.read(ctx), hash)
	if err != nil {
		return Appointment{}, fmt.Errorf("load appointment by manage token: %w", err)
	}
	return a, nil
}

// changeable says whether a citizen may still cancel or move a.
func (s *Store) changeable(a Appointment) error {
	switch {
	case a.Status == StatusCancelled:
		return ErrCancelled
	case a.Status != StatusBooked || !s.now().Before(a.Start):
		return ErrTooLate
	}
	return nil
}

// CancelByToken cancels the appointment of a manage token, which frees its advisor
// and media capacity and stops its invitations from opening the room.
func (s *Store) CancelByToken(ctx context.Context, token string) (Appointment, error) {
	var a Appointment
	hash, err := tokenHash(token)
	if err != nil {
		return a, fmt.Errorf("cancel by token: %w", err)
	}
	err = s.write(ctx, "cancel by token", func(tx *gorm.DB) error {
		if a, err = appointmentByManageHash(tx, hash); err != nil {
			return err
		}
		if err := s.changeable(a); err != nil {
			return fmt.Errorf("appointment %d: %w", a.ID, err)
		}
		return setStatus(tx, &a, StatusBooked, StatusCancelled)
	})
	if err != nil {
		return Appointment{}, err
	}
	return a, nil
}

// setStatus moves a from one status to another, failing if someone changed it first.
func setStatus(tx *gorm.DB, a *Appointment, from, to Status) error {
	res := fresh(tx).Model(&Appointment{}).Where("id = ? AND status = ?", a.ID, from).Update("status", to)
	if res.Error != nil {
		return fmt.Errorf("set status of appointment %d: %w", a.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("appointment %d: %w", a.ID, ErrTooLate)
	}
	a.Status = to
	return nil
}

// RescheduleByToken moves the appointment of a manage token to a new start, keeping
// its advisor when they are free then and otherwise taking another with the same
// topic and language. Invitations move with it; the links stay the same.
func (s *Store) RescheduleByToken(ctx context.Context, token string, newStart time.Time) (Appointment, error) {
	var a Appointment
	hash, err := tokenHash(token)
	if err != nil {
		return a, fmt.Errorf("reschedule by token: %w", err)
	}
	start := newStart.UTC()
	if !start.Equal(start.Truncate(time.Minute)) {
		return a, fmt.Errorf("reschedule by token: %w", invalid("start", "not on a whole minute"))
	}
	if start.Before(s.now()) {
		return a, fmt.Errorf("reschedule by token: %w: start is in the past", ErrSlotNotOffered)
	}
	err = s.write(ctx, "reschedule by token", func(tx *gorm.DB) error {
		if a, err = appointmentByManageHash(tx, hash); err != nil {
			return err
		}
		x := span{start, start.Add(a.Duration())}
		if err := s.lock(tx, append(hourBuckets(x.start, x.end), appointmentLock(a.ID))...); err != nil {
			return err
		}
		// Reload under the lock: a concurrent cancel or reschedule may have won.
		if err := fresh(tx).Take(&a, a.ID).Error; err != nil {
			return err
		}
		if err := s.changeable(a); err != nil {
			return fmt.Errorf("appointment %d: %w", a.ID, err)
		}
		var typ AppointmentType
		if err := fresh(tx).Take(&typ, a.TypeID).Error; err != nil {
			return fmt.Errorf("type %d: %w", a.TypeID, notFound(err))
		}
		typ.MediaUnits = a.MediaUnits // what this appointment holds, even if the type changed since
		p, err := loadPlan(tx, typ, planQuery{topic: a.Topic, language: a.Language,
			locationID: a.LocationID, exclude: a.ID}, x.start, x.start)
		if err != nil {
			return err
		}
		advisorID := a.AdvisorID
		if _, free := p.scheduled(x); !containsID(free, a.AdvisorID) || !p.fits(x) {
			if advisorID, err = p.choose(tx, x); err != nil {
				return err
			}
		}
		delta := x.start.Sub(a.Start)
		res := fresh(tx).Model(&Appointment{}).Where("id = ? AND status = ?", a.ID, StatusBooked).
			Updates(map[string]any{"starts_at": x.start, "ends_at": x.end, "advisor_id": advisorID})
		if res.Error != nil {
			return fmt.Errorf("move appointment %d: %w", a.ID, res.Error)
		}
		if err := shiftInvitations(tx, a.ID, delta); err != nil {
			return err
		}
		a.Start, a.End, a.AdvisorID = x.start, x.end, advisorID
		return nil
	})
	if err != nil {
		return Appointment{}, err
	}
	return a, nil
}

func containsID(ids []uint, id uint) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// shiftInvitations moves every invitation window of an appointment by delta.
func shiftInvitations(tx *gorm.DB, appointmentID uint, delta time.Duration) error {
	var invs []Invitation
	if err := fresh(tx).Where("appointment_id = ?", appointmentID).Find(&invs).Error; err != nil {
		return fmt.Errorf("load invitations of appointment %d: %w", appointmentID, err)
	}
	for _, inv := range invs {
		err := fresh(tx).Model(&Invitation{}).Where("id = ?", inv.ID).Updates(map[string]any{
			"valid_from": dbTime(inv.ValidFrom.Add(delta)), "valid_until": dbTime(inv.ValidUntil.Add(delta))}).Error
		if err != nil {
			return fmt.Errorf("move invitation %d: %w", inv.ID, err)
		}
	}
	return nil
}
