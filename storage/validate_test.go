package storage

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCleaners(t *testing.T) {
	type fn func(string, string) (string, error)
	for _, tc := range []struct {
		name string
		f    fn
		in   string
		want string // "" means an error is expected
	}{
		{"email", cleanEmail, " Anna@Example.ORG ", "Anna@example.org"},
		{"email with name", cleanEmail, "Anna <anna@example.org>", ""},
		{"email garbage", cleanEmail, "anna", ""},
		{"email header injection", cleanEmail, "a@b.org\r\nBcc: x@y.org", ""},
		{"lang", cleanLang, "DE", "de"},
		{"lang region", cleanLang, "pt-BR", "pt-BR"},
		{"lang digit first", cleanLang, "1de", ""},
		{"lang too long primary", cleanLang, "deutsch", ""},
		{"lang script", cleanLang, "<script>", ""},
		{"key", cleanKey, " JobSearch ", "jobsearch"},
		{"key space", cleanKey, "job search", ""},
		{"color", cleanColor, "#AbCdEf", "#abcdef"},
		{"color short", cleanColor, "#abc", ""},
		{"color name", cleanColor, "red", ""},
		{"name", func(f, v string) (string, error) { return cleanName(f, v, 10) }, " Ayşe ", "Ayşe"},
		{"name control", func(f, v string) (string, error) { return cleanName(f, v, 10) }, "a\x07b", ""},
		{"name too long", func(f, v string) (string, error) { return cleanName(f, v, 3) }, "abcd", ""},
		{"name bad utf8", func(f, v string) (string, error) { return cleanName(f, v, 10) }, "a\xffb", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.f("field", tc.in)
			if tc.want == "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "field") {
					t.Fatalf("got %q, %v; want ErrInvalid naming the field", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzFormInput runs every cleaner of form input: none may panic, each result must be
// stable when cleaned again, and errors must be ErrInvalid.
func FuzzFormInput(f *testing.F) {
	for _, s := range []string{"", "anna@example.org", "de", "pt-BR", "#ffffff", "jobsearch", "Ayşe Yılmaz",
		"\x00", "a@b@c", "\"quoted\"@example.org", strings.Repeat("x", 300), "ar-\u0661"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cleaners := map[string]func(string, string) (string, error){
			"email": cleanEmail, "lang": cleanLang, "key": cleanKey, "color": cleanColor,
			"name": func(f, v string) (string, error) { return cleanName(f, v, 200) },
		}
		for name, c := range cleaners {
			out, err := c("f", s)
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("%s(%q): error %v is not ErrInvalid", name, s, err)
				}
				continue
			}
			again, err := c("f", out)
			if err != nil || again != out {
				t.Fatalf("%s not stable: %q → %q → %q, %v", name, s, out, again, err)
			}
		}
		if _, err := (SurveyAnswers{EasyToUse: Answer(s), FreeText: s}).clean(); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("survey answers: %v", err)
		}
	})
}

func TestTierSharesRoundTrip(t *testing.T) {
	in := TierShares{"high": 0.75, "low": 0.25}
	v, err := in.Value()
	must(t, err)
	var out TierShares
	must(t, out.Scan(v))
	if len(out) != 2 || out["high"] != 0.75 {
		t.Fatalf("round trip %v", out)
	}
	must(t, out.Scan([]byte(`{"audio":1}`)))
	must(t, out.Scan(nil))
	if out != nil {
		t.Fatal("NULL scanned to non-nil")
	}
	for _, bad := range []any{"{", 42, `["high"]`} {
		if err := out.Scan(bad); err == nil {
			t.Errorf("scan %v: no error", bad)
		}
	}
	if v, _ := TierShares(nil).Value(); v != "{}" {
		t.Fatalf("nil shares stored as %v", v)
	}
}

func FuzzTierSharesScan(f *testing.F) {
	for _, s := range []string{`{}`, `{"high":0.5,"low":0.5}`, `{"x":1e308}`, `null`, `{"a":"b"}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var ts TierShares
		if err := ts.Scan(b); err != nil {
			return
		}
		v, err := ts.Value()
		if err != nil {
			t.Fatalf("scanned %q but cannot store it: %v", b, err)
		}
		var back map[string]float64
		if err := json.Unmarshal([]byte(v.(string)), &back); err != nil {
			t.Fatalf("stored value %v is not JSON", v)
		}
	})
}
