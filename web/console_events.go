package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// maxEventRooms bounds the appointments one event stream follows (a day).
const maxEventRooms = 64

// lobbyEvent is one server-sent event: the new waiting list of one
// appointment, rendered on the server so the page only swaps it in.
type lobbyEvent struct {
	Appointment uint   `json:"appointment"`
	Count       int    `json:"count"`
	HTML        string `json:"html"`
}

// events streams the waiting lists of the appointments in ?a= as
// server-sent events: once at the start and after every lobby change. The
// lobby's change channels coalesce, so a burst of changes is one render.
// The stream ends when the session does (checked at every change and every
// keep-alive), so a logged-out page stops showing who is waiting.
func (c *console) events(ctx *gin.Context) {
	s := current(ctx)
	ids := ctx.QueryArray("a")
	if len(ids) == 0 || len(ids) > maxEventRooms {
		ctx.AbortWithStatus(http.StatusBadRequest)
		return
	}
	rc := ctx.Request.Context()
	appts := make([]uint, 0, len(ids))
	for _, q := range ids {
		id, err := strconv.ParseUint(q, 10, 32)
		if err != nil {
			ctx.AbortWithStatus(http.StatusBadRequest)
			return
		}
		a, err := c.st.Appointment(rc, uint(id))
		if err != nil || !(a.AdvisorID == s.AdvisorID || (s.Admin && a.TenantID == s.TenantID)) {
			ctx.AbortWithStatus(http.StatusNotFound)
			return
		}
		appts = append(appts, a.ID)
	}
	// One wake-up channel for all rooms: any change re-renders every list
	// (a handful), so no change is ever lost between two renders.
	wake := make(chan struct{}, 1)
	for _, id := range appts {
		ch, stop := c.lobby.Changes(roomID(id))
		defer stop()
		go func() {
			for {
				select {
				case <-ch:
					select {
					case wake <- struct{}{}:
					default:
					}
				case <-rc.Done():
					return
				}
			}
		}()
	}
	tr := c.text(ctx)
	cookie, _ := ctx.Cookie(sessionCookie)
	h := ctx.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	ctx.Status(http.StatusOK)
	keepAlive := time.NewTicker(25 * time.Second)
	defer keepAlive.Stop()
	for {
		if !c.sessions.alive(cookie) {
			return // logged out or expired: stop showing who is waiting
		}
		for _, id := range appts {
			html, n, err := c.waitingHTML(tr, s.CSRF, id)
			if err != nil {
				c.log.Error("console events", "err", err)
				return
			}
			b, _ := json.Marshal(lobbyEvent{Appointment: id, Count: n, HTML: string(html)})
			if _, err := fmt.Fprintf(ctx.Writer, "event: lobby\ndata: %s\n\n", b); err != nil {
				return
			}
		}
		ctx.Writer.Flush()
	wait:
		select {
		case <-rc.Done():
			return
		case <-wake:
		case <-keepAlive.C:
			if !c.sessions.alive(cookie) {
				return
			}
			if _, err := fmt.Fprint(ctx.Writer, ": keep-alive\n\n"); err != nil {
				return
			}
			ctx.Writer.Flush()
			goto wait
		}
	}
}
