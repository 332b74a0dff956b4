package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nahbar/nahbar/i18n"
)

// TestCallTextsEveryLanguage: the call page's script gets every text it
// shows in each language, and the texts with values keep the placeholders
// features.js fills in.
func TestCallTextsEveryLanguage(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	placeholders := map[string][]string{
		"call_usage":          {"{mb}"},
		"call_status_details": {"{down}", "{up}", "{rtt}", "{loss}", "{fps}"},
	}
	for _, lang := range cat.Languages() {
		t.Run(lang.Tag, func(t *testing.T) {
			d := joinData{L: cat.Localizer(lang.Tag)}
			var m map[string]string
			if err := json.Unmarshal([]byte(d.I18N()), &m); err != nil {
				t.Fatalf("data-i18n is not JSON: %v", err)
			}
			for _, id := range callTexts {
				if !cat.Has(id) || m[id] == "" || m[id] == id {
					t.Errorf("%s: no text for %s (got %q)", lang.Tag, id, m[id])
				}
			}
			for id, want := range placeholders {
				for _, p := range want {
					if !strings.Contains(m[id], p) {
						t.Errorf("%s: %s = %q lacks %s", lang.Tag, id, m[id], p)
					}
				}
			}
		})
	}
	if (joinData{}).I18N() != "" {
		t.Error("a page without a language must get no data-i18n (the script's English applies)")
	}
}
