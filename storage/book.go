package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Contact is the minimal citizen data a booking keeps until Purge removes it.
type Contact struct {
	Name     string
	Email    string
	Language string // the citizen's language for mails and pages
}

func (c Contact) clean() (Contact, error) {
	var err error
	if c.Name, err = cleanName("name", c.Name, 200); err != nil {
		return c, err
	}
	if c.Email, err = cleanEmail("e-mail", c.Email); err != nil {
		return c, err
	}
	if c.Language, err = cleanLang("language", c.Language); err != nil {
		return c, err
	}
	return c, nil
}

// BookRequest is a citizen's choice of slot.
type BookRequest struct {
	TypeID     uint
	Topic      string
	Language   string // the language the appointment is held in
	LocationID *uint
	Start      time.Time
	Citizen    Contact
}

// Booking is a new appointment with the two raw tokens, which exist only here: the
// manage token for the cancel/reschedule link and the citizen's join token.
type Booking struct {
	Appointment Appointment
	Invitation  Invitation
	ManageToken string
	JoinToken   string
}

// Book books the slot for the citizen, or fails with ErrSlotTaken when the last free
// advisor or the last media capacity went to someone else first, or ErrSlotNotOffered
// when no advisor works then. The check and the insert are one serialised step (see
// the package comment), so concurrent requests can never overbook.
func (s *Store) Book(ctx context.Context, r BookRequest) (Booking, error) {
	var b Booking
	q, err := SlotQuery{TypeID: r.TypeID, Topic: r.Topic, Language: r.Language, LocationID: r.LocationID}.clean()
	if err != nil {
		return b, fmt.Errorf("book: %w", err)
	}
	if r.Citizen, err = r.Citizen.clean(); err != nil {
		return b, fmt.Errorf("book: citizen %w", err)
	}
	start := r.Start.UTC()
	if !start.Equal(start.Truncate(time.Minute)) {
		return b, fmt.Errorf("book: %w", invalid("start", "not on a whole minute"))
	}
	if start.Before(s.now()) {
		return b, fmt.Errorf("book: %w: start is in the past", ErrSlotNotOffered)
	}
	manage, manageHash, err := newToken(s.rnd)
	if err != nil {
		return b, fmt.Errorf("book: %w", err)
	}
	join, joinHash, err := newToken(s.rnd)
	if err != nil {
		return b, fmt.Errorf("book: %w", err)
	}
	err = s.write(ctx, "book", func(tx *gorm.DB) error {
		var typ AppointmentType
		typ, err := bookableType(typ, notFound(tx.Take(&typ, q.TypeID).Error))
		if err != nil {
			return fmt.Errorf("type %d: %w", q.TypeID, err)
		}
		x := span{start, start.Add(typ.Duration())}
		if err := s.lock(tx, hourBuckets(x.start, x.end)...); err != nil {
			return err
		}
		p, err := loadPlan(tx, typ, planQuery{topic: q.Topic, language: q.Language,
			locationID: q.LocationID}, x.start, x.start)
		if err != nil {
			return err
		}
		advisorID, err := p.choose(tx, x)
		if err != nil {
			return err
		}
		a := Appointment{TenantID: typ.TenantID, TypeID: typ.ID, AdvisorID: advisorID, LocationID: q.LocationID,
			Topic: q.Topic, Language: q.Language, Start: x.start, End: x.end, MediaUnits: typ.MediaUnits,
			Status: StatusBooked, CitizenName: r.Citizen.Name, CitizenEmail: r.Citizen.Email,
			CitizenLanguage: r.Citizen.Language, ManageTokenHash: &manageHash}
		if err := tx.Omit("Invitations", "Registrations", "CallRecords").Create(&a).Error; err != nil {
			return fmt.Errorf("insert appointment: %w", err)
		}
		inv := s.invitationFor(a, InviteCitizen, r.Citizen.Name, r.Citizen.Email, r.Citizen.Language, joinHash)
		if err := tx.Omit("Registrations").Create(&inv).Error; err != nil {
			return fmt.Errorf("insert citizen invitation: %w", err)
		}
		b = Booking{Appointment: a, Invitation: inv, ManageToken: manage, JoinToken: join}
		return nil
	})
	if err != nil {
		return Booking{}, err
	}
	s.log.Info("appointment booked", "appointment", b.Appointment.ID, "advisor", b.Appointment.AdvisorID,
		"type", b.Appointment.TypeID)
	return b, nil
}

// choose picks the advisor for x, or says why there is none. Among free advisors it
// takes the one with the fewest appointments that local day (then the lowest id), so
// work spreads evenly.
func (p *plan) choose(tx *gorm.DB, x span) (uint, error) {
	scheduled, free := p.scheduled(x)
	if len(scheduled) == 0 {
		return 0, ErrSlotNotOffered
	}
	if len(free) == 0 {
		return 0, fmt.Errorf("%w: no advisor free any more", ErrSlotTaken)
	}
	if !p.fits(x) {
		return 0, fmt.Errorf("%w: media capacity full", ErrSlotTaken)
	}
	if len(free) == 1 {
		return free[0], nil
	}
	l := x.start.In(p.loc)
	dayStart := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, p.loc)
	dayEnd := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, p.loc)
	type row struct {
		AdvisorID uint
		N         int
	}
	var rows []row
	err := fresh(tx).Model(&Appointment{}).Select("advisor_id, COUNT(*) AS n").
		Where("advisor_id IN ? AND status = ? AND starts_at >= ? AND starts_at < ?", free, StatusBooked,
			dbTime(dayStart), dbTime(dayEnd)).Group("advisor_id").Scan(&rows).Error
	if err != nil {
		return 0, fmt.Errorf("count advisors' appointments: %w", err)
	}
	count := map[uint]int{}
	for _, r := range rows {
		count[r.AdvisorID] = r.N
	}
	best := free[0]
	for _, id := range free[1:] {
		if count[id] < count[best] {
			best = id
		}
	}
	return best, nil
}

// invitationFor builds an invitation valid from JoinEarly before the appointment to
// JoinLate after it.
func (s *Store) invitationFor(a Appointment, role InvitationRole, name, email, lang, hash string) Invitation {
	return Invitation{AppointmentID: a.ID, Role: role, DisplayName: name, Email: email, Language: lang,
		TokenHash: hash, ValidFrom: dbTime(a.Start.Add(-s.cfg.JoinEarly)), ValidUntil: dbTime(a.End.Add(s.cfg.JoinLate))}
}
