package web

import (
	"testing"
)

// FuzzConsoleForms feeds arbitrary form values to the console's own
// parsers of untrusted input: they must never panic and must accept only
// what they promise.
func FuzzConsoleForms(f *testing.F) {
	for _, s := range []string{"08:00", "24:00", "24:01", "7:5", "ab:cd", "#004b87", "#GGGGGG", "#fff", "de, en;tr", "", "\x00", "９９:９９"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, ok := parseHHMM(s); ok && (m < 0 || m > 24*60) {
			t.Fatalf("parseHHMM(%q) = %d", s, m)
		}
		if c, ok := parseColor(s); ok {
			for _, v := range c {
				if v < 0 || v > 1 {
					t.Fatalf("parseColor(%q) = %v", s, c)
				}
			}
		}
		for _, item := range splitList(s) {
			if item == "" {
				t.Fatalf("splitList(%q) has an empty item", s)
			}
		}
		_, _ = sessionKey(s)
		_ = invalidField(errString(s))
	})
}

type errString string

func (e errString) Error() string { return string(e) }
