package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/storage"
)

// sseKeepAlive keeps proxies from closing an idle waiting-room stream.
const sseKeepAlive = 20 * time.Second

// events is the waiting room's Server-Sent Events stream. Opening it puts
// the invitation into the Lobby; every change of its state is sent as
// "event: state"; closing it while still waiting takes the citizen out of
// the queue again (an admitted or declined entry stays, so the decision
// survives a reload and the call page's reconnects).
func (c *citizen) events(g *gin.Context) {
	inv, appt, _, _, ok := c.invitation(g)
	if !ok {
		return
	}
	flusher, ok := g.Writer.(http.Flusher)
	if !ok {
		g.Status(http.StatusInternalServerError)
		return
	}
	if inv.Role == storage.InviteAttendee {
		c.attendeeEvents(g, flusher, appt.Start)
		return
	}
	roomID := AppointmentRoomID(appt.ID)
	id := InvitationLobbyID(inv.ID)
	changes, stop := c.lobby.Changes(roomID)
	defer stop()
	c.lobby.Arrive(roomID, WaitingEntry{ID: id, Name: inv.DisplayName, Role: string(inv.Role)})
	defer func() {
		if e, ok := c.lobby.State(id); ok && e.State == LobbyWaiting {
			c.lobby.Leave(id)
		}
	}()

	h := g.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	g.Status(http.StatusOK)
	keepAlive := time.NewTicker(sseKeepAlive)
	defer keepAlive.Stop()
	last := ""
	for {
		e, ok := c.lobby.State(id)
		state := LobbyWaiting
		if ok {
			state = e.State
		}
		if state != last {
			if _, err := fmt.Fprintf(g.Writer, "event: state\ndata: {\"state\":%q}\n\n", state); err != nil {
				return
			}
			flusher.Flush()
			last = state
		}
		select {
		case <-g.Request.Context().Done():
			return
		case <-changes:
		case <-keepAlive.C:
			if _, err := fmt.Fprint(g.Writer, ": keep-alive\n\n"); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// attendeeEvents is the waiting room of a group session's attendee: not the
// Lobby (an advisor does not admit hundreds one by one) but the clock; the
// page goes into the session when it starts, as the Authorizer allows.
func (c *citizen) attendeeEvents(g *gin.Context, flusher http.Flusher, start time.Time) {
	h := g.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	g.Status(http.StatusOK)
	send := func(state string) bool {
		_, err := fmt.Fprintf(g.Writer, "event: state\ndata: {\"state\":%q}\n\n", state)
		flusher.Flush()
		return err == nil
	}
	wait := start.Sub(c.now())
	if wait <= 0 {
		send(LobbyAdmitted)
		return
	}
	if !send(LobbyWaiting) {
		return
	}
	at := time.NewTimer(wait)
	defer at.Stop()
	keepAlive := time.NewTicker(sseKeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-g.Request.Context().Done():
			return
		case <-at.C:
			send(LobbyAdmitted)
			return
		case <-keepAlive.C:
			if _, err := fmt.Fprint(g.Writer, ": keep-alive\n\n"); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// deviceReport is what the device check posts; web's own shape.
type deviceReport struct {
	Browser     string `json:"browser"`
	OS          string `json:"os"`
	Camera      string `json:"camera"`
	Microphone  string `json:"microphone"`
	Connection  string `json:"connection"`
	CheckPassed bool   `json:"check_passed"`
}

// parseDeviceReport checks a report from the browser: known device states
// only, short printable strings (the advisor's console shows them).
func parseDeviceReport(body []byte) (DeviceStatus, error) {
	var r deviceReport
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return DeviceStatus{}, fmt.Errorf("device report: %w", err)
	}
	if dec.More() {
		return DeviceStatus{}, errors.New("device report: trailing data")
	}
	for _, f := range []struct{ name, v string }{{"camera", r.Camera}, {"microphone", r.Microphone}} {
		switch f.v {
		case DeviceOK, DeviceDenied, DeviceMissing:
		default:
			return DeviceStatus{}, fmt.Errorf("device report: %s state %q is not ok, denied or missing", f.name, f.v)
		}
	}
	d := DeviceStatus{Camera: r.Camera, Microphone: r.Microphone, CheckPassed: r.CheckPassed}
	var err error
	if d.Browser, err = shortText("browser", r.Browser); err != nil {
		return DeviceStatus{}, err
	}
	if d.OS, err = shortText("os", r.OS); err != nil {
		return DeviceStatus{}, err
	}
	if d.Connection, err = shortText("connection", r.Connection); err != nil {
		return DeviceStatus{}, err
	}
	return d, nil
}

func shortText(field, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("device report: %s is not UTF-8", field)
	}
	if utf8.RuneCountInString(s) > 80 {
		return "", fmt.Errorf("device report: %s longer than 80 characters", field)
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s), nil
}

// device records the device check in the Lobby, so the advisor sees it.
func (c *citizen) device(g *gin.Context) {
	inv, appt, _, _, ok := c.invitation(g)
	if !ok {
		return
	}
	body, err := g.GetRawData()
	if err != nil {
		jsonError(g, http.StatusRequestEntityTooLarge, "too_large", "device report too large")
		return
	}
	d, err := parseDeviceReport(body)
	if err != nil {
		jsonError(g, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if inv.Role == storage.InviteAttendee {
		g.Status(http.StatusNoContent) // attendees are not admitted one by one
		return
	}
	id := InvitationLobbyID(inv.ID)
	if _, known := c.lobby.State(id); !known {
		// The report may arrive before the event stream: arrive now.
		c.lobby.Arrive(AppointmentRoomID(appt.ID), WaitingEntry{ID: id, Name: inv.DisplayName, Role: string(inv.Role), Device: d})
	}
	c.lobby.UpdateDevice(id, d)
	g.Status(http.StatusNoContent)
}
