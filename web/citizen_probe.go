package web

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
)

// The connection test downloads and uploads a few hundred kB and measures
// round trips over a WebSocket, against this server, so the citizen learns
// what the call will get rather than what a speed-test site gets.
const (
	probeMaxKiB   = 2048
	probePings    = 10
	probePingWait = 5 * time.Second
)

// probeBlock is random, hence incompressible: a compressing proxy cannot
// make the link look faster than it is. It is made once and only read.
var probeBlock = func() []byte {
	b := make([]byte, 64<<10)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return b
}()

// probeDown sends ?kib= KiB (default 256, at most 2 MiB).
func (c *citizen) probeDown(g *gin.Context) {
	if _, _, _, _, ok := c.invitation(g); !ok {
		return
	}
	kib, err := strconv.Atoi(g.DefaultQuery("kib", "256"))
	if err != nil || kib < 1 || kib > probeMaxKiB {
		jsonError(g, http.StatusBadRequest, "bad_request", "kib must be 1-2048")
		return
	}
	n := kib << 10
	h := g.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(n))
	g.Status(http.StatusOK)
	for n > 0 {
		chunk := min(n, len(probeBlock))
		if _, err := g.Writer.Write(probeBlock[:chunk]); err != nil {
			return
		}
		n -= chunk
	}
}

// probeUp reads and discards the upload, answering how many bytes came.
func (c *citizen) probeUp(g *gin.Context) {
	if _, _, _, _, ok := c.invitation(g); !ok {
		return
	}
	n, err := io.Copy(io.Discard, http.MaxBytesReader(g.Writer, g.Request.Body, probeMaxKiB<<10))
	if err != nil {
		jsonError(g, http.StatusRequestEntityTooLarge, "too_large", "upload probe larger than 2 MiB")
		return
	}
	g.Header("Cache-Control", "no-store")
	g.JSON(http.StatusOK, gin.H{"bytes": n})
}

// ping echoes up to probePings small messages on a WebSocket; the page
// times the round trips.
func (c *citizen) ping(g *gin.Context) {
	if _, _, _, _, ok := c.invitation(g); !ok {
		return
	}
	conn, err := websocket.Accept(g.Writer, g.Request, nil)
	if err != nil {
		return // Accept has answered the request
	}
	defer func() { _ = conn.CloseNow() }()
	conn.SetReadLimit(64)
	for i := 0; i < probePings; i++ {
		ctx, cancel := context.WithTimeout(g.Request.Context(), probePingWait)
		typ, msg, err := conn.Read(ctx)
		if err == nil {
			err = conn.Write(ctx, typ, msg)
		}
		cancel()
		if err != nil {
			return
		}
	}
	_ = conn.Close(websocket.StatusNormalClosure, "done")
}
