package mixer

import (
	"errors"
	"image"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseView(t *testing.T) {
	for _, tc := range []struct {
		in   ViewID
		want ParticipantID
		ok   bool
	}{
		{"all", "", true},
		{"all-but:p7", "p7", true},
		{"all-but:a:b", "a:b", true},
		{"all-but:", "", false},
		{"", "", false},
		{"ALL", "", false},
		{"all-but", "", false},
	} {
		got, err := ParseView(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseView(%q) = %q, %v", tc.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrBadView) {
			t.Errorf("ParseView(%q): %v does not wrap ErrBadView", tc.in, err)
		}
	}
}

func FuzzParseView(f *testing.F) {
	for _, s := range []string{"all", "all-but:x", "all-but:", "", "all-but:\x00\xff", strings.Repeat("a", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseView(ViewID(s))
		if err != nil {
			if len(err.Error()) > 400 { // bounded: at most 64 input bytes, quoted
				t.Fatalf("error of %d bytes echoes the input", len(err.Error()))
			}
			return
		}
		if id != "" && ViewExcluding(id) != ViewID(s) {
			t.Fatalf("%q parsed to %q, which does not round-trip", s, id)
		}
	})
}

func TestInitials(t *testing.T) {
	for name, want := range map[string]string{
		"Anna Maria Schmidt": "AS",
		"ömer yılmaz":        "ÖY",
		"  jo  ":             "J",
		"":                   "X",
		"--- ***":            "X",
		"李 小龙":               "李小",
		"<script>":           "S",
	} {
		if got := initials(name, "x7"); got != want {
			t.Errorf("initials(%q) = %q, want %q", name, got, want)
		}
	}
	if got := initials("", ""); got != "?" {
		t.Errorf("no name, no id: %q", got)
	}
}

func FuzzInitials(f *testing.F) {
	for _, s := range []string{"Anna Schmidt", "", "\xff\xfe", "a b c d", "🙂 x", "ǅemal ǆ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s := initials(name, "id")
		if n := utf8.RuneCountInString(s); n < 1 || n > 2 {
			t.Fatalf("initials(%q) = %q: %d runes", name, s, n)
		}
		if _, err := renderPlaceholder(s, 64, 36); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzPublishVideo throws malformed pictures (as a buggy or hostile decoder path could
// produce) at PublishVideo: a clear error or a copy, never a panic.
func FuzzPublishVideo(f *testing.F) {
	f.Add(0, 0, 64, 36, 64, 32, 64*36, 32*18, 32*18, 2)
	f.Add(3, 5, 35, 21, 40, 20, 800, 200, 200, 2)
	f.Add(0, 0, 64, 36, 0, 0, 0, 0, 0, 2)
	f.Add(-8, -8, 8, 8, 16, 8, 256, 64, 64, 2)
	f.Add(0, 0, 5000, 2, 5000, 2500, 10000, 2500, 2500, 0)
	f.Fuzz(func(t *testing.T, x0, y0, x1, y1, ys, cs, ylen, cblen, crlen, ratio int) {
		if ylen < 0 || cblen < 0 || crlen < 0 || ylen > 1<<22 || cblen > 1<<21 || crlen > 1<<21 {
			t.Skip()
		}
		pic := &image.YCbCr{
			Y: make([]byte, ylen), Cb: make([]byte, cblen), Cr: make([]byte, crlen),
			YStride: ys, CStride: cs, SubsampleRatio: image.YCbCrSubsampleRatio(ratio),
			Rect: image.Rect(x0, y0, x1, y1),
		}
		var s videoSource
		s.init(false)
		if err := s.publish(pic, newFakeClock().Now()); err != nil {
			if !errors.Is(err, ErrBadPicture) {
				t.Fatalf("error %v does not wrap ErrBadPicture", err)
			}
			return
		}
		got, fresh := s.tb.latest()
		if !fresh || got.Rect.Dx() != even(pic.Rect.Dx()) || got.Rect.Dy() != even(pic.Rect.Dy()) {
			t.Fatalf("accepted %v but published %v", pic.Rect, got.Rect)
		}
	})
}
