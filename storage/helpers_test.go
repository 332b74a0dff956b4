package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// clock is the injected time of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// monday is Monday 7 January 2030 at hh:mm in Berlin.
func monday(hh, mm int) time.Time { return time.Date(2030, 1, 7, hh, mm, 0, 0, berlin) }

// testPassword keeps argon2id cheap in tests; the format and the code path are the real ones.
var testPassword = PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}

const defaultPostgresDSN = "host=127.0.0.1 port=5432 user=postgres dbname=test sslmode=disable"

var (
	pgOnce  sync.Once
	pgAdmin *gorm.DB
	pgErr   error
)

func postgresDSN() string {
	if dsn := os.Getenv("NAHBAR_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return defaultPostgresDSN
}

// withSearchPath points a DSN (key=value or URL form) at one schema. Test sessions
// also skip waiting for the WAL flush (synchronous_commit=off, a per-session setting):
// a crash of the test server may lose the last commits, which a test never needs.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn
		}
		q := u.Query()
		q.Set("search_path", schema)
		q.Set("synchronous_commit", "off")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema + " synchronous_commit=off"
}

// postgresAdmin connects once per test binary. An unreachable server fails the test
// with instructions unless NAHBAR_SKIP_POSTGRES=1.
func postgresAdmin(t testing.TB) *gorm.DB {
	t.Helper()
	pgOnce.Do(func() {
		db, err := gorm.Open(postgres.Open(postgresDSN()), &gorm.Config{Logger: logger.Discard})
		if err == nil {
			var sqlDB interface{ Ping() error }
			sqlDB, err = db.DB()
			if err == nil {
				err = sqlDB.Ping()
			}
		}
		pgAdmin, pgErr = db, err
	})
	if pgErr != nil {
		if os.Getenv("NAHBAR_SKIP_POSTGRES") == "1" {
			t.Skipf("PostgreSQL unreachable (%v) and NAHBAR_SKIP_POSTGRES=1", pgErr)
		}
		t.Fatalf("PostgreSQL at %q is unreachable: %v\n"+
			"start it (make test does), point NAHBAR_TEST_POSTGRES_DSN at one, "+
			"or set NAHBAR_SKIP_POSTGRES=1 to run the SQLite half only", postgresDSN(), pgErr)
	}
	return pgAdmin
}

type dbKind struct {
	name string
	open func(t testing.TB, cfg Config) *Store
}

var dbKinds = []dbKind{
	{"sqlite", openSQLiteStore},
	{"postgres", openPostgresStore},
}

func openSQLiteStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	cfg.Driver, cfg.DataDir = DriverSQLite, t.TempDir()
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openPostgresStore migrates a fresh schema and drops it when the test ends.
func openPostgresStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	admin := postgresAdmin(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "nahbar_test_" + hex.EncodeToString(b[:])
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	cfg.Driver, cfg.DSN = DriverPostgres, withSearchPath(postgresDSN(), schema)
	s, err := Open(context.Background(), cfg)
	if err != nil {
		_ = admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		if err := admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error; err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return s
}

// testConfig is a store config on the test clock.
func testConfig(clk *clock) Config {
	return Config{Now: clk.Now, Password: testPassword, DefaultCapacity: 100}
}

// forEachDB runs fn against a fresh SQLite file and a fresh PostgreSQL schema.
func forEachDB(t *testing.T, fn func(t *testing.T, s *Store, clk *clock)) {
	t.Helper()
	for _, k := range dbKinds {
		t.Run(k.name, func(t *testing.T) {
			// Each run has its own file or schema; running them side by side hides
			// the database's commit latency.
			t.Parallel()
			clk := &clock{t: monday(7, 0)}
			fn(t, k.open(t, testConfig(clk)), clk)
		})
	}
}

// fixture is a tenant with advisors who work Monday–Friday 08:00–12:00.
type fixture struct {
	tenant   Tenant
	location Location
	advisors []Advisor
	oneToOne AppointmentType // 30 min, 1 unit
	group    AppointmentType // 60 min, 5 units, 5 seats
}

type advisorSpec struct {
	langs, topics []string
	atLocation    bool
}

func newFixture(t testing.TB, s *Store, specs ...advisorSpec) fixture {
	t.Helper()
	ctx := context.Background()
	var f fixture
	var err error
	f.tenant, err = s.CreateTenant(ctx, "agency", "Europe/Berlin", Branding{Name: "Agentur für Arbeit",
		PrimaryColor: "#004B87", AccentColor: "#ffcc00"})
	must(t, err)
	f.location, err = s.CreateLocation(ctx, f.tenant.ID, "Nürnberg", "Regensburger Str. 104")
	must(t, err)
	for i, sp := range specs {
		n := NewAdvisor{TenantID: f.tenant.ID, Email: fmt.Sprintf("advisor%d@agency.example", i),
			Name: fmt.Sprintf("Advisor %d", i), Password: "correct horse battery", Languages: sp.langs, Topics: sp.topics}
		if sp.atLocation {
			n.LocationID = &f.location.ID
		}
		a, err := s.CreateAdvisor(ctx, 0, n)
		must(t, err)
		var ws []WeeklyWindow
		for d := time.Monday; d <= time.Friday; d++ {
			ws = append(ws, WeeklyWindow{Weekday: d, StartMinute: 8 * 60, EndMinute: 12 * 60})
		}
		must(t, s.SetWeeklyAvailability(ctx, 0, a.ID, ws))
		f.advisors = append(f.advisors, a)
	}
	f.oneToOne, err = s.CreateAppointmentType(ctx, 0, NewAppointmentType{TenantID: f.tenant.ID, Name: "Beratung",
		Kind: KindOneToOne, DurationMinutes: 30, MediaUnits: 1})
	must(t, err)
	f.group, err = s.CreateAppointmentType(ctx, 0, NewAppointmentType{TenantID: f.tenant.ID, Name: "Infoveranstaltung",
		Kind: KindGroup, DurationMinutes: 60, MediaUnits: 5, SeatLimit: 5})
	must(t, err)
	return f
}

func deJob() advisorSpec { return advisorSpec{langs: []string{"de"}, topics: []string{"jobsearch"}} }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func citizen(i int) Contact {
	return Contact{Name: fmt.Sprintf("Citizen %d", i), Email: fmt.Sprintf("citizen%d@example.org", i), Language: "de"}
}

func (f fixture) book(t *testing.T, s *Store, start time.Time, i int) Booking {
	t.Helper()
	b, err := s.Book(context.Background(), BookRequest{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: "de",
		Start: start, Citizen: citizen(i)})
	if err != nil {
		t.Fatalf("book %s: %v", start.In(berlin).Format("Mon 15:04"), err)
	}
	return b
}
