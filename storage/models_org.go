package storage

import "time"

// Tenant is one authority with its own look and feel. Availability is read in its
// time zone.
type Tenant struct {
	ID           uint   `gorm:"primaryKey"`
	Slug         string `gorm:"size:64;not null;uniqueIndex"`
	Name         string `gorm:"size:200;not null"`
	LogoURL      string `gorm:"size:500"`
	Logo         []byte
	LogoType     string `gorm:"size:100"`
	PrimaryColor string `gorm:"size:7;not null;default:'#004b87'"`
	AccentColor  string `gorm:"size:7;not null;default:'#ffcc00'"`
	TimeZone     string `gorm:"size:64;not null;default:'Europe/Berlin'"`
	// Contact is how citizens reach the authority (phone, e-mail, opening
	// hours), shown on the pages of cancelled, closed or expired links; may be empty.
	Contact string `gorm:"size:300;not null;default:''"`
	// TopicNames are the names citizens see for the topic keys of its
	// advisors, in the authority's own words and language.
	TopicNames TopicNames `gorm:"type:text"`
	CreatedAt  time.Time
	UpdatedAt  time.Time

	// Has-many fields exist so the migration creates the foreign keys; they are
	// never loaded implicitly.
	Locations        []Location        `gorm:"constraint:OnDelete:CASCADE"`
	Advisors         []Advisor         `gorm:"constraint:OnDelete:RESTRICT"`
	AppointmentTypes []AppointmentType `gorm:"constraint:OnDelete:RESTRICT"`
}

// Location is an office of a tenant; advisors and appointments may belong to one.
type Location struct {
	ID        uint   `gorm:"primaryKey"`
	TenantID  uint   `gorm:"not null;index"`
	Name      string `gorm:"size:200;not null"`
	Address   string `gorm:"size:500"`
	CreatedAt time.Time
	UpdatedAt time.Time

	Advisors []Advisor `gorm:"constraint:OnDelete:SET NULL"`
}

// Role is what an advisor may do in the console.
type Role string

// Advisor roles.
const (
	RoleAdvisor Role = "advisor"
	RoleAdmin   Role = "admin"
)

// Advisor is a staff member who holds appointments; admins also manage the tenant.
type Advisor struct {
	ID           uint   `gorm:"primaryKey"`
	TenantID     uint   `gorm:"not null;index"`
	LocationID   *uint  `gorm:"index"`
	Email        string `gorm:"size:254;not null;uniqueIndex"`
	Name         string `gorm:"size:200;not null"`
	PasswordHash string `gorm:"size:200;not null"`
	Role         Role   `gorm:"size:16;not null;default:'advisor'"`
	Active       bool   `gorm:"not null;default:true"`
	CreatedAt    time.Time
	UpdatedAt    time.Time

	Languages    []AdvisorLanguage       `gorm:"constraint:OnDelete:CASCADE"`
	Topics       []AdvisorTopic          `gorm:"constraint:OnDelete:CASCADE"`
	Weekly       []WeeklyAvailability    `gorm:"constraint:OnDelete:CASCADE"`
	Exceptions   []AvailabilityException `gorm:"constraint:OnDelete:CASCADE"`
	Appointments []Appointment           `gorm:"constraint:OnDelete:RESTRICT"`
	AuditEntries []AuditEntry            `gorm:"foreignKey:ActorID;constraint:OnDelete:RESTRICT"`
}

// AdvisorLanguage is one language (BCP 47 primary tag, e.g. "de", "ar") an advisor speaks.
type AdvisorLanguage struct {
	AdvisorID uint   `gorm:"primaryKey;autoIncrement:false"`
	Language  string `gorm:"primaryKey;size:16"`
}

// AdvisorTopic is one subject (a key such as "jobsearch") an advisor advises on.
type AdvisorTopic struct {
	AdvisorID uint   `gorm:"primaryKey;autoIncrement:false"`
	Topic     string `gorm:"primaryKey;size:64;index"`
}

// TypeKind says whether an appointment type is booked per slot or registered for.
type TypeKind string

// Appointment type kinds.
const (
	KindOneToOne TypeKind = "one_to_one"
	KindGroup    TypeKind = "group"
)

// AppointmentType is a format of appointment: its length, the media capacity units
// one appointment of it costs while it runs, and for groups the seat limit.
type AppointmentType struct {
	ID              uint     `gorm:"primaryKey"`
	TenantID        uint     `gorm:"not null;index"`
	Name            string   `gorm:"size:200;not null"`
	Kind            TypeKind `gorm:"size:16;not null"`
	DurationMinutes int      `gorm:"not null"`
	MediaUnits      int      `gorm:"not null"`
	SeatLimit       int      `gorm:"not null;default:0"`
	Active          bool     `gorm:"not null;default:true"`
	CreatedAt       time.Time
	UpdatedAt       time.Time

	Appointments []Appointment `gorm:"foreignKey:TypeID;constraint:OnDelete:RESTRICT"`
}

// Duration is the length of one appointment of this type.
func (t AppointmentType) Duration() time.Duration {
	return time.Duration(t.DurationMinutes) * time.Minute
}

// WeeklyAvailability is a recurring window in the tenant's time zone, e.g. Monday
// 08:00–12:00 is Weekday 1, StartMinute 480, EndMinute 720.
type WeeklyAvailability struct {
	ID          uint         `gorm:"primaryKey"`
	AdvisorID   uint         `gorm:"not null;index"`
	Weekday     time.Weekday `gorm:"not null"`
	StartMinute int          `gorm:"not null"`
	EndMinute   int          `gorm:"not null"`
}

// ExceptionKind says whether an exception removes or adds time.
type ExceptionKind string

// Availability exception kinds.
const (
	ExceptionOff   ExceptionKind = "off"   // day off, holiday, training: not bookable
	ExceptionExtra ExceptionKind = "extra" // extra hours outside the weekly plan
)

// AvailabilityException overrides the weekly plan for an absolute time range.
type AvailabilityException struct {
	ID        uint          `gorm:"primaryKey"`
	AdvisorID uint          `gorm:"not null;index"`
	Kind      ExceptionKind `gorm:"size:8;not null"`
	Start     time.Time     `gorm:"column:starts_at;not null;index"`
	End       time.Time     `gorm:"column:ends_at;not null"`
	Note      string        `gorm:"size:200"`
}
