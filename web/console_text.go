package web

import (
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/i18n"
)

// consoleText translates the console through the i18n catalogue. Advisors
// are staff: the console speaks the language their browser asks for and
// English when it asks for none we have.
type consoleText struct {
	loc  *i18n.Localizer
	lang string
	dir  string
}

// text picks the advisor's language from Accept-Language.
func (c *console) text(ctx *gin.Context) *consoleText {
	loc := c.cat.Localizer(ctx.GetHeader("Accept-Language"), "en")
	return &consoleText{loc: loc, lang: loc.Lang(), dir: loc.Dir()}
}

// T returns the message for id. Console ids are written "console.x.y" in
// the code and stored as "console_x_y" in the catalogue; ids without dots
// (role_citizen, weekday_1) are the catalogue's shared ones.
func (t *consoleText) T(id string) string {
	return t.loc.T(strings.ReplaceAll(id, ".", "_"), nil)
}

// longDate writes "Monday, 2 March 2026" in the console's language.
func (t *consoleText) longDate(d time.Time) string { return t.loc.Date(d) }
