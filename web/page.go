package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/rooms"
)

// joinPage renders /j/:token, the page a participant opens from an invitation.
type joinPage struct {
	cfg     Config
	store   *Store
	assets  *assets
	tmpl    *template.Template
	index   *template.Template
	csp     string
	version string
	cat     *i18n.Catalog
}

// joinData is the template's view; it is web's own shape, not a storage model.
type joinData struct {
	Version         string
	Valid           bool
	Token           string
	RoomName        string
	DisplayName     string
	Role            string
	Publishes       bool
	AudioProcessing bool

	// Set by the citizen journey (/i/<token>/call): the language, joining
	// without another click, where to go after leaving (the survey) and
	// where to wait when not (or no longer) admitted.
	L           *i18n.Localizer
	AutoJoin    bool
	AfterLeave  string
	WaitingRoom string
	// AfterEnd is where the page goes when the advisor ends the call.
	AfterEnd string
}

// T is message id in the page's language, or fallback on pages without one
// (the API's /j/ links).
func (d joinData) T(id, fallback string) string {
	if d.L == nil {
		return fallback
	}
	return d.L.T(id, nil)
}

// callTexts are the call page's status and button texts the script shows
// in the page's language.
var callTexts = []string{"loading", "check_all_ok", "call_connected", "call_recording_notice", "call_reconnecting",
	"call_reconnect_failed", "call_ended", "call_ended_by_advisor", "call_mute", "call_unmute", "call_muted", "call_microphone_on",
	"call_camera_off", "call_camera_on", "call_camera_is_off", "call_camera_is_on",
	// issue 5: quality, paused video, screen, chat, group sessions, status.
	"call_video_paused", "call_video_paused_budget", "call_video_resumed", "call_data_saver", "call_quality_high",
	"call_quality_legend", "call_budget", "call_share_screen", "call_share_stop", "call_sharing", "call_chat",
	"call_chat_placeholder", "call_chat_send", "call_chat_empty", "call_chat_delete", "call_raise_hand",
	"call_lower_hand", "call_hands", "call_hand_raised_note", "call_promote", "call_demote", "call_mute_all",
	"call_promoted", "call_demoted", "call_muted_by_advisor", "call_status_title",
	"call_tier_high", "call_tier_medium", "call_tier_low", "call_tier_audio", "call_tier_interrupted", "call_interrupted",
	// The roster's notes in the page's language.
	"call_you", "call_participant", "call_note_mic_off", "call_note_camera_off",
	// Errors: the server's codes and the browser's camera and microphone.
	"call_error_invalid_token", "call_error_unsupported_version", "call_error_server_closing", "call_error_bad_sdp",
	"call_error_bad_candidate", "call_error_bad_media", "call_error_internal", "call_error_unknown",
	"call_device_denied", "call_device_missing", "call_device_busy", "call_device_failed",
	"call_device_join_anyway", "call_device_no_https"}

// callTemplates are texts with values the script fills in: each
// placeholder is handed to the script as "{name}".
var callTemplates = map[string]map[string]any{
	"call_usage":          {"MB": "{mb}"},
	"call_status_details": {"Down": "{down}", "Up": "{up}", "RTT": "{rtt}", "Loss": "{loss}", "FPS": "{fps}"},
}

// I18N is the script's texts as JSON for data-i18n; empty without a language.
func (d joinData) I18N() string {
	if d.L == nil {
		return ""
	}
	m := make(map[string]string, len(callTexts))
	for _, id := range callTexts {
		m[id] = d.L.T(id, nil)
	}
	for id, args := range callTemplates {
		m[id] = d.L.T(id, args)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(b)
}

// Lang and Dir are the <html> attributes.
func (d joinData) Lang() string {
	if d.L == nil {
		return "en"
	}
	return d.L.Lang()
}

// Dir is "rtl" for Arabic.
func (d joinData) Dir() string {
	if d.L == nil {
		return "ltr"
	}
	return d.L.Dir()
}

func newJoinPage(cfg Config, a *assets) (*joinPage, error) {
	tmpl, err := template.ParseFS(assetFS, "assets/join.html")
	if err != nil {
		return nil, fmt.Errorf("parse join page template: %w", err)
	}
	index, err := template.ParseFS(assetFS, "assets/index.html")
	if err != nil {
		return nil, fmt.Errorf("parse index page template: %w", err)
	}
	// No inline script or style anywhere: everything comes from /static.
	// connect-src 'self' covers ws(s) to the same host in current browsers.
	csp := strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"media-src 'self' blob: mediastream:",
		"connect-src 'self'",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
	cat, err := i18n.New()
	if err != nil {
		return nil, fmt.Errorf("join page: %w", err)
	}
	return &joinPage{cfg: cfg, store: cfg.Store, assets: a, tmpl: tmpl, index: index, csp: csp, version: a.version, cat: cat}, nil
}

func (p *joinPage) serve(c *gin.Context) {
	token := c.Param("token")
	data := joinData{Version: p.version, AudioProcessing: p.cfg.AudioProcessing}
	status := http.StatusOK
	grant, err := p.store.Authorize(c.Request.Context(), token)
	switch {
	case err == nil:
		room, _ := p.store.Room(grant.RoomID)
		data.Valid = true
		data.Token = token
		data.RoomName = room.Name
		data.DisplayName = grant.DisplayName
		data.Role = string(grant.Role)
		data.Publishes = grant.Role.Publishes()
	case errors.Is(err, rooms.ErrInvalidToken):
		status = http.StatusNotFound
	default:
		p.cfg.Logger.Error("join page: authorize", "err", err)
		status = http.StatusInternalServerError
	}

	data.L = p.localizer(c)
	c.Header("Cache-Control", "no-store") // the page carries the token
	if data.L != nil {
		c.Header("Content-Language", data.L.Lang())
	}
	p.render(c, p.tmpl, status, data)
}

// localizer is the language of a /j/ page, whose link (made through the API)
// carries none: ?lang=, the citizen pages' language cookie, or the browser's
// Accept-Language. Without any of them (a script, not a browser) it is nil
// and the page keeps its English texts.
func (p *joinPage) localizer(c *gin.Context) *i18n.Localizer {
	q := c.Query("lang")
	if len(q) > 16 {
		q = ""
	}
	cookie, _ := c.Cookie(langCookie)
	accept := c.GetHeader("Accept-Language")
	if q == "" && cookie == "" && accept == "" {
		return nil
	}
	return p.cat.Localizer(q, cookie, accept)
}

// serveIndex tells someone who opened the server's address what to do.
func (p *joinPage) serveIndex(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	p.render(c, p.index, http.StatusOK, joinData{Version: p.version})
}

func (p *joinPage) render(c *gin.Context, t *template.Template, status int, data joinData) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", p.csp)
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self), geolocation=()")
	var buf strings.Builder
	if err := t.Execute(&buf, data); err != nil {
		p.cfg.Logger.Error("render page", "template", t.Name(), "err", err)
		jsonError(c, http.StatusInternalServerError, "internal", "internal server error")
		return
	}
	c.Data(status, "text/html; charset=utf-8", []byte(buf.String()))
}
