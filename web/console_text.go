package web

import (
	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/i18n"
)

// consoleText translates the console. Advisors are staff: the console speaks
// the language of their browser when the i18n catalogue has the message and
// falls back to its own English and German texts otherwise, so a page never
// shows a bare id.
type consoleText struct {
	cat  *i18n.Catalog
	loc  *i18n.Localizer
	own  map[string]string
	lang string
	dir  string
}

// text picks the advisor's language from Accept-Language.
func (c *console) text(ctx *gin.Context) *consoleText {
	accept := ctx.GetHeader("Accept-Language")
	t := &consoleText{own: consoleEN, lang: "en", dir: "ltr"}
	if c.cc.Catalog != nil {
		t.cat, t.loc = c.cc.Catalog, c.cc.Catalog.Localizer(accept, "en")
		t.lang, t.dir = t.loc.Lang(), t.loc.Dir()
	} else if prefersGerman(accept) {
		t.lang = "de"
	}
	if t.lang == "de" {
		t.own = consoleDE
	}
	return t
}

// T returns the message for id.
func (t *consoleText) T(id string) string {
	if t.loc != nil && t.cat.Has(id) {
		return t.loc.T(id, nil)
	}
	if s, ok := t.own[id]; ok {
		return s
	}
	if s, ok := consoleEN[id]; ok {
		return s
	}
	return id
}

// prefersGerman is the fallback language choice without a catalogue: the
// first language range of the header.
func prefersGerman(accept string) bool {
	return len(accept) >= 2 && (accept[:2] == "de" || accept[:2] == "DE")
}
