package i18n

import "testing"

// FuzzLocalizer feeds arbitrary Accept-Language headers and ?lang= values (both come
// from the visitor) through language choice and rendering: never a panic, always a
// supported language and a non-empty text.
func FuzzLocalizer(f *testing.F) {
	for _, s := range []string{"", "de", "ar-EG,ar;q=0.9", "tr-TR,tr;q=0.9,en;q=0.8", "*", "en;q=abc", ";;;,,,", "x-klingon", "zh-Hant-TW;q=0.1,uk", "ru;q=1.0000001", "\x00\xff"} {
		f.Add(s, s)
	}
	c, err := New()
	if err != nil {
		f.Fatal(err)
	}
	supported := map[string]bool{}
	for _, l := range c.Languages() {
		supported[l.Tag] = true
	}
	f.Fuzz(func(t *testing.T, query, header string) {
		l := c.Localizer(query, header)
		if !supported[l.Lang()] {
			t.Fatalf("unsupported language %q", l.Lang())
		}
		if l.Dir() != "ltr" && l.Dir() != "rtl" {
			t.Fatalf("dir %q", l.Dir())
		}
		if s := l.T("wait_recording_notice", nil); s == "" || s == "wait_recording_notice" {
			t.Fatalf("notice rendered as %q", s)
		}
	})
}
