package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// NewInvitation is an extra participant an advisor invites from the console.
type NewInvitation struct {
	AppointmentID uint
	Role          InvitationRole
	DisplayName   string
	Email         string // optional: where web sends the link
	Language      string // optional: the language of that mail and the pages
}

func cleanInviteRole(r InvitationRole) error {
	switch r {
	case InviteCitizen, InviteInterpreter, InviteGuardian, InviteCounsel, InviteAttendee:
		return nil
	}
	return invalid("role", "not citizen, interpreter, guardian, counsel or attendee")
}

// Invite adds a participant to an appointment and returns the invitation with its raw
// token, which exists only in this return value.
func (s *Store) Invite(ctx context.Context, actorID uint, n NewInvitation) (Invitation, string, error) {
	var inv Invitation
	if err := cleanInviteRole(n.Role); err != nil {
		return inv, "", fmt.Errorf("invite: %w", err)
	}
	name, err := cleanName("display name", n.DisplayName, 200)
	if err != nil {
		return inv, "", fmt.Errorf("invite: %w", err)
	}
	email := ""
	if n.Email != "" {
		if email, err = cleanEmail("e-mail", n.Email); err != nil {
			return inv, "", fmt.Errorf("invite: %w", err)
		}
	}
	lang := ""
	if n.Language != "" {
		if lang, err = cleanLang("language", n.Language); err != nil {
			return inv, "", fmt.Errorf("invite: %w", err)
		}
	}
	token, hash, err := newToken(s.rnd)
	if err != nil {
		return inv, "", fmt.Errorf("invite: %w", err)
	}
	err = s.write(ctx, fmt.Sprintf("invite to appointment %d", n.AppointmentID), func(tx *gorm.DB) error {
		var a Appointment
		if err := tx.Take(&a, n.AppointmentID).Error; err != nil {
			return notFound(err)
		}
		if a.Status != StatusBooked {
			return fmt.Errorf("appointment %d is %s: %w", a.ID, a.Status, ErrTooLate)
		}
		inv = s.invitationFor(a, n.Role, name, email, lang, hash)
		if err := tx.Omit("Registrations").Create(&inv).Error; err != nil {
			return err
		}
		return s.audit(tx, a.TenantID, actorID, "invitation.create."+string(n.Role), "appointment", a.ID)
	})
	if err != nil {
		return Invitation{}, "", err
	}
	return inv, token, nil
}

// InvitationByToken finds the invitation of a join link and its appointment. It checks
// the token, revocation and cancellation but not the time window, so the landing page
// can say "your appointment is at 10:00" early; CheckWindow or AuthorizeInvitation
// enforce the window. With ErrCancelled it still returns both, because the holder of a
// real link may learn whose appointment was cancelled and whom to ask; with any other
// error (an unknown or revoked token) it returns nothing.
func (s *Store) InvitationByToken(ctx context.Context, token string) (Invitation, Appointment, error) {
	inv, a, err := invitationByToken(s.read(ctx), token)
	switch {
	case errors.Is(err, ErrCancelled):
		return inv, a, fmt.Errorf("load invitation by token: %w", err)
	case err != nil:
		return Invitation{}, Appointment{}, fmt.Errorf("load invitation by token: %w", err)
	}
	return inv, a, nil
}

func invitationByToken(db *gorm.DB, token string) (Invitation, Appointment, error) {
	var inv Invitation
	var a Appointment
	hash, err := tokenHash(token)
	if err != nil {
		return inv, a, err
	}
	if err := fresh(db).Where("token_hash = ?", hash).Take(&inv).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return inv, a, ErrInvalidToken
		}
		return inv, a, err
	}
	if !sameHash(inv.TokenHash, hash) {
		return inv, a, ErrInvalidToken
	}
	if inv.RevokedAt != nil {
		return inv, a, fmt.Errorf("%w: revoked", ErrInvalidToken)
	}
	if err := fresh(db).Take(&a, inv.AppointmentID).Error; err != nil {
		return inv, a, notFound(err)
	}
	if a.Status == StatusCancelled {
		return inv, a, ErrCancelled
	}
	return inv, a, nil
}

// CheckWindow says whether the invitation opens the room at now.
func (inv Invitation) CheckWindow(now time.Time) error {
	switch {
	case now.Before(inv.ValidFrom):
		return fmt.Errorf("invitation opens at %s: %w", inv.ValidFrom.UTC().Format(time.RFC3339), ErrTokenNotYetValid)
	case now.After(inv.ValidUntil):
		return ErrTokenExpired
	}
	return nil
}

// AuthorizeInvitation is what the call's admission asks: does this token open its
// appointment's room now? Errors are ErrInvalidToken, ErrCancelled,
// ErrTokenNotYetValid or ErrTokenExpired, wrapped.
func (s *Store) AuthorizeInvitation(ctx context.Context, token string) (Invitation, Appointment, error) {
	inv, a, err := s.InvitationByToken(ctx, token)
	if err != nil {
		return Invitation{}, Appointment{}, err
	}
	if a.Status != StatusBooked {
		return Invitation{}, Appointment{}, fmt.Errorf("authorize invitation %d: appointment is %s: %w", inv.ID, a.Status, ErrTokenExpired)
	}
	if err := inv.CheckWindow(s.now()); err != nil {
		return Invitation{}, Appointment{}, fmt.Errorf("authorize invitation %d: %w", inv.ID, err)
	}
	return inv, a, nil
}

// RevokeInvitation stops one participant's link from working.
func (s *Store) RevokeInvitation(ctx context.Context, actorID, id uint) error {
	return s.write(ctx, fmt.Sprintf("revoke invitation %d", id), func(tx *gorm.DB) error {
		var inv Invitation
		if err := tx.Take(&inv, id).Error; err != nil {
			return notFound(err)
		}
		var a Appointment
		if err := fresh(tx).Take(&a, inv.AppointmentID).Error; err != nil {
			return notFound(err)
		}
		now := dbTime(s.now())
		if err := fresh(tx).Model(&Invitation{}).Where("id = ?", id).Update("revoked_at", now).Error; err != nil {
			return err
		}
		return s.audit(tx, a.TenantID, actorID, "invitation.revoke", "invitation", id)
	})
}

// Invitations lists an appointment's invitations (hashes only, never tokens).
func (s *Store) Invitations(ctx context.Context, appointmentID uint) ([]Invitation, error) {
	var invs []Invitation
	if err := s.read(ctx).Where("appointment_id = ?", appointmentID).Order("id").Find(&invs).Error; err != nil {
		return nil, fmt.Errorf("list invitations of appointment %d: %w", appointmentID, err)
	}
	return invs, nil
}
