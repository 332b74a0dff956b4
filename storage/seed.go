package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Demo configures Seed. An empty Password gets a random one, returned in Seeded so the
// caller can print it.
type Demo struct {
	Password string
}

// Seeded is what Seed created, with the raw tokens the caller needs for links.
type Seeded struct {
	Tenant          Tenant
	Advisor         Advisor
	AdvisorPassword string
	Type            AppointmentType
	Appointment     Appointment
	JoinToken       string // the citizen invitation of the appointment
	ManageToken     string
}

// Demo identities. The tenant, advisor and type are reused when they exist; every
// call adds a fresh appointment so a new citizen link is always available.
const (
	DemoTenantSlug   = "demo"
	DemoAdvisorEmail = "demo@nahbar.local"
	demoTypeName     = "Beratung per Video (30 min)"
)

// Seed creates a demo tenant, an admin advisor demo@nahbar.local working weekdays
// 08:00–18:00, a 30-minute one-to-one type, and an appointment starting now with a
// citizen invitation (outside working hours too: the demo must always work).
func (s *Store) Seed(ctx context.Context, demo Demo) (Seeded, error) {
	var out Seeded
	pw := demo.Password
	if pw == "" {
		tok, _, err := newToken(s.rnd)
		if err != nil {
			return out, fmt.Errorf("seed: %w", err)
		}
		pw = tok
	}
	out.AdvisorPassword = pw

	t, err := s.TenantBySlug(ctx, DemoTenantSlug)
	if errors.Is(err, ErrNotFound) {
		t, err = s.CreateTenant(ctx, DemoTenantSlug, "Europe/Berlin", Branding{
			Name: "Demo-Behörde", PrimaryColor: "#004b87", AccentColor: "#ffcc00",
			Contact: "Telefon 030 1234567 (Mo–Fr 8–16 Uhr), termine@demo-behoerde.example"})
	}
	if err != nil {
		return out, fmt.Errorf("seed tenant: %w", err)
	}
	out.Tenant = t

	var adv Advisor
	err = s.read(ctx).Where("email = ?", DemoAdvisorEmail).Take(&adv).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		adv, err = s.CreateAdvisor(ctx, 0, NewAdvisor{TenantID: t.ID, Email: DemoAdvisorEmail, Name: "Demo Beraterin",
			Password: pw, Role: RoleAdmin, Languages: []string{"de", "en", "tr", "ar", "uk", "ru"},
			Topics: []string{"general", "jobsearch"}})
		if err == nil {
			var ws []WeeklyWindow
			for d := time.Monday; d <= time.Friday; d++ {
				ws = append(ws, WeeklyWindow{Weekday: d, StartMinute: 8 * 60, EndMinute: 18 * 60})
			}
			err = s.SetWeeklyAvailability(ctx, 0, adv.ID, ws)
		}
	case err == nil:
		err = s.SetPassword(ctx, 0, adv.ID, pw)
	}
	if err != nil {
		return out, fmt.Errorf("seed advisor: %w", err)
	}
	out.Advisor = adv

	var typ AppointmentType
	err = s.read(ctx).Where("tenant_id = ? AND name = ?", t.ID, demoTypeName).Take(&typ).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		typ, err = s.CreateAppointmentType(ctx, 0, NewAppointmentType{TenantID: t.ID, Name: demoTypeName,
			Kind: KindOneToOne, DurationMinutes: 30, MediaUnits: 1})
	}
	if err != nil {
		return out, fmt.Errorf("seed appointment type: %w", err)
	}
	out.Type = typ

	join, joinHash, err := newToken(s.rnd)
	if err != nil {
		return out, fmt.Errorf("seed: %w", err)
	}
	manage, manageHash, err := newToken(s.rnd)
	if err != nil {
		return out, fmt.Errorf("seed: %w", err)
	}
	start := dbTime(s.now()).Truncate(time.Minute)
	a := Appointment{TenantID: t.ID, TypeID: typ.ID, AdvisorID: adv.ID, Topic: "general", Language: "de",
		Start: start, End: start.Add(typ.Duration()), MediaUnits: typ.MediaUnits, Status: StatusBooked,
		CitizenName: "Demo Bürgerin", CitizenEmail: "citizen@nahbar.local", CitizenLanguage: "de",
		ManageTokenHash: &manageHash}
	err = s.write(ctx, "seed appointment", func(tx *gorm.DB) error {
		// A second `make run` within the half hour replaces the previous demo call.
		if err := fresh(tx).Model(&Appointment{}).
			Where("advisor_id = ? AND status = ? AND citizen_email = ? AND starts_at < ? AND ends_at > ?",
				adv.ID, StatusBooked, a.CitizenEmail, a.End, a.Start).
			Update("status", StatusDone).Error; err != nil {
			return fmt.Errorf("close previous demo appointment: %w", err)
		}
		if err := s.place(tx, typ, &a); err != nil {
			return err
		}
		inv := s.invitationFor(a, InviteCitizen, a.CitizenName, a.CitizenEmail, a.CitizenLanguage, joinHash)
		return fresh(tx).Omit("Registrations").Create(&inv).Error
	})
	if err != nil {
		return out, fmt.Errorf("seed: %w", err)
	}
	out.Appointment, out.JoinToken, out.ManageToken = a, join, manage
	return out, nil
}
