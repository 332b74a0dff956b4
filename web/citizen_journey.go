package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
)

// inviteView is the appointment as the citizen pages show it.
type inviteView struct {
	Name      string
	Role      string // localised
	Tenant    string
	When      string
	Duration  string
	OpensAt   string // non-empty before the link opens
	Early     string // non-empty before the appointment starts: the waiting room says when
	Publishes bool
}

func (c *citizen) inviteView(loc *i18n.Localizer, b brand, inv storage.Invitation, appt storage.Appointment) inviteView {
	tz := b.loc()
	v := inviteView{
		Name:      inv.DisplayName,
		Role:      loc.T("role_"+string(inv.Role), nil),
		Tenant:    b.Name,
		When:      loc.DateTimeRange(appt.Start.In(tz), appt.End.In(tz)),
		Duration:  loc.Minutes(appt.Duration()),
		Publishes: rooms.Role(inv.Role).Publishes(),
	}
	if now := c.now(); now.Before(appt.Start) {
		v.Early = loc.T("wait_status_early", map[string]any{"Time": loc.Time(appt.Start.In(tz))})
	}
	if now := c.now(); now.Before(inv.ValidFrom) {
		v.OpensAt = loc.T("invite_opens_at", map[string]any{
			"Date": loc.Date(inv.ValidFrom.In(tz)), "Time": loc.Time(inv.ValidFrom.In(tz))})
	}
	return v
}

// invite is the page the invitation link opens: when, with whom, and one
// button to the device check (click 1 of 3 to the waiting room).
func (c *citizen) invite(g *gin.Context) {
	inv, appt, b, loc, ok := c.invitation(g)
	if !ok {
		return
	}
	c.render(g, http.StatusOK, "invite", page{L: loc, Brand: b, Token: g.Param("token"), Step: 1,
		Data: c.inviteView(loc, b, inv, appt)})
}

// check is the device check: browser, camera with preview, microphone with
// a level meter, and a measured connection test (click 2 goes on to the
// waiting room).
func (c *citizen) check(g *gin.Context) {
	inv, appt, b, loc, ok := c.invitation(g)
	if !ok {
		return
	}
	c.render(g, http.StatusOK, "check", page{L: loc, Brand: b, Token: g.Param("token"), Step: 2,
		Data: c.inviteView(loc, b, inv, appt)})
}

// wait is the waiting room. The page opens /events, which puts it into the
// Lobby and tells it when the advisor has decided.
func (c *citizen) wait(g *gin.Context) {
	inv, appt, b, loc, ok := c.invitation(g)
	if !ok {
		return
	}
	c.render(g, http.StatusOK, "wait", page{L: loc, Brand: b, Token: g.Param("token"), Step: 3,
		Data: c.inviteView(loc, b, inv, appt)})
}

// call is the existing call page for a stored invitation, in the citizen's
// language; it joins by itself (the device check is done) and goes to the
// survey after leaving.
func (c *citizen) call(g *gin.Context) {
	inv, _, b, loc, ok := c.invitation(g)
	if !ok {
		return
	}
	token := g.Param("token")
	role := rooms.Role(inv.Role)
	data := joinData{
		Version: c.join.version, AudioProcessing: c.cfg.AudioProcessing,
		Valid: true, Token: token, RoomName: b.Name, DisplayName: inv.DisplayName,
		Role: string(role), Publishes: role.Publishes(),
		L: loc, AutoJoin: true, AfterLeave: "/i/" + token + "/survey",
	}
	if role != rooms.RoleAttendee {
		data.WaitingRoom = "/i/" + token + "/wait"
	}
	// When the advisor ends the call: the citizen answers the survey, the
	// others see a short page; both say who ended it.
	data.AfterEnd = "/thanks?ended=1&lang=" + loc.Lang()
	if role == rooms.RoleCitizen {
		data.AfterEnd = "/i/" + token + "/survey?ended=1&lang=" + loc.Lang()
	}
	g.Header("Cache-Control", "no-store")
	g.Header("Content-Language", loc.Lang())
	c.join.render(g, c.join.tmpl, http.StatusOK, data)
}

// surveyView is the survey form's state after a failed submit.
type surveyView struct {
	Ended     bool // the advisor ended the call (the call page came here on bye{ended})
	Error     string
	Already   bool
	FreeText  string
	Questions []surveyQuestion
}

// surveyQuestion is one of the three questions: form field and message id.
type surveyQuestion struct{ Name, Text string }

