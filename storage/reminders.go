package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AppointmentReminder records that an appointment's reminder was claimed by one node.
// A row of its own (not a column of appointments) keeps the claim an insert that
// either wins or conflicts, so two nodes never both send.
type AppointmentReminder struct {
	AppointmentID uint        `gorm:"primaryKey;autoIncrement:false"`
	Appointment   Appointment `gorm:"constraint:OnDelete:CASCADE"`
	RemindedAt    time.Time   `gorm:"not null"`
}

// DueReminder is a booked appointment whose citizen has not been reminded yet, with
// what the reminder e-mail says. It carries no join link: only token hashes are stored.
type DueReminder struct {
	AppointmentID   uint
	Start           time.Time `gorm:"column:starts_at"`
	End             time.Time `gorm:"column:ends_at"`
	UpdatedAt       time.Time
	CitizenName     string
	CitizenEmail    string
	CitizenLanguage string
	AdvisorName     string
	TenantName      string
	TenantColor     string
	TenantLogoURL   string
	TimeZone        string
}

// DueReminders lists booked appointments with a citizen e-mail that start in
// [from, until) and whose reminder nobody has claimed, earliest first.
func (s *Store) DueReminders(ctx context.Context, from, until time.Time) ([]DueReminder, error) {
	var rows []DueReminder
	err := s.read(ctx).Table("appointments AS a").
		Select(`a.id AS appointment_id, a.starts_at, a.ends_at, a.updated_at,
			a.citizen_name, a.citizen_email, a.citizen_language, adv.name AS advisor_name,
			t.name AS tenant_name, t.primary_color AS tenant_color, t.logo_url AS tenant_logo_url, t.time_zone`).
		Joins("JOIN tenants t ON t.id = a.tenant_id").
		Joins("LEFT JOIN advisors adv ON adv.id = a.advisor_id").
		Joins("LEFT JOIN appointment_reminders r ON r.appointment_id = a.id").
		Where("a.status = ? AND a.starts_at >= ? AND a.starts_at < ? AND r.appointment_id IS NULL", StatusBooked, dbTime(from), dbTime(until)).
		Where("a.citizen_email IS NOT NULL AND a.citizen_email <> '' AND a.contact_purged_at IS NULL").
		Order("a.starts_at, a.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list due reminders: %w", err)
	}
	for i := range rows {
		rows[i].Start, rows[i].End, rows[i].UpdatedAt = rows[i].Start.UTC(), rows[i].End.UTC(), rows[i].UpdatedAt.UTC()
	}
	return rows, nil
}

// MarkReminded claims the reminder of an appointment. It reports false when another
// caller claimed it first; only the caller that got true may send.
func (s *Store) MarkReminded(ctx context.Context, appointmentID uint, at time.Time) (bool, error) {
	var claimed bool
	err := s.write(ctx, fmt.Sprintf("mark appointment %d reminded", appointmentID), func(tx *gorm.DB) error {
		res := tx.Omit(clause.Associations).Clauses(clause.OnConflict{DoNothing: true}).
			Create(&AppointmentReminder{AppointmentID: appointmentID, RemindedAt: dbTime(at)})
		if res.Error != nil {
			return res.Error
		}
		claimed = res.RowsAffected == 1
		return nil
	})
	if err != nil {
		return false, err
	}
	return claimed, nil
}
