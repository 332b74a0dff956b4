package storage

import (
	"context"
	"fmt"
	"math"
	"time"

	"gorm.io/gorm"
)

// RecordCall stores the summary of a finished call. Minutes is derived from Start and
// End (rounded up) when zero.
func (s *Store) RecordCall(ctx context.Context, c CallRecord) (CallRecord, error) {
	if c.RoomID == "" || len(c.RoomID) > 64 {
		return c, fmt.Errorf("record call: %w", invalid("room id", "empty or too long"))
	}
	if c.End.Before(c.Start) {
		return c, fmt.Errorf("record call %s: %w", c.RoomID, invalid("end", "before start"))
	}
	for _, n := range []int{c.Advisors, c.Citizens, c.Interpreters, c.Guardians, c.Counsels, c.Attendees,
		c.WorstRTTMillis, c.Reconnects} {
		if n < 0 {
			return c, fmt.Errorf("record call %s: %w", c.RoomID, invalid("counts", "negative"))
		}
	}
	if c.WorstLossPct < 0 || c.WorstLossPct > 100 || math.IsNaN(c.WorstLossPct) {
		return c, fmt.Errorf("record call %s: %w", c.RoomID, invalid("loss", "not 0..100 %"))
	}
	for tier, share := range c.TierShares {
		if share < 0 || share > 1 || math.IsNaN(share) || tier == "" {
			return c, fmt.Errorf("record call %s: %w", c.RoomID, invalid("tier shares", "not a share 0..1 per named tier"))
		}
	}
	c.ID = 0
	c.Start, c.End = dbTime(c.Start), dbTime(c.End)
	if c.Minutes == 0 {
		c.Minutes = int(math.Ceil(c.End.Sub(c.Start).Minutes()))
	}
	err := s.write(ctx, "record call "+c.RoomID, func(tx *gorm.DB) error { return tx.Create(&c).Error })
	return c, err
}

// CallRecords lists the calls that started in [from, to), oldest first.
func (s *Store) CallRecords(ctx context.Context, from, to time.Time) ([]CallRecord, error) {
	var cs []CallRecord
	err := s.read(ctx).Where("started_at >= ? AND started_at < ?", dbTime(from), dbTime(to)).
		Order("started_at, id").Find(&cs).Error
	if err != nil {
		return nil, fmt.Errorf("list call records: %w", err)
	}
	return cs, nil
}