var surveyQuestions = []surveyQuestion{
	{"easy", "survey_q_easy"}, {"recommend", "survey_q_recommend"}, {"next", "survey_q_next_video"},
}

// survey asks the three questions; answering is voluntary.
func (c *citizen) survey(g *gin.Context) {
	inv, _, b, loc, ok := c.surveyInvitation(g)
	if !ok {
		return
	}
	// The invitation keeps only that it answered, never which answer: a
	// second visit says thank you instead of showing the form again.
	c.render(g, http.StatusOK, "survey", page{L: loc, Brand: b, Token: g.Param("token"),
		Data: surveyView{Questions: surveyQuestions, Ended: g.Query("ended") == "1", Already: inv.SurveyDone}})
}

// surveyInvitation is like invitation but lets an ended appointment through:
// the survey comes after the call. storage.SubmitSurvey enforces its window.
func (c *citizen) surveyInvitation(g *gin.Context) (storage.Invitation, storage.Appointment, brand, *i18n.Localizer, bool) {
	inv, appt, b, loc, err := c.linkOwner(g, g.Param("token"))
	if err != nil {
		c.linkError(g, loc, b, err)
		return inv, appt, b, loc, false
	}
	return inv, appt, b, loc, true
}

var surveyAnswers = map[string]storage.Answer{
	"yes": storage.AnswerYes, "no": storage.AnswerNo, "unsure": storage.AnswerUnsure, "": storage.AnswerNone,
}

// parseSurveyForm reads the survey form; unknown answers are an error, not
// a silent "no answer".
func parseSurveyForm(easy, recommend, next, text string) (storage.SurveyAnswers, error) {
	var a storage.SurveyAnswers
	for _, f := range []struct {
		dst *storage.Answer
		v   string
	}{{&a.EasyToUse, easy}, {&a.WouldRecommend, recommend}, {&a.NextByVideo, next}} {
		ans, ok := surveyAnswers[f.v]
		if !ok {
			return a, errors.New("survey: unknown answer")
		}
		*f.dst = ans
	}
	if len(text) > 8000 {
		return a, errors.New("survey: free text too long")
	}
	a.FreeText = text
	return a, nil
}

func (c *citizen) submitSurvey(g *gin.Context) {
	_, _, b, loc, ok := c.surveyInvitation(g)
	if !ok {
		return
	}
	token := g.Param("token")
	if g.PostForm("skip") != "" {
		g.Redirect(http.StatusSeeOther, "/thanks?lang="+loc.Lang())
		return
	}
	ans, err := parseSurveyForm(g.PostForm("easy"), g.PostForm("recommend"), g.PostForm("next"), g.PostForm("comment"))
	if err == nil {
		err = c.db.SubmitSurvey(g.Request.Context(), token, ans)
	}
	switch {
	case err == nil:
		g.Redirect(http.StatusSeeOther, "/thanks?survey=1&lang="+loc.Lang())
	case errors.Is(err, storage.ErrSurveyDone):
		c.render(g, http.StatusConflict, "survey", page{L: loc, Brand: b, Token: token, Data: surveyView{Already: true}})
	case errors.Is(err, storage.ErrInvalid) || strings.HasPrefix(err.Error(), "survey:"):
		c.render(g, http.StatusUnprocessableEntity, "survey", page{L: loc, Brand: b, Token: token,
			Data: surveyView{Error: loc.T("error_form_invalid", nil), FreeText: g.PostForm("comment"), Questions: surveyQuestions}})
	case errors.Is(err, storage.ErrTokenExpired), errors.Is(err, storage.ErrTokenNotYetValid),
		errors.Is(err, storage.ErrInvalidToken):
		c.linkError(g, loc, b, storage.ErrTokenExpired)
	default:
		c.log.Error("submit survey", "err", err)
		c.render(g, http.StatusInternalServerError, "error", page{L: loc, Brand: b, Data: errorPage{Message: loc.T("error_server", nil)}})
	}
}

// thanksView says whether the survey was answered.
type thanksView struct{ Survey, Ended bool }

// thanks carries no token: nothing on it links back to the appointment. With
// ended=1 it is the short page of a non-citizen whose call the advisor ended.
func (c *citizen) thanks(g *gin.Context) {
	loc := c.localizer(g, "")
	c.render(g, http.StatusOK, "thanks", page{L: loc, Data: thanksView{Survey: g.Query("survey") == "1", Ended: g.Query("ended") == "1"}})
}
