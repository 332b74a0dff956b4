package storage

import (
	"context"
	"errors"
	"testing"
)

func TestOpenMigratesOnceAndReopens(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		ctx := context.Background()
		v, err := s.SchemaVersion(ctx)
		must(t, err)
		if v != LatestSchemaVersion() {
			t.Fatalf("schema version %d, want %d", v, LatestSchemaVersion())
		}
		// Running the migration again is a no-op.
		must(t, s.migrate(ctx))
		var n int64
		must(t, s.rdb.Model(&SchemaMigration{}).Count(&n).Error)
		if n != int64(len(migrations)) {
			t.Fatalf("%d schema_migrations rows, want %d", n, len(migrations))
		}
		must(t, s.Ping(ctx))
		c, err := s.Capacity(ctx)
		must(t, err)
		if c != 100 {
			t.Fatalf("capacity %d, want the configured default 100", c)
		}
	})
}

// TestSQLiteReadersCannotWrite: every write must go through the single writer, or
// the serialisation that makes booking race-free would have a hole.
// TestMigrateAddsTenantContact: a database at schema 2 (before the tenant
// contact and topic names) gains the columns and keeps its tenants.
func TestMigrateAddsTenantContact(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		ctx := context.Background()
		f := newFixture(t, s)
		must(t, s.wdb.Exec("ALTER TABLE tenants DROP COLUMN contact").Error)
		must(t, s.wdb.Exec("ALTER TABLE tenants DROP COLUMN topic_names").Error)
		must(t, s.wdb.Where("version > ?", 2).Delete(&SchemaMigration{}).Error)
		must(t, s.migrate(ctx))
		if v, err := s.SchemaVersion(ctx); err != nil || v != LatestSchemaVersion() {
			t.Fatalf("schema version %d (%v), want %d", v, err, LatestSchemaVersion())
		}
		got, err := s.Tenant(ctx, f.tenant.ID)
		must(t, err)
		if got.Name != f.tenant.Name || got.Contact != "" || got.TopicNames != nil {
			t.Fatalf("tenant after migration %+v", got)
		}
	})
}

func TestSQLiteReadersCannotWrite(t *testing.T) {
	s := openSQLiteStore(t, testConfig(&clock{t: monday(7, 0)}))
	if err := s.rdb.Exec("UPDATE capacity_configs SET total_units = 1").Error; err == nil {
		t.Fatal("the read pool accepted a write")
	}
	var mode string
	must(t, s.rdb.Raw("PRAGMA journal_mode").Scan(&mode).Error)
	if mode != "wal" {
		t.Fatalf("journal mode %q, want wal", mode)
	}
	var fk int
	must(t, s.wdb.Raw("PRAGMA foreign_keys").Scan(&fk).Error)
	if fk != 1 {
		t.Fatal("foreign keys are off")
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	clk := &clock{t: monday(7, 0)}
	cfg := testConfig(clk)
	s := openSQLiteStore(t, cfg)
	must(t, s.wdb.Create(&SchemaMigration{Version: LatestSchemaVersion() + 1, Name: "from the future"}).Error)
	dir := s.cfg.DataDir
	must(t, s.Close())
	cfg.DataDir = dir
	_, err := Open(context.Background(), cfg)
	if err == nil {
		t.Fatal("opened a database whose schema is newer than the binary")
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"unknown driver", Config{Driver: "mysql"}},
		{"sqlite without dir", Config{Driver: DriverSQLite}},
		{"postgres without dsn", Config{Driver: DriverPostgres}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), tc.cfg)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
}
