package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/rooms"
)

// Limits on names: long enough for real rooms and people, short enough to fit
// a phone screen and a log line.
const (
	maxRoomName    = 100
	maxDisplayName = 64
)

// roles lists what the API accepts, in the order docs/api.md gives them.
var roles = []rooms.Role{
	rooms.RoleAdvisor, rooms.RoleCitizen, rooms.RoleInterpreter,
	rooms.RoleGuardian, rooms.RoleCounsel, rooms.RoleAttendee,
}

type api struct {
	cfg   Config
	store *Store
}

type createRoomRequest struct {
	Name string `json:"name"`
}

type roomResponse struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type createParticipantRequest struct {
	Role        string `json:"role"`
	DisplayName string `json:"display_name"`
	// ExpiresIn is optional: seconds until the token expires.
	ExpiresIn int64 `json:"expires_in"`
}

type participantResponse struct {
	Token     string    `json:"token"`
	JoinURL   string    `json:"join_url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (a *api) createRoom(c *gin.Context) {
	var req createRoomRequest
	if !decodeJSON(c, &req) {
		return
	}
	name, err := cleanName("name", req.Name, maxRoomName)
	if err != nil {
		jsonError(c, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	room, err := a.store.CreateRoom(name)
	if err != nil {
		a.cfg.Logger.Error("create room", "err", err)
		jsonError(c, http.StatusServiceUnavailable, "unavailable", "cannot create a room right now")
		return
	}
	a.cfg.Logger.Info("room created", "room", room.ID)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, roomResponse{ID: room.ID, Name: room.Name})
}

func (a *api) createParticipant(c *gin.Context) {
	roomID := c.Param("id")
	if a.store.Ended(roomID) {
		jsonError(c, http.StatusConflict, "room_ended", "the call in this room has been ended")
		return
	}
	if _, ok := a.store.Room(roomID); !ok {
		jsonError(c, http.StatusNotFound, "room_not_found", "no room with this id")
		return
	}
	var req createParticipantRequest
	if !decodeJSON(c, &req) {
		return
	}
	role, err := parseRole(req.Role)
	if err != nil {
		jsonError(c, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	name, err := cleanName("display_name", req.DisplayName, maxDisplayName)
	if err != nil {
		jsonError(c, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	ttl := a.cfg.TokenTTL
	if req.ExpiresIn != 0 {
		if req.ExpiresIn < 0 || req.ExpiresIn > int64(a.cfg.MaxTokenTTL/time.Second) {
			jsonError(c, http.StatusBadRequest, "invalid_request",
				fmt.Sprintf("expires_in must be between 1 and %d seconds", int64(a.cfg.MaxTokenTTL/time.Second)))
			return
		}
		ttl = time.Duration(req.ExpiresIn) * time.Second
	}
	inv, err := a.store.Issue(roomID, role, name, ttl)
	if errors.Is(err, ErrRoomNotFound) {
		jsonError(c, http.StatusNotFound, "room_not_found", "no room with this id")
		return
	}
	if errors.Is(err, rooms.ErrRoomEnded) {
		jsonError(c, http.StatusConflict, "room_ended", "the call in this room has been ended")
		return
	}
	if err != nil {
		a.cfg.Logger.Error("issue token", "room", roomID, "err", err)
		jsonError(c, http.StatusServiceUnavailable, "unavailable", "cannot issue an invitation right now")
		return
	}
	a.cfg.Logger.Info("invitation issued", "room", roomID, "role", role)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, participantResponse{
		Token:     inv.Token,
		JoinURL:   JoinURL(a.baseURL(c.Request), inv.Token),
		ExpiresAt: inv.ExpiresAt.UTC(),
	})
}

type endRoomResponse struct {
	ID           string `json:"id"`
	Ended        bool   `json:"ended"`
	Participants int    `json:"participants"` // disconnected on this node
}

// endRoom ends the call in an API room for everyone (bye{ended}); its
// tokens stop working. Ending an ended room again is harmless. An
// appointment's call is ended from the console, which also closes the
// appointment and writes the audit log.
func (a *api) endRoom(c *gin.Context) {
	roomID := c.Param("id")
	if _, ok := appointmentOfRoom(roomID); ok {
		jsonError(c, http.StatusConflict, "appointment_room", "end an appointment's call from the advisor console")
		return
	}
	if a.store.Ended(roomID) {
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, endRoomResponse{ID: roomID, Ended: true})
		return
	}
	if _, ok := a.store.Room(roomID); !ok {
		jsonError(c, http.StatusNotFound, "room_not_found", "no room with this id")
		return
	}
	n := endRoom(c.Request.Context(), a.store, a.cfg.Ender, roomID, a.cfg.Logger)
	a.cfg.Logger.Info("room ended", "room", roomID, "participants", n, "by", "api")
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, endRoomResponse{ID: roomID, Ended: true, Participants: n})
}

// baseURL is the configured public URL, or else what the caller used to
// reach us (fine for a single host; set PublicURL behind a proxy).
func (a *api) baseURL(r *http.Request) string {
	if a.cfg.PublicURL != "" {
		return a.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// decodeJSON reads exactly one JSON object with known fields; on failure it
// answers the client with a message saying what was wrong and returns false.
func decodeJSON(c *gin.Context, v any) bool {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			jsonError(c, http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
			return false
		}
	}
	if err := decodeStrict(c.Request.Body, v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			jsonError(c, http.StatusRequestEntityTooLarge, "body_too_large",
				fmt.Sprintf("request body exceeds %d bytes", tooBig.Limit))
			return false
		}
		jsonError(c, http.StatusBadRequest, "invalid_json", err.Error())
		return false
	}
	return true
}

// decodeStrict decodes one JSON object from r, rejecting unknown fields and
// trailing data. Its errors are safe to show to the API caller.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return errors.New("request body is empty; send a JSON object")
		}
		return fmt.Errorf("request body is not valid JSON for this call: %w", err)
	}
	if dec.More() {
		return errors.New("request body has data after the JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return errors.New("request body has data after the JSON object")
	}
	return nil
}

func parseRole(s string) (rooms.Role, error) {
	for _, r := range roles {
		if string(r) == s {
			return r, nil
		}
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	if s == "" {
		return "", fmt.Errorf("role is required; one of %s", strings.Join(names, ", "))
	}
	return "", fmt.Errorf("role %q is unknown; use one of %s", truncate(s, 32), strings.Join(names, ", "))
}

// cleanName trims a human-readable name and checks it is printable text of
// sensible length, since it is shown to other participants.
func cleanName(field, s string, maxRunes int) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%s is not valid UTF-8", field)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%s is required", field)
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return "", fmt.Errorf("%s has %d characters; at most %d are allowed", field, n, maxRunes)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return "", fmt.Errorf("%s contains a control character", field)
		}
	}
	return s, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
