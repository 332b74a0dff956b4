package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// PurgeReport says how many records Purge touched.
type PurgeReport struct {
	Appointments  int64 // appointments whose citizen contact was emptied
	Invitations   int64 // invitations deleted
	Registrations int64 // group registrations deleted
}

// Purge bounds how long personal data lives. It empties the citizen contact and drops
// the manage token of every appointment that ended more than RetentionDays before now,
// deletes the group registrations of those sessions, and deletes invitations whose
// window closed more than InvitationGrace before now (or that belong to a purged
// appointment). Appointments themselves, call records, survey answers and the audit
// log stay: they carry no citizen data. Run it from a daily job; it is idempotent.
func (s *Store) Purge(ctx context.Context, now time.Time) (PurgeReport, error) {
	var rep PurgeReport
	cutoff := dbTime(now.AddDate(0, 0, -s.cfg.RetentionDays))
	invCutoff := dbTime(now.Add(-s.cfg.InvitationGrace))
	err := s.write(ctx, "purge", func(tx *gorm.DB) error {
		old := fresh(tx).Model(&Appointment{}).Select("id").Where("ends_at < ?", cutoff)

		res := fresh(tx).Where("appointment_id IN (?)", old).Delete(&GroupRegistration{})
		if res.Error != nil {
			return fmt.Errorf("delete registrations: %w", res.Error)
		}
		rep.Registrations = res.RowsAffected

		// Registrations of expired invitations that are not yet old enough go with them.
		expired := fresh(tx).Model(&Invitation{}).Select("id").Where("valid_until < ?", invCutoff)
		res = fresh(tx).Where("invitation_id IN (?)", expired).Delete(&GroupRegistration{})
		if res.Error != nil {
			return fmt.Errorf("delete registrations of expired invitations: %w", res.Error)
		}
		rep.Registrations += res.RowsAffected

		res = fresh(tx).Where("valid_until < ? OR appointment_id IN (?)", invCutoff, old).Delete(&Invitation{})
		if res.Error != nil {
			return fmt.Errorf("delete invitations: %w", res.Error)
		}
		rep.Invitations = res.RowsAffected

		res = fresh(tx).Model(&Appointment{}).Where("ends_at < ? AND contact_purged_at IS NULL", cutoff).
			Updates(map[string]any{"citizen_name": "", "citizen_email": "", "manage_token_hash": nil,
				"contact_purged_at": dbTime(now)})
		if res.Error != nil {
			return fmt.Errorf("empty citizen contact: %w", res.Error)
		}
		rep.Appointments = res.RowsAffected
		return nil
	})
	if err != nil {
		return PurgeReport{}, err
	}
	s.log.Info("retention purge", "appointments", rep.Appointments, "invitations", rep.Invitations,
		"registrations", rep.Registrations, "retention_days", s.cfg.RetentionDays)
	return rep, nil
}
