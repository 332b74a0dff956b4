package i18n

import (
	"strconv"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// maxPreference bounds one language preference (an Accept-Language header or a ?lang=
// value): anything longer is not a browser's header and is ignored rather than parsed.
const maxPreference = 1024

// Localizer renders messages in one chosen language. It is cheap to create per request
// and safe for concurrent use.
type Localizer struct {
	lang  Language
	chain []*goi18n.Localizer // chosen language, then German, then English
}

// Localizer chooses the best supported language for the preferences in langs, in order
// of priority: typically the ?lang= choice, then a cookie, then the Accept-Language
// header. Each may be a single tag ("ar") or a whole header ("tr-TR,tr;q=0.9,en;q=0.8").
// The first preference with a supported match wins; with none, German.
func (c *Catalog) Localizer(langs ...string) *Localizer {
	chosen := languages[0]
	for _, pref := range langs {
		if l, ok := c.match(pref); ok {
			chosen = l
			break
		}
	}
	chain := make([]*goi18n.Localizer, 0, 3)
	chain = append(chain, c.byTag[chosen.Tag])
	for _, fb := range c.fallbacks {
		if fb != chain[0] {
			chain = append(chain, fb)
		}
	}
	return &Localizer{lang: chosen, chain: chain}
}

// match finds the supported language for one preference string.
func (c *Catalog) match(pref string) (Language, bool) {
	if pref == "" || len(pref) > maxPreference {
		return Language{}, false
	}
	tags, _, err := language.ParseAcceptLanguage(pref)
	if err != nil || len(tags) == 0 {
		return Language{}, false
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf < language.High {
		// Below High the matcher guesses across languages (e.g. a Serbian reader offered
		// Russian); only an explicit, recognisable choice should override the default.
		return Language{}, false
	}
	return languages[i], true
}

// Lang is the chosen language's tag, for <html lang> and for storing a citizen's language.
func (l *Localizer) Lang() string { return l.lang.Tag }

// Dir is "rtl" for right-to-left languages (Arabic) and "ltr" otherwise, for <html dir>.
func (l *Localizer) Dir() string { return l.lang.Dir }

// Name is the chosen language's own name, for the language switcher.
func (l *Localizer) Name() string { return l.lang.Name }

// T renders message id with data (nil for none). A "Count" entry in data selects the
// plural form. It falls back to German, then English, and returns the id itself when no
// language has the message, so a page never shows an empty label.
func (l *Localizer) T(id string, data map[string]any) string {
	cfg := goi18n.LocalizeConfig{MessageID: id}
	if data != nil {
		cfg.TemplateData = data
		if n, ok := data["Count"]; ok && isNumber(n) {
			cfg.PluralCount = n
		}
	}
	for _, loc := range l.chain {
		// An error means this language lacks the message or the plural form; go-i18n may
		// still return another language's text then, which the next loop step does better.
		if s, err := loc.Localize(&cfg); err == nil && s != "" {
			return s
		}
	}
	return id
}

// isNumber reports whether v can select a plural form; anything else renders the "other"
// form instead of failing the whole message.
func isNumber(v any) bool {
	switch v := v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case string:
		_, err := strconv.ParseFloat(v, 64)
		return err == nil
	}
	return false
}
