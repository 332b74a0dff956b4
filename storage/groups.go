package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// GroupSessionRequest is an advisor's group information session at a fixed time.
type GroupSessionRequest struct {
	TypeID     uint
	AdvisorID  uint
	Topic      string
	Language   string
	LocationID *uint
	Start      time.Time
}

// GroupSession is a session with the seats still open.
type GroupSession struct {
	Appointment Appointment
	SeatsLeft   int
}

// Registration is a new seat with the attendee's raw join token, which exists only
// here (it also cancels the seat).
type Registration struct {
	Registration GroupRegistration
	Invitation   Invitation
	JoinToken    string
}

// CreateGroupSession schedules a group session for an advisor. It holds the type's
// media units for its whole time, checked like a booking.
func (s *Store) CreateGroupSession(ctx context.Context, actorID uint, r GroupSessionRequest) (Appointment, error) {
	var a Appointment
	topic, err := cleanKey("topic", r.Topic)
	if err != nil {
		return a, fmt.Errorf("create group session: %w", err)
	}
	lang, err := cleanLang("language", r.Language)
	if err != nil {
		return a, fmt.Errorf("create group session: %w", err)
	}
	start := r.Start.UTC()
	if !start.Equal(start.Truncate(time.Minute)) || start.Before(s.now()) {
		return a, fmt.Errorf("create group session: %w", invalid("start", "not a future whole minute"))
	}
	_, manageHash, err := newToken(s.rnd)
	if err != nil {
		return a, fmt.Errorf("create group session: %w", err)
	}
	err = s.write(ctx, "create group session", func(tx *gorm.DB) error {
		var typ AppointmentType
		if err := tx.Take(&typ, r.TypeID).Error; err != nil {
			return fmt.Errorf("type %d: %w", r.TypeID, notFound(err))
		}
		if typ.Kind != KindGroup || !typ.Active {
			return fmt.Errorf("type %d: %w", r.TypeID, invalid("type", "not an active group type"))
		}
		a = Appointment{TenantID: typ.TenantID, TypeID: typ.ID, AdvisorID: r.AdvisorID, LocationID: r.LocationID,
			Topic: topic, Language: lang, Start: start, End: start.Add(typ.Duration()), MediaUnits: typ.MediaUnits,
			SeatLimit: typ.SeatLimit, Status: StatusBooked, ManageTokenHash: &manageHash}
		if err := s.place(tx, typ, &a); err != nil {
			return err
		}
		return s.audit(tx, a.TenantID, actorID, "group.create", "appointment", a.ID)
	})
	if err != nil {
		return Appointment{}, err
	}
	return a, nil
}

// OpenGroupSessions lists a tenant's future group sessions starting in [from, to)
// that still have seats, optionally only in one language.
func (s *Store) OpenGroupSessions(ctx context.Context, tenantID uint, from, to time.Time, language string) ([]GroupSession, error) {
	if now := s.now(); from.Before(now) {
		from = now
	}
	db := s.read(ctx)
	q := db.Model(&Appointment{}).Where("tenant_id = ? AND status = ? AND seat_limit > 0 AND starts_at >= ? AND starts_at < ?",
		tenantID, StatusBooked, dbTime(from), dbTime(to))
	if language != "" {
		q = q.Where("language = ?", language)
	}
	var as []Appointment
	if err := q.Order("starts_at, id").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("list group sessions: %w", err)
	}
	if len(as) == 0 {
		return nil, nil
	}
	ids := make([]uint, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	type row struct {
		AppointmentID uint
		N             int
	}
	var rows []row
	if err := fresh(db).Model(&GroupRegistration{}).Select("appointment_id, COUNT(*) AS n").
		Where("appointment_id IN ? AND status = ?", ids, RegistrationActive).Group("appointment_id").
		Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count registrations: %w", err)
	}
	taken := map[uint]int{}
	for _, r := range rows {
		taken[r.AppointmentID] = r.N
	}
	out := make([]GroupSession, 0, len(as))
	for _, a := range as {
		if left := a.SeatLimit - taken[a.ID]; left > 0 {
			out = append(out, GroupSession{Appointment: a, SeatsLeft: left})
		}
	}
	return out, nil
}

// Register takes a seat of a group session for an attendee, or fails with
// ErrSessionFull. The count and the insert are serialised per session.
func (s *Store) Register(ctx context.Context, appointmentID uint, c Contact) (Registration, error) {
	var r Registration
	c, err := c.clean()
	if err != nil {
		return r, fmt.Errorf("register: attendee %w", err)
	}
	token, hash, err := newToken(s.rnd)
	if err != nil {
		return r, fmt.Errorf("register: %w", err)
	}
	err = s.write(ctx, fmt.Sprintf("register for session %d", appointmentID), func(tx *gorm.DB) error {
		if err := s.lock(tx, appointmentLock(appointmentID)); err != nil {
			return err
		}
		var a Appointment
		if err := tx.Take(&a, appointmentID).Error; err != nil {
			return notFound(err)
		}
		if a.SeatLimit == 0 {
			return invalid("session", "not a group session")
		}
		if a.Status != StatusBooked || !s.now().Before(a.Start) {
			return ErrTooLate
		}
		var n int64
		if err := fresh(tx).Model(&GroupRegistration{}).
			Where("appointment_id = ? AND status = ?", a.ID, RegistrationActive).Count(&n).Error; err != nil {
			return fmt.Errorf("count seats: %w", err)
		}
		if n >= int64(a.SeatLimit) {
			return ErrSessionFull
		}
		inv := s.invitationFor(a, InviteAttendee, c.Name, c.Email, c.Language, hash)
		if err := fresh(tx).Omit("Registrations").Create(&inv).Error; err != nil {
			return fmt.Errorf("insert invitation: %w", err)
		}
		reg := GroupRegistration{AppointmentID: a.ID, InvitationID: inv.ID, Name: c.Name, Email: c.Email,
			Language: c.Language, Status: RegistrationActive}
		if err := fresh(tx).Create(&reg).Error; err != nil {
			return fmt.Errorf("insert registration: %w", err)
		}
		r = Registration{Registration: reg, Invitation: inv, JoinToken: token}
		return nil
	})
	if err != nil {
		return Registration{}, err
	}
	return r, nil
}

// CancelRegistration frees the seat of a join token and revokes the token.
func (s *Store) CancelRegistration(ctx context.Context, token string) error {
	return s.write(ctx, "cancel registration", func(tx *gorm.DB) error {
		inv, a, err := invitationByToken(tx, token)
		if err != nil {
			return err
		}
		if !s.now().Before(a.Start) {
			return ErrTooLate
		}
		res := fresh(tx).Model(&GroupRegistration{}).Where("invitation_id = ? AND status = ?", inv.ID, RegistrationActive).
			Update("status", RegistrationCancelled)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("invitation %d: %w", inv.ID, ErrNotFound)
		}
		return fresh(tx).Model(&Invitation{}).Where("id = ?", inv.ID).Update("revoked_at", dbTime(s.now())).Error
	})
}
