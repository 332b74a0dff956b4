package storage

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// SurveyAnswers are the three questions after the call plus optional free text.
type SurveyAnswers struct {
	EasyToUse      Answer // was it easy to use?
	WouldRecommend Answer // would you recommend it?
	NextByVideo    Answer // would you take your next appointment by video?
	FreeText       string
}

const maxFreeText = 2000

func (a SurveyAnswers) clean() (SurveyAnswers, error) {
	for _, q := range []struct {
		field string
		a     Answer
	}{{"easy to use", a.EasyToUse}, {"would recommend", a.WouldRecommend}, {"next by video", a.NextByVideo}} {
		if err := cleanAnswer(q.field, q.a); err != nil {
			return a, err
		}
	}
	if !utf8.ValidString(a.FreeText) {
		return a, invalid("free text", "not UTF-8")
	}
	a.FreeText = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' {
			return -1
		}
		return r
	}, strings.TrimSpace(a.FreeText))
	if utf8.RuneCountInString(a.FreeText) > maxFreeText {
		return a, invalid("free text", fmt.Sprintf("longer than %d characters", maxFreeText))
	}
	return a, nil
}

// SubmitSurvey stores the answers of the participant holding token, once per
// invitation, from the start of its window until SurveyWindow after its end. The token
// only proves the right to answer: the stored row keeps the tenant and the day, never
// the invitation, appointment, time of day or any sequence number.
func (s *Store) SubmitSurvey(ctx context.Context, token string, ans SurveyAnswers) error {
	ans, err := ans.clean()
	if err != nil {
		return fmt.Errorf("submit survey: %w", err)
	}
	var idb [16]byte
	if _, err := io.ReadFull(s.rnd, idb[:]); err != nil {
		return fmt.Errorf("submit survey: random id: %w", err)
	}
	return s.write(ctx, "submit survey", func(tx *gorm.DB) error {
		inv, a, err := invitationByToken(tx, token)
		if err != nil {
			return err
		}
		now := s.now()
		if now.Before(inv.ValidFrom) {
			return ErrTokenNotYetValid
		}
		if now.After(inv.ValidUntil.Add(s.cfg.SurveyWindow)) {
			return ErrTokenExpired
		}
		res := fresh(tx).Model(&Invitation{}).Where("id = ? AND survey_done = ?", inv.ID, false).Update("survey_done", true)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrSurveyDone
		}
		var t Tenant
		if err := fresh(tx).Take(&t, a.TenantID).Error; err != nil {
			return notFound(err)
		}
		loc, err := zone(t.TimeZone)
		if err != nil {
			return err
		}
		r := SurveyResponse{ID: hex.EncodeToString(idb[:]), TenantID: t.ID, Day: now.In(loc).Format("2006-01-02"),
			EasyToUse: ans.EasyToUse, WouldRecommend: ans.WouldRecommend, NextByVideo: ans.NextByVideo, FreeText: ans.FreeText}
		return fresh(tx).Create(&r).Error
	})
}

// SurveySummary counts the answers of a tenant's survey over days [fromDay, toDay]
// (YYYY-MM-DD, inclusive).
type SurveySummary struct {
	Responses      int
	EasyToUse      map[Answer]int
	WouldRecommend map[Answer]int
	NextByVideo    map[Answer]int
}

// Survey summarises the answers for statistics.
func (s *Store) Survey(ctx context.Context, tenantID uint, fromDay, toDay string) (SurveySummary, error) {
	sum := SurveySummary{EasyToUse: map[Answer]int{}, WouldRecommend: map[Answer]int{}, NextByVideo: map[Answer]int{}}
	var rs []SurveyResponse
	err := s.read(ctx).Select("easy_to_use", "would_recommend", "next_by_video").
		Where("tenant_id = ? AND day >= ? AND day <= ?", tenantID, fromDay, toDay).Find(&rs).Error
	if err != nil {
		return sum, fmt.Errorf("summarise survey of tenant %d: %w", tenantID, err)
	}
	for _, r := range rs {
		sum.Responses++
		sum.EasyToUse[r.EasyToUse]++
		sum.WouldRecommend[r.WouldRecommend]++
		sum.NextByVideo[r.NextByVideo]++
	}
	return sum, nil
}

// SurveyTexts returns the non-empty free texts of a tenant's answers over the days.
func (s *Store) SurveyTexts(ctx context.Context, tenantID uint, fromDay, toDay string, limit int) ([]string, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var texts []string
	err := s.read(ctx).Model(&SurveyResponse{}).
		Where("tenant_id = ? AND day >= ? AND day <= ? AND free_text <> ''", tenantID, fromDay, toDay).
		Order("day DESC, id").Limit(limit).Pluck("free_text", &texts).Error
	if err != nil {
		return nil, fmt.Errorf("list survey texts of tenant %d: %w", tenantID, err)
	}
	return texts, nil
}
