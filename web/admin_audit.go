package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// auditRow is one audit entry as the admin page shows it.
type auditRow struct {
	At, Actor, Action, Target string
}

// auditLimit is how many of the newest entries the page shows.
const auditLimit = 200

// auditPage shows the tenant's newest audit entries: who did what to which
// record (never a citizen's data: targets are record ids).
func (c *console) auditPage(ctx *gin.Context) {
	s := current(ctx)
	rc := ctx.Request.Context()
	t, err := c.st.Tenant(rc, s.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	zone := c.tenantZone(t)
	es, err := c.st.AuditLog(rc, s.TenantID, auditLimit)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	advs, err := c.st.Advisors(rc, s.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	names := make(map[uint]string, len(advs))
	for _, a := range advs {
		names[a.ID] = a.Name
	}
	rows := make([]auditRow, 0, len(es))
	for _, e := range es {
		actor := names[e.ActorID]
		if actor == "" {
			actor = "#" + strconv.FormatUint(uint64(e.ActorID), 10)
		}
		rows = append(rows, auditRow{At: e.At.In(zone).Format("2006-01-02 15:04:05"), Actor: actor, Action: e.Action,
			Target: e.TargetType + " " + e.TargetID})
	}
	c.render(ctx, http.StatusOK, "audit", c.view(ctx, "console.audit.title", rows))
}
