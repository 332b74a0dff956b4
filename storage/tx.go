package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Advisory lock namespaces (the first key of pg_advisory_xact_lock(int, int)). The
// order of the constants is the order locks are taken in, so no two transactions can
// wait for each other.
const (
	lockMigrate     int32 = 0x6e6200 // "nb\0": schema migration
	lockAppointment int32 = 0x6e6201 // one appointment: seats, reschedule
	lockHourBucket  int32 = 0x6e6202 // one hour of time: capacity and advisor double booking
)

type lockKey struct{ ns, key int32 }

// write runs fn in one serialised-enough write transaction. PostgreSQL serialisation
// failures and deadlocks are retried a few times; everything else is returned.
func (s *Store) write(ctx context.Context, what string, fn func(tx *gorm.DB) error) error {
	const attempts = 5
	var err error
	for i := 0; i < attempts; i++ {
		err = s.wdb.WithContext(ctx).Transaction(fn)
		if err == nil || !retryable(err) {
			break
		}
		s.log.Debug("retrying transaction", "what", what, "attempt", i+1, "err", err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// read runs queries on the read pool.
func (s *Store) read(ctx context.Context) *gorm.DB { return s.rdb.WithContext(ctx) }

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

// lock takes transaction-scoped advisory locks in a fixed order on PostgreSQL. On
// SQLite it does nothing: the single IMMEDIATE writer already excludes every other
// writer for the whole transaction.
func (s *Store) lock(tx *gorm.DB, keys ...lockKey) error {
	if s.driver != DriverPostgres || len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(a, b lockKey) int {
		if a.ns != b.ns {
			return int(a.ns) - int(b.ns)
		}
		return int(a.key) - int(b.key)
	})
	keys = slices.Compact(keys)
	for _, k := range keys {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", k.ns, k.key).Error; err != nil {
			return fmt.Errorf("advisory lock %x/%d: %w", k.ns, k.key, err)
		}
	}
	return nil
}

// hourBuckets lists the lock keys of every hour [start, end) touches. Two intervals
// that overlap share at least the hour of a common instant, so they always contend
// for one lock.
func hourBuckets(start, end time.Time) []lockKey {
	first := start.UTC().Unix() / 3600
	last := (end.UTC().Unix() - 1) / 3600
	if last < first {
		last = first
	}
	keys := make([]lockKey, 0, last-first+1)
	for h := first; h <= last; h++ {
		keys = append(keys, lockKey{lockHourBucket, int32(h)})
	}
	return keys
}

func appointmentLock(id uint) lockKey { return lockKey{lockAppointment, int32(id)} }
