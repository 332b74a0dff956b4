package storage

import (
	"crypto/rand"
	"io"
	"log/slog"
	"time"
)

// Driver names accepted in Config.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config says where the data lives and how long citizen data is kept. The zero value
// plus a DataDir is a working SQLite setup.
type Config struct {
	// Driver is "sqlite" (default) or "postgres". A non-empty DSN with an empty
	// Driver selects postgres.
	Driver string
	// DataDir holds the SQLite file nahbar.db.
	DataDir string
	// DSN is the PostgreSQL connection string, e.g.
	// "host=127.0.0.1 user=postgres dbname=nahbar sslmode=disable".
	DSN string
	// MaxConns bounds the PostgreSQL pool (default 20) and the SQLite reader pool (default 4).
	MaxConns int

	// RetentionDays is how many days after an appointment ends its citizen contact
	// data is kept (default 30).
	RetentionDays int
	// InvitationGrace is how long an expired invitation is kept so its link still shows
	// "expired" rather than "unknown" (default 7 days).
	InvitationGrace time.Duration
	// JoinEarly and JoinLate widen an invitation's window around the appointment
	// (defaults 30 min and 60 min).
	JoinEarly, JoinLate time.Duration
	// SurveyWindow is how long after an invitation's window the survey may be answered
	// (default 24 h).
	SurveyWindow time.Duration
	// MaxSlotRange bounds one FreeSlots query (default 62 days: a month view and some).
	MaxSlotRange time.Duration
	// DefaultCapacity seeds the capacity row on first migration (default 100 units).
	DefaultCapacity int

	// Password sets the argon2id cost for new hashes (default RFC 9106's second
	// recommendation: 64 MiB, 3 passes, 4 lanes).
	Password PasswordParams

	// Now and Rand are injected so tests control time and tokens.
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Driver == "" {
		c.Driver = DriverSQLite
		if c.DSN != "" {
			c.Driver = DriverPostgres
		}
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 20
		if c.Driver == DriverSQLite {
			c.MaxConns = 4
		}
	}
	if c.RetentionDays <= 0 {
		c.RetentionDays = 30
	}
	if c.InvitationGrace <= 0 {
		c.InvitationGrace = 7 * 24 * time.Hour
	}
	if c.JoinEarly <= 0 {
		c.JoinEarly = 30 * time.Minute
	}
	if c.JoinLate <= 0 {
		c.JoinLate = 60 * time.Minute
	}
	if c.SurveyWindow <= 0 {
		c.SurveyWindow = 24 * time.Hour
	}
	if c.MaxSlotRange <= 0 {
		c.MaxSlotRange = 62 * 24 * time.Hour
	}
	if c.DefaultCapacity <= 0 {
		c.DefaultCapacity = 100
	}
	if c.Password == (PasswordParams{}) {
		c.Password = DefaultPasswordParams
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
