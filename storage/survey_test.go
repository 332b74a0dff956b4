package storage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestSurveyTableCannotIdentify checks the schema itself: whatever the code does, the
// table has no column that could point at a person, an appointment or an exact time.
func TestSurveyTableCannotIdentify(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		cols, err := s.rdb.Migrator().ColumnTypes(&SurveyResponse{})
		must(t, err)
		var names []string
		for _, c := range cols {
			names = append(names, c.Name())
		}
		slices.Sort(names)
		want := []string{"day", "easy_to_use", "free_text", "id", "next_by_video", "tenant_id", "would_recommend"}
		if !slices.Equal(names, want) {
			t.Fatalf("survey_responses columns %v, want exactly %v", names, want)
		}
		for _, n := range names {
			for _, bad := range []string{"appointment", "invitation", "advisor", "token", "email", "name", "_at", "time", "ip"} {
				if strings.Contains(n, bad) && n != "tenant_id" {
					t.Fatalf("column %q could link an answer to a person or call", n)
				}
			}
		}
	})
}

func TestSubmitSurvey(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		ctx := context.Background()
		b := f.book(t, s, monday(9, 0), 1)
		ans := SurveyAnswers{EasyToUse: AnswerYes, WouldRecommend: AnswerYes, NextByVideo: AnswerUnsure,
			FreeText: "  Sehr angenehm.\x00\nDanke!  "}

		clk.Set(monday(8, 0))
		if err := s.SubmitSurvey(ctx, b.JoinToken, ans); !errors.Is(err, ErrTokenNotYetValid) {
			t.Fatalf("survey before the call: %v", err)
		}
		clk.Set(monday(9, 31))
		if err := s.SubmitSurvey(ctx, b.JoinToken, SurveyAnswers{EasyToUse: "maybe"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad answer: %v", err)
		}
		if err := s.SubmitSurvey(ctx, b.JoinToken, SurveyAnswers{FreeText: strings.Repeat("ä", maxFreeText+1)}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("too long text: %v", err)
		}
		must(t, s.SubmitSurvey(ctx, b.JoinToken, ans))
		if err := s.SubmitSurvey(ctx, b.JoinToken, ans); !errors.Is(err, ErrSurveyDone) {
			t.Fatalf("second answer: %v", err)
		}

		var rows []SurveyResponse
		must(t, s.rdb.Find(&rows).Error)
		if len(rows) != 1 {
			t.Fatalf("%d survey rows", len(rows))
		}
		r := rows[0]
		if r.Day != "2030-01-07" || r.TenantID != f.tenant.ID || r.EasyToUse != AnswerYes ||
			r.NextByVideo != AnswerUnsure || r.FreeText != "Sehr angenehm.\nDanke!" {
			t.Fatalf("stored answer %+v", r)
		}
		// Nothing in the row equals any identifier of the call it came from.
		for _, id := range []string{b.JoinToken, b.ManageToken, b.Invitation.TokenHash, *b.Appointment.ManageTokenHash,
			"citizen1", "Citizen 1"} {
			if strings.Contains(r.ID+r.Day+r.FreeText, id) {
				t.Fatalf("survey row contains %q", id)
			}
		}
		if len(r.ID) != 32 {
			t.Fatalf("survey id %q is not a random 128-bit key", r.ID)
		}

		sum, err := s.Survey(ctx, f.tenant.ID, "2030-01-01", "2030-01-31")
		must(t, err)
		if sum.Responses != 1 || sum.WouldRecommend[AnswerYes] != 1 || sum.NextByVideo[AnswerUnsure] != 1 {
			t.Fatalf("summary %+v", sum)
		}
		texts, err := s.SurveyTexts(ctx, f.tenant.ID, "2030-01-01", "2030-01-31", 10)
		must(t, err)
		if len(texts) != 1 {
			t.Fatalf("texts %v", texts)
		}
	})
}

func TestSurveyWindowCloses(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		b := f.book(t, s, monday(9, 0), 1)
		clk.Set(b.Invitation.ValidUntil.Add(s.cfg.SurveyWindow + 1))
		err := s.SubmitSurvey(context.Background(), b.JoinToken, SurveyAnswers{EasyToUse: AnswerNo})
		if !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("survey a day after the call: %v", err)
		}
		var n int64
		must(t, s.rdb.Model(&SurveyResponse{}).Count(&n).Error)
		must(t, s.rdb.Model(&Invitation{}).Where("survey_done = ?", true).Count(&n).Error)
		if n != 0 {
			t.Fatal("a refused answer marked the invitation")
		}
	})
}
