package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nahbar/nahbar/rooms"
)

// testCallTTL bounds the test call's join token: long enough to press the
// button and connect, short enough that a leaked token is soon worthless.
const testCallTTL = 5 * time.Minute

// testCallRoomID is the private room of one invitation's test call. One room
// per invitation, not per press, so pressing again never grows the store.
func testCallRoomID(invitationID uint) string {
	return "test-inv-" + strconv.FormatUint(uint64(invitationID), 10)
}

// testCall issues a short-lived selftest token for the device check's test
// call: the citizen joins a room of their own and gets their camera and
// microphone back through the MCU. The invitation token in the path is the
// capability (as for the other citizen POSTs), and the answer is JSON a
// foreign page cannot read, so a cross-site POST gains nothing.
func (c *citizen) testCall(g *gin.Context) {
	inv, _, _, _, ok := c.invitation(g)
	if !ok {
		return
	}
	g.Header("Cache-Control", "no-store")
	if !rooms.Role(inv.Role).Publishes() {
		jsonError(g, http.StatusForbidden, "forbidden", "this invitation does not publish camera and microphone")
		return
	}
	room, err := c.cfg.Store.EnsureRoom(testCallRoomID(inv.ID), "test call")
	if err != nil {
		c.log.Error("test call: room", "invitation", inv.ID, "err", err)
		jsonError(g, http.StatusServiceUnavailable, "unavailable", "test call unavailable")
		return
	}
	issued, err := c.cfg.Store.Issue(room.ID, rooms.RoleSelfTest, inv.DisplayName, testCallTTL)
	if err != nil {
		c.log.Error("test call: issue token", "invitation", inv.ID, "err", err)
		jsonError(g, http.StatusServiceUnavailable, "unavailable", "test call unavailable")
		return
	}
	g.JSON(http.StatusOK, gin.H{"token": issued.Token})
}
