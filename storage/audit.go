package storage

import (
	"context"
	"fmt"
	"strconv"

	"gorm.io/gorm"
)

// audit notes an advisor action inside the transaction that performs it, so the log
// and the change commit together. actorID 0 is the system (command line, Seed, the
// cluster) and is not logged.
func (s *Store) audit(tx *gorm.DB, tenantID, actorID uint, action, targetType string, targetID uint) error {
	if actorID == 0 {
		return nil
	}
	e := AuditEntry{TenantID: tenantID, ActorID: actorID, Action: action, TargetType: targetType,
		TargetID: strconv.FormatUint(uint64(targetID), 10), At: dbTime(s.now())}
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Audit records an action done elsewhere (e.g. "call.admit" by rooms through web).
// targetID names a record, never a person's data.
func (s *Store) Audit(ctx context.Context, tenantID, actorID uint, action, targetType, targetID string) error {
	if actorID == 0 {
		return fmt.Errorf("audit: %w", invalid("actor", "missing"))
	}
	if action == "" || len(action) > 64 || len(targetType) > 32 || len(targetID) > 64 {
		return fmt.Errorf("audit: %w", invalid("action", "empty or too long"))
	}
	e := AuditEntry{TenantID: tenantID, ActorID: actorID, Action: action, TargetType: targetType,
		TargetID: targetID, At: dbTime(s.now())}
	return s.write(ctx, "audit "+action, func(tx *gorm.DB) error { return tx.Create(&e).Error })
}

// AuditLog lists a tenant's newest audit entries first.
func (s *Store) AuditLog(ctx context.Context, tenantID uint, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var es []AuditEntry
	err := s.read(ctx).Where("tenant_id = ?", tenantID).Order("at DESC, id DESC").Limit(limit).Find(&es).Error
	if err != nil {
		return nil, fmt.Errorf("list audit log of tenant %d: %w", tenantID, err)
	}
	return es, nil
}
