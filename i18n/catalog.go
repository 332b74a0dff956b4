package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/pelletier/go-toml/v2"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var localeFS embed.FS

// Language is one supported language, as a page's language switcher shows it.
type Language struct {
	Tag  string // BCP 47 tag, also the value of ?lang= and of <html lang>
	Name string // the language's own name ("Deutsch", "العربية")
	Dir  string // "ltr" or "rtl", for <html dir>
}

// Default is the language of the reference catalogue and the first fallback.
const Default = "de"

// languages is the switcher order; the first entry is the default.
var languages = []Language{
	{Tag: "de", Name: "Deutsch", Dir: "ltr"},
	{Tag: "en", Name: "English", Dir: "ltr"},
	{Tag: "tr", Name: "Türkçe", Dir: "ltr"},
	{Tag: "ar", Name: "العربية", Dir: "rtl"},
	{Tag: "uk", Name: "Українська", Dir: "ltr"},
	{Tag: "ru", Name: "Русский", Dir: "ltr"},
}

// Catalog is the loaded set of messages. It is immutable after New and safe for
// concurrent use.
type Catalog struct {
	bundle  *goi18n.Bundle
	matcher language.Matcher
	ids     map[string]struct{} // ids of the reference (German) file
	// fallbacks are the German and English localizers every Localizer falls back to.
	fallbacks []*goi18n.Localizer
	byTag     map[string]*goi18n.Localizer
}

// New loads the embedded message files. It fails only if a file is malformed, which
// the tests catch, so callers can treat an error as fatal at start-up.
func New() (*Catalog, error) {
	bundle := goi18n.NewBundle(language.German)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: bundle, ids: map[string]struct{}{}, byTag: map[string]*goi18n.Localizer{}}
	tags := make([]language.Tag, 0, len(languages))
	for _, l := range languages {
		file := path.Join("locales", l.Tag+".toml")
		mf, err := bundle.LoadMessageFileFS(localeFS, file)
		if err != nil {
			return nil, fmt.Errorf("load messages %s: %w", file, err)
		}
		if len(mf.Messages) == 0 {
			return nil, fmt.Errorf("load messages %s: no messages", file)
		}
		if l.Tag == Default {
			for _, m := range mf.Messages {
				c.ids[m.ID] = struct{}{}
			}
		}
		tags = append(tags, language.MustParse(l.Tag))
		c.byTag[l.Tag] = goi18n.NewLocalizer(bundle, l.Tag)
	}
	c.matcher = language.NewMatcher(tags)
	c.fallbacks = []*goi18n.Localizer{c.byTag["de"], c.byTag["en"]}
	return c, nil
}

// Languages lists the supported languages in switcher order, German first.
func (c *Catalog) Languages() []Language {
	return append([]Language(nil), languages...)
}

// Has reports whether id is a message of the reference catalogue, so a page's tests can
// check every id its templates use.
func (c *Catalog) Has(id string) bool {
	_, ok := c.ids[id]
	return ok
}

// IDs returns every message id, sorted.
func (c *Catalog) IDs() []string {
	out := make([]string, 0, len(c.ids))
	for id := range c.ids {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// files returns the embedded message files, for tests.
func files() (fs.FS, error) { return fs.Sub(localeFS, "locales") }
