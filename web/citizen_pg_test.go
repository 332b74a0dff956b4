package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/nahbar/nahbar/storage"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// openPostgres gives a test its own schema on the PostgreSQL of
// NAHBAR_TEST_POSTGRES_DSN (default: the local one `make test` starts) and
// drops it afterwards; without a server the test fails, as storage's own
// tests do, unless NAHBAR_SKIP_POSTGRES=1.
func openPostgres(t testing.TB, cfg storage.Config) *storage.Store {
	t.Helper()
	dsn := os.Getenv("NAHBAR_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = "host=127.0.0.1 port=5432 user=postgres dbname=test sslmode=disable"
	}
	admin, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err == nil {
		var sqlDB interface{ Ping() error }
		if sqlDB, err = admin.DB(); err == nil {
			err = sqlDB.Ping()
		}
	}
	if err != nil {
		// make test starts PostgreSQL (scripts/test-services.sh); only an explicit opt-out skips.
		if os.Getenv("NAHBAR_SKIP_POSTGRES") == "1" {
			t.Skipf("PostgreSQL unreachable (%v) and NAHBAR_SKIP_POSTGRES=1", err)
		}
		t.Fatalf("PostgreSQL unreachable at %s: %v (make test starts it; set NAHBAR_SKIP_POSTGRES=1 to skip)", dsn, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "nahbar_web_test_" + hex.EncodeToString(b[:])
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_ = admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error
		if d, err := admin.DB(); err == nil {
			_ = d.Close()
		}
	})
	cfg.Driver, cfg.DSN = storage.DriverPostgres, dsn+" search_path="+schema
	db, err := storage.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	return db
}
