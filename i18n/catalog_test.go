package i18n

import (
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// pluralForms are the CLDR cardinal categories each language's integers use.
var pluralForms = map[string][]string{
	"de": {"one", "other"},
	"en": {"one", "other"},
	"tr": {"one", "other"},
	"uk": {"one", "few", "many", "other"},
	"ru": {"one", "few", "many", "other"},
	"ar": {"zero", "one", "two", "few", "many", "other"},
}

var fieldRE = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// rawFiles parses every locale file as plain TOML, independent of go-i18n, so the
// completeness checks below see exactly what translators wrote.
func rawFiles(t *testing.T) map[string]map[string]any {
	t.Helper()
	fsys, err := files()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, l := range languages {
		b, err := fs.ReadFile(fsys, l.Tag+".toml")
		if err != nil {
			t.Fatalf("read %s: %v", l.Tag, err)
		}
		var m map[string]any
		if err := toml.Unmarshal(b, &m); err != nil {
			t.Fatalf("parse %s: %v", l.Tag, err)
		}
		out[l.Tag] = m
	}
	return out
}

func fields(s string) []string {
	set := map[string]bool{}
	for _, m := range fieldRE.FindAllStringSubmatch(s, -1) {
		set[m[1]] = true
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// TestEveryIDInEveryLanguage is the guard against a page showing a raw id: every message
// of the German reference exists in every language, is not empty, has every plural form
// the language needs, and uses the same template fields; no language has stray ids.
func TestEveryIDInEveryLanguage(t *testing.T) {
	raw := rawFiles(t)
	ref := raw[Default]
	if len(ref) < 200 {
		t.Fatalf("reference catalogue has only %d messages", len(ref))
	}
	for _, l := range languages {
		msgs := raw[l.Tag]
		t.Run(l.Tag, func(t *testing.T) {
			for id := range msgs {
				if _, ok := ref[id]; !ok {
					t.Errorf("%s: id %q is not in %s.toml (typo?)", l.Tag, id, Default)
				}
			}
			for id, refVal := range ref {
				val, ok := msgs[id]
				if !ok {
					t.Errorf("%s: missing id %q", l.Tag, id)
					continue
				}
				refFields := joinFields(refVal)
				switch v := val.(type) {
				case string:
					if _, refPlural := refVal.(map[string]any); refPlural {
						t.Errorf("%s: %q must have plural forms like %s", l.Tag, id, Default)
					}
					checkText(t, l.Tag, id, "", v, refFields, false)
				case map[string]any:
					if _, refPlural := refVal.(map[string]any); !refPlural {
						t.Errorf("%s: %q has plural forms but %s has none", l.Tag, id, Default)
					}
					for _, form := range pluralForms[l.Tag] {
						s, _ := v[form].(string)
						checkText(t, l.Tag, id, form, s, refFields, true)
					}
					for form := range v {
						if !contains(pluralForms[l.Tag], form) {
							t.Errorf("%s: %q has form %q that %s never uses", l.Tag, id, form, l.Tag)
						}
					}
				default:
					t.Errorf("%s: %q has unexpected type %T", l.Tag, id, val)
				}
			}
		})
	}
}

func joinFields(v any) []string {
	switch v := v.(type) {
	case string:
		return fields(v)
	case map[string]any:
		var all []string
		for _, s := range v {
			if s, ok := s.(string); ok {
				all = append(all, s)
			}
		}
		return fields(strings.Join(all, " "))
	}
	return nil
}

// checkText compares a translation's template fields with the reference. A plural form
// may leave out {{.Count}} where the language spells the number out (Arabic "دقيقتان").
func checkText(t *testing.T, lang, id, form, s string, want []string, plural bool) {
	t.Helper()
	if strings.TrimSpace(s) == "" {
		t.Errorf("%s: %q %s is empty", lang, id, form)
		return
	}
	got := fields(s)
	for _, f := range got {
		if !contains(want, f) {
			t.Errorf("%s: %q %s uses {{.%s}}, which %s does not pass", lang, id, form, f, Default)
		}
	}
	for _, f := range want {
		if plural && f == "Count" {
			continue
		}
		if !contains(got, f) {
			t.Errorf("%s: %q %s drops {{.%s}}", lang, id, form, f)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestRenderEveryMessage renders every id in every language through the real Localizer,
// with every template field filled and counts that hit every plural category, and
// checks what a reader would see: text, not an id, not "<no value>", no template syntax.
func TestRenderEveryMessage(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	raw := rawFiles(t)
	data := map[string]any{}
	for _, v := range raw[Default] {
		for _, f := range joinFields(v) {
			data[f] = "‹" + f + "›"
		}
	}
	delete(data, "Count") // only plural messages use it, with numbers below
	counts := []int{0, 1, 2, 3, 4, 5, 11, 12, 21, 22, 25, 100, 101, 102, 111}
	for _, l := range c.Languages() {
		loc := c.Localizer(l.Tag)
		if loc.Lang() != l.Tag {
			t.Fatalf("Localizer(%q).Lang() = %q", l.Tag, loc.Lang())
		}
		for _, id := range c.IDs() {
			_, plural := raw[Default][id].(map[string]any)
			if !plural {
				assertRendered(t, l.Tag, id, loc.T(id, data))
				continue
			}
			for _, n := range counts {
				d := map[string]any{"Count": n}
				for k, v := range data {
					if k != "Count" {
						d[k] = v
					}
				}
				assertRendered(t, l.Tag, id, loc.T(id, d))
			}
		}
	}
}

func assertRendered(t *testing.T, lang, id, s string) {
	t.Helper()
	switch {
	case s == "" || s == id:
		t.Errorf("%s: %q rendered as %q", lang, id, s)
	case strings.Contains(s, "<no value>"), strings.Contains(s, "{{"), strings.Contains(s, "}}"):
		t.Errorf("%s: %q rendered with template residue: %q", lang, id, s)
	}
}

func TestCatalogIDsAndHas(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"wait_recording_notice", "survey_q_easy", "survey_q_recommend", "survey_q_next_video", "book_slot_taken", "error_link_expired", "mail_invite_subject"} {
		if !c.Has(id) {
			t.Errorf("Has(%q) = false", id)
		}
	}
	if c.Has("no_such_message") {
		t.Error(`Has("no_such_message") = true`)
	}
	ids := c.IDs()
	if !sort.StringsAreSorted(ids) || len(ids) < 200 {
		t.Errorf("IDs: %d ids, sorted %v", len(ids), sort.StringsAreSorted(ids))
	}
	langs := c.Languages()
	langs[0].Name = "changed"
	if c.Languages()[0].Name != "Deutsch" {
		t.Error("Languages returns the package's own slice")
	}
}
