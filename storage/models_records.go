package storage

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Answer is a survey reply. Empty means the question was skipped.
type Answer string

// Survey answers.
const (
	AnswerNone   Answer = ""
	AnswerYes    Answer = "yes"
	AnswerNo     Answer = "no"
	AnswerUnsure Answer = "unsure"
)

// SurveyResponse is one anonymous answer to the post-call survey. It deliberately has
// no appointment, invitation, token, person or timestamp column, and a random key
// rather than a sequence, so an answer cannot be joined back to a call: the day is
// the finest time it keeps.
type SurveyResponse struct {
	ID             string `gorm:"primaryKey;size:32"`
	TenantID       uint   `gorm:"not null;index"`
	Day            string `gorm:"size:10;not null;index"` // YYYY-MM-DD in the tenant's zone
	EasyToUse      Answer `gorm:"size:8;not null"`
	WouldRecommend Answer `gorm:"size:8;not null"`
	NextByVideo    Answer `gorm:"size:8;not null"`
	FreeText       string `gorm:"size:2000"`
}

// TierShares maps a tier name to the share of call time (0..1) receivers spent in it.
// It is stored as JSON text so both databases keep it without extensions.
type TierShares map[string]float64

// Value stores the shares as JSON.
func (t TierShares) Value() (driver.Value, error) {
	if t == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]float64(t))
	if err != nil {
		return nil, fmt.Errorf("encode tier shares: %w", err)
	}
	return string(b), nil
}

// Scan reads the JSON back; a malformed value is an error, never a panic.
func (t *TierShares) Scan(src any) error {
	b, err := columnBytes(src)
	if err != nil {
		return fmt.Errorf("scan tier shares: %w", err)
	}
	if b == nil {
		*t = nil
		return nil
	}
	m := map[string]float64{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("scan tier shares: %w", err)
	}
	*t = m
	return nil
}

// CallRecord is the operational summary of one call, for statistics and monitoring.
// It counts participants by role and never names them.
type CallRecord struct {
	ID            uint      `gorm:"primaryKey"`
	AppointmentID *uint     `gorm:"index"`
	RoomID        string    `gorm:"size:64;not null;index"`
	Start         time.Time `gorm:"column:started_at;not null;index"`
	End           time.Time `gorm:"column:ended_at;not null"`
	Minutes       int       `gorm:"not null"`

	Advisors     int `gorm:"not null;default:0"`
	Citizens     int `gorm:"not null;default:0"`
	Interpreters int `gorm:"not null;default:0"`
	Guardians    int `gorm:"not null;default:0"`
	Counsels     int `gorm:"not null;default:0"`
	Attendees    int `gorm:"not null;default:0"`

	TierShares     TierShares `gorm:"type:text;not null"`
	WorstRTTMillis int        `gorm:"not null;default:0"`
	WorstLossPct   float64    `gorm:"not null;default:0"`
	Reconnects     int        `gorm:"not null;default:0"`
	CreatedAt      time.Time
}

// AuditEntry records one advisor action: who did what to which record, and when.
// Details must not contain citizen data.
type AuditEntry struct {
	ID         uint      `gorm:"primaryKey"`
	TenantID   uint      `gorm:"not null;index"`
	ActorID    uint      `gorm:"not null;index"`
	Action     string    `gorm:"size:64;not null"`
	TargetType string    `gorm:"size:32;not null"`
	TargetID   string    `gorm:"size:64;not null"`
	At         time.Time `gorm:"not null;index"`
}

// SchemaMigration records one applied migration step.
type SchemaMigration struct {
	Version   int    `gorm:"primaryKey;autoIncrement:false"`
	Name      string `gorm:"size:200;not null"`
	AppliedAt time.Time
}

// columnBytes is a text or JSON column's value as bytes, nil for NULL.
func columnBytes(src any) ([]byte, error) {
	switch v := src.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(v), nil
	case []byte:
		return v, nil
	default:
		return nil, fmt.Errorf("unexpected column type %T", src)
	}
}
