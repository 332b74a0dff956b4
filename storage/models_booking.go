package storage

import "time"

// Status is the life-cycle state of an appointment.
type Status string

// Appointment states. Only booked appointments hold an advisor and media capacity.
const (
	StatusBooked    Status = "booked"
	StatusCancelled Status = "cancelled"
	StatusDone      Status = "done"
	StatusNoShow    Status = "no_show"
)

// Appointment is one booked time with an advisor. The citizen contact is the
// minimum needed to send the invitation and is emptied by Purge after retention.
// For group sessions the citizen fields stay empty; attendees register instead.
type Appointment struct {
	ID         uint      `gorm:"primaryKey"`
	TenantID   uint      `gorm:"not null;index"`
	TypeID     uint      `gorm:"not null;index"`
	AdvisorID  uint      `gorm:"not null;index"`
	LocationID *uint     `gorm:"index"`
	Topic      string    `gorm:"size:64;not null"`
	Language   string    `gorm:"size:16;not null"`
	Start      time.Time `gorm:"column:starts_at;not null;index"`
	End        time.Time `gorm:"column:ends_at;not null;index"`
	// MediaUnits is copied from the type at booking so later edits of the type do not
	// change the capacity already promised.
	MediaUnits int    `gorm:"not null"`
	SeatLimit  int    `gorm:"not null;default:0"`
	Status     Status `gorm:"size:16;not null;index"`

	CitizenName     string `gorm:"size:200"`
	CitizenEmail    string `gorm:"size:254"`
	CitizenLanguage string `gorm:"size:16"`
	// ManageTokenHash is the hex SHA-256 of the cancel/reschedule token; NULL once purged.
	ManageTokenHash *string `gorm:"size:64;uniqueIndex"`
	ContactPurgedAt *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time

	Invitations   []Invitation        `gorm:"constraint:OnDelete:CASCADE"`
	Registrations []GroupRegistration `gorm:"constraint:OnDelete:CASCADE"`
	CallRecords   []CallRecord        `gorm:"constraint:OnDelete:SET NULL"`
}

// Duration is the booked length.
func (a Appointment) Duration() time.Duration { return a.End.Sub(a.Start) }

// InvitationRole is the part a participant plays in the call. The values match the
// roles of the rooms package.
type InvitationRole string

// Invitation roles.
const (
	InviteCitizen     InvitationRole = "citizen"
	InviteInterpreter InvitationRole = "interpreter"
	InviteGuardian    InvitationRole = "guardian"
	InviteCounsel     InvitationRole = "counsel"
	InviteAttendee    InvitationRole = "attendee"
)

// Invitation lets one person join one appointment in one role during its window.
// Only the SHA-256 of the token is stored.
type Invitation struct {
	ID            uint           `gorm:"primaryKey"`
	AppointmentID uint           `gorm:"not null;index"`
	Role          InvitationRole `gorm:"size:16;not null"`
	DisplayName   string         `gorm:"size:200;not null"`
	Email         string         `gorm:"size:254"`
	Language      string         `gorm:"size:16"`
	TokenHash     string         `gorm:"size:64;not null;uniqueIndex"`
	ValidFrom     time.Time      `gorm:"not null"`
	ValidUntil    time.Time      `gorm:"not null;index"`
	RevokedAt     *time.Time
	// SurveyDone blocks a second survey answer without linking the answer to it.
	SurveyDone bool `gorm:"not null;default:false"`
	CreatedAt  time.Time

	Registrations []GroupRegistration `gorm:"constraint:OnDelete:CASCADE"`
}

// RegistrationStatus is the state of a group-session seat.
type RegistrationStatus string

// Registration states.
const (
	RegistrationActive    RegistrationStatus = "registered"
	RegistrationCancelled RegistrationStatus = "cancelled"
)

// GroupRegistration holds one seat of a group session for an attendee, with the
// attendee's own invitation.
type GroupRegistration struct {
	ID            uint               `gorm:"primaryKey"`
	AppointmentID uint               `gorm:"not null;index"`
	InvitationID  uint               `gorm:"not null;index"`
	Name          string             `gorm:"size:200"`
	Email         string             `gorm:"size:254"`
	Language      string             `gorm:"size:16"`
	Status        RegistrationStatus `gorm:"size:16;not null"`
	CreatedAt     time.Time
}

// CapacityConfig is the single row holding the media capacity the booking may use.
// A cluster will later keep it current from its nodes.
type CapacityConfig struct {
	ID         uint `gorm:"primaryKey;autoIncrement:false"`
	TotalUnits int  `gorm:"not null"`
	UpdatedAt  time.Time
}
