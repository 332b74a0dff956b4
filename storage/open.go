package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store is the booking database. It is safe for concurrent use.
type Store struct {
	cfg    Config
	driver string
	// rdb serves reads. On SQLite it is a read-only pool beside the single writer.
	rdb *gorm.DB
	// wdb serves every write transaction. On SQLite it has exactly one connection and
	// begins transactions IMMEDIATE, which serialises all writers of this process and
	// of any other process on the same file.
	wdb *gorm.DB
	now func() time.Time
	rnd io.Reader
	log *slog.Logger

	dummyOnce sync.Once
	dummy     string
}

// Open connects, migrates the schema to the newest version and returns the store.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	s := &Store{cfg: cfg, driver: cfg.Driver, now: cfg.Now, rnd: cfg.Rand,
		log: cfg.Logger.With("component", "storage", "driver", cfg.Driver)}
	var err error
	switch cfg.Driver {
	case DriverSQLite:
		err = s.openSQLite()
	case DriverPostgres:
		err = s.openPostgres()
	default:
		return nil, fmt.Errorf("open storage: %w: unknown driver %q", ErrInvalid, cfg.Driver)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) gormConfig() *gorm.Config {
	return &gorm.Config{
		// Parameterised logging keeps citizen data (bound values) out of the logs.
		Logger: logger.NewSlogLogger(s.log, logger.Config{
			SlowThreshold:             500 * time.Millisecond,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true,
		}),
		NowFunc:                func() time.Time { return dbTime(s.now()) },
		TranslateError:         true,
		SkipDefaultTransaction: true,
	}
}

func (s *Store) openSQLite() error {
	if s.cfg.DataDir == "" {
		return fmt.Errorf("open sqlite: %w: empty data dir", ErrInvalid)
	}
	if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("open sqlite: create data dir: %w", err)
	}
	path := filepath.Join(s.cfg.DataDir, "nahbar.db")
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_time_format", "sqlite")
	wq := cloneValues(q)
	wq.Set("_txlock", "immediate")
	rq := cloneValues(q)
	rq.Add("_pragma", "query_only(1)")

	w, err := gorm.Open(sqlite.Open(path+"?"+wq.Encode()), s.gormConfig())
	if err != nil {
		return fmt.Errorf("open sqlite writer %s: %w", path, err)
	}
	wsql, err := w.DB()
	if err != nil {
		return fmt.Errorf("open sqlite writer %s: %w", path, err)
	}
	wsql.SetMaxOpenConns(1)
	wsql.SetMaxIdleConns(1)
	wsql.SetConnMaxLifetime(0)
	// The writer creates the file and switches it to WAL before any reader opens it.
	if err := wsql.Ping(); err != nil {
		_ = wsql.Close()
		return fmt.Errorf("open sqlite writer %s: %w", path, err)
	}
	r, err := gorm.Open(sqlite.Open(path+"?"+rq.Encode()), s.gormConfig())
	if err != nil {
		_ = wsql.Close()
		return fmt.Errorf("open sqlite reader %s: %w", path, err)
	}
	rsql, err := r.DB()
	if err != nil {
		_ = wsql.Close()
		return fmt.Errorf("open sqlite reader %s: %w", path, err)
	}
	rsql.SetMaxOpenConns(s.cfg.MaxConns)
	rsql.SetMaxIdleConns(s.cfg.MaxConns)
	s.wdb, s.rdb = w, r
	return nil
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

func (s *Store) openPostgres() error {
	if s.cfg.DSN == "" {
		return fmt.Errorf("open postgres: %w: empty DSN", ErrInvalid)
	}
	db, err := gorm.Open(postgres.Open(s.cfg.DSN), s.gormConfig())
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	sqlDB.SetMaxOpenConns(s.cfg.MaxConns)
	sqlDB.SetMaxIdleConns(s.cfg.MaxConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s.wdb, s.rdb = db, db
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	var errs []error
	for _, db := range []*gorm.DB{s.wdb, s.rdb} {
		if db == nil {
			continue
		}
		sqlDB, err := db.DB()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := sqlDB.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			errs = append(errs, err)
		}
		if s.wdb == s.rdb {
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close storage: %w", err)
	}
	return nil
}

// Driver reports "sqlite" or "postgres".
func (s *Store) Driver() string { return s.driver }

// dbTime is how every time enters the database: UTC, whole seconds. SQLite compares
// times as text, which is only ordered when the format and zone never vary.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// Ping checks that the database answers, for health checks.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.wdb.DB()
	if err != nil {
		return fmt.Errorf("ping storage: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping storage: %w", err)
	}
	return nil
}
