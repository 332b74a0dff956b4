package storage

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// TopicNames maps a topic key ("jobsearch") to the name an authority gives it
// ("Arbeitssuche"). Keys stay short ASCII because bookings and advisors refer to
// them; names are free text in the authority's language. Stored as one JSON
// object in the tenant's row: a handful of entries, always read with the tenant.
type TopicNames map[string]string

// maxTopicNames bounds the map (an authority has tens of topics, not thousands).
const maxTopicNames = 200

// Value stores the names as a JSON object (NULL when empty).
func (n TopicNames) Value() (driver.Value, error) {
	if len(n) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(map[string]string(n))
	if err != nil {
		return nil, fmt.Errorf("encode topic names: %w", err)
	}
	return string(b), nil
}

// Scan reads the JSON object; NULL and "" are no names.
func (n *TopicNames) Scan(v any) error {
	b, err := columnBytes(v)
	if err != nil {
		return fmt.Errorf("topic names: %w", err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		*n = nil
		return nil
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("decode topic names: %w", err)
	}
	*n = m
	return nil
}

// Name is the authority's name of key, or "" when it gave none.
func (n TopicNames) Name(key string) string { return n[key] }

func (n TopicNames) clean() (TopicNames, error) {
	if len(n) > maxTopicNames {
		return nil, invalid("topic names", fmt.Sprintf("more than %d", maxTopicNames))
	}
	out := make(TopicNames, len(n))
	for k, v := range n {
		key, err := cleanKey("topic", k)
		if err != nil {
			return nil, err
		}
		if v = strings.TrimSpace(v); v == "" {
			continue // an empty name removes it: the key's default label shows again
		}
		if v, err = cleanName("topic name", v, 100); err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, nil
}

// SetTopicNames replaces the names an authority gives its topic keys (an empty
// name drops that entry) and notes it in the audit log.
func (s *Store) SetTopicNames(ctx context.Context, actorID, tenantID uint, names TopicNames) error {
	names, err := names.clean()
	if err != nil {
		return fmt.Errorf("set topic names: %w", err)
	}
	return s.write(ctx, fmt.Sprintf("set topic names of tenant %d", tenantID), func(tx *gorm.DB) error {
		res := tx.Model(&Tenant{}).Where("id = ?", tenantID).Update("topic_names", names)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("tenant %d: %w", tenantID, ErrNotFound)
		}
		return s.audit(tx, tenantID, actorID, "topics.rename", "tenant", tenantID)
	})
}
