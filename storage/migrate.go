package storage

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// migration is one numbered schema step. Steps are explicit and append-only: a
// released step is never edited; a change of the models gets a new step. Step 1 uses
// AutoMigrate to create the initial tables from the structs, so every later step must
// be harmless on a database that step 1 just created from newer structs (AutoMigrate
// and "IF NOT EXISTS" are).
type migration struct {
	version int
	name    string
	up      func(s *Store, tx *gorm.DB) error
}

// allModels lists every table, parents before children.
func allModels() []any {
	return []any{
		&Tenant{}, &Location{}, &Advisor{}, &AdvisorLanguage{}, &AdvisorTopic{},
		&AppointmentType{}, &WeeklyAvailability{}, &AvailabilityException{},
		&Appointment{}, &Invitation{}, &GroupRegistration{}, &CapacityConfig{},
		&SurveyResponse{}, &CallRecord{}, &AuditEntry{},
	}
}

var migrations = []migration{
	{1, "initial schema", func(s *Store, tx *gorm.DB) error {
		if err := tx.AutoMigrate(allModels()...); err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&CapacityConfig{ID: 1, TotalUnits: s.cfg.DefaultCapacity}).Error
	}},
	{2, "appointment reminders", func(_ *Store, tx *gorm.DB) error {
		return tx.AutoMigrate(&AppointmentReminder{})
	}},
	{3, "tenant contact", func(_ *Store, tx *gorm.DB) error {
		if tx.Migrator().HasColumn(&Tenant{}, "Contact") {
			return nil // step 1 just created it from the newer struct
		}
		return tx.Migrator().AddColumn(&Tenant{}, "Contact")
	}},
	{4, "tenant topic names", func(_ *Store, tx *gorm.DB) error {
		if tx.Migrator().HasColumn(&Tenant{}, "TopicNames") {
			return nil
		}
		return tx.Migrator().AddColumn(&Tenant{}, "TopicNames")
	}},
}

// LatestSchemaVersion is the version Open migrates to.
func LatestSchemaVersion() int { return migrations[len(migrations)-1].version }

// migrate applies the missing steps in one transaction under a migration lock, so
// several nodes starting at once migrate exactly once and a failed step leaves the
// schema untouched (both databases have transactional DDL).
func (s *Store) migrate(ctx context.Context) error {
	return s.write(ctx, "migrate schema", func(tx *gorm.DB) error {
		if err := s.lock(tx, lockKey{lockMigrate, 0}); err != nil {
			return err
		}
		if err := tx.AutoMigrate(&SchemaMigration{}); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		current, err := schemaVersion(tx)
		if err != nil {
			return err
		}
		if current > LatestSchemaVersion() {
			return fmt.Errorf("database schema is version %d, this binary knows up to %d: upgrade nahbar",
				current, LatestSchemaVersion())
		}
		for _, m := range migrations {
			if m.version <= current {
				continue
			}
			if err := m.up(s, tx); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			if err := tx.Create(&SchemaMigration{Version: m.version, Name: m.name, AppliedAt: dbTime(s.now())}).Error; err != nil {
				return fmt.Errorf("record migration %d: %w", m.version, err)
			}
			s.log.Info("schema migrated", "version", m.version, "name", m.name)
		}
		return nil
	})
}

func schemaVersion(tx *gorm.DB) (int, error) {
	var last SchemaMigration
	err := tx.Order("version DESC").Take(&last).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return last.Version, nil
}

// SchemaVersion reports the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(s.read(ctx))
}
