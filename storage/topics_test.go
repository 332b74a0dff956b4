package storage

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestSetTopicNames(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		ctx := context.Background()
		if f.tenant.TopicNames != nil {
			t.Fatalf("new tenant has topic names %v", f.tenant.TopicNames)
		}
		tests := []struct {
			name  string
			set   TopicNames
			want  TopicNames // stored afterwards; nil with err
			error error
		}{
			{"names in the authority's words", TopicNames{"jobsearch": " Arbeitssuche & Weiterbildung ", "Wohngeld": "Wohngeld"},
				TopicNames{"jobsearch": "Arbeitssuche & Weiterbildung", "wohngeld": "Wohngeld"}, nil},
			{"an empty name drops the entry", TopicNames{"jobsearch": "Arbeitssuche", "wohngeld": ""},
				TopicNames{"jobsearch": "Arbeitssuche"}, nil},
			{"key with a space", TopicNames{"job search": "Arbeitssuche"}, nil, ErrInvalid},
			{"name with a line break", TopicNames{"jobsearch": "Arbeits\nsuche"}, nil, ErrInvalid},
			{"name too long", TopicNames{"jobsearch": strings.Repeat("ä", 101)}, nil, ErrInvalid},
			{"clearing all", TopicNames{}, nil, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before, err := s.Tenant(ctx, f.tenant.ID)
				must(t, err)
				err = s.SetTopicNames(ctx, f.advisors[0].ID, f.tenant.ID, tt.set)
				if !errors.Is(err, tt.error) {
					t.Fatalf("got %v, want %v", err, tt.error)
				}
				got, err := s.Tenant(ctx, f.tenant.ID)
				must(t, err)
				want := tt.want
				if tt.error != nil {
					want = before.TopicNames // a refused change keeps the names
				}
				if !maps.Equal(got.TopicNames, want) {
					t.Fatalf("stored %v, want %v", got.TopicNames, want)
				}
			})
		}
		if err := s.SetTopicNames(ctx, 0, 999, TopicNames{"a": "A"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown tenant: %v", err)
		}
		log, err := s.AuditLog(ctx, f.tenant.ID, 1)
		must(t, err)
		if len(log) != 1 || log[0].Action != "topics.rename" {
			t.Fatalf("audit log %+v", log)
		}
	})
}
