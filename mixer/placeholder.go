package mixer

import (
	"fmt"
	"image"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// A participant without video (camera off, never published, or stale) is shown as their
// initials on a dark neutral tile, so the others still see who is there. Neutral chroma
// keeps it from being mistaken for anyone's video.
const (
	placeholderY    = 56  // dark grey background
	placeholderText = 210 // light grey initials
	neutralChroma   = 128
	blackY          = 16 // video-range black for letterbox bars
)

// initials returns up to two upper-case letters for a display name: the first letters of
// the first and last words ("Anna Maria Schmidt" → "AS"), else the first letter of fallback.
// Names are user input: anything that is not a letter or digit is ignored.
func initials(name, fallback string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	first := func(s string) string {
		for _, r := range s {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return string(unicode.ToUpper(r))
			}
		}
		return ""
	}
	switch len(words) {
	case 0:
		if s := first(fallback); s != "" {
			return s
		}
		return "?"
	case 1:
		return first(words[0])
	default:
		return first(words[0]) + first(words[len(words)-1])
	}
}

// placeholderFont is parsed once; the parsed font is immutable and safe to share.
var placeholderFont = sync.OnceValues(func() (*opentype.Font, error) { return opentype.Parse(gobold.TTF) })

// renderPlaceholder draws text centred on a w x h tile (even sizes). It allocates; the
// compose loop caches the result per (participant, size).
func renderPlaceholder(text string, w, h int) (*image.YCbCr, error) {
	pic := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	fillRect(pic, pic.Rect, placeholderY, neutralChroma, neutralChroma)
	f, err := placeholderFont()
	if err != nil {
		return nil, fmt.Errorf("parse placeholder font: %w", err)
	}
	size := float64(min(h*2/5, w*2/5))
	if size < 4 {
		return pic, nil // too small to read: the plain tile says enough
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("placeholder face at %.0f px: %w", size, err)
	}
	defer face.Close()
	mask := image.NewAlpha(pic.Rect)
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face}
	adv := d.MeasureString(text)
	if adv.Ceil() > w*9/10 { // wide glyphs in a narrow cell: keep the first letter only
		text = string([]rune(text)[:1])
		adv = d.MeasureString(text)
	}
	m := face.Metrics()
	d.Dot = fixed.Point26_6{
		X: (fixed.I(w) - adv) / 2,
		Y: (fixed.I(h) + m.CapHeight) / 2,
	}
	d.DrawString(text)
	for y := 0; y < h; y++ {
		row := mask.Pix[y*mask.Stride : y*mask.Stride+w]
		yrow := pic.Y[y*pic.YStride : y*pic.YStride+w]
		for x, a := range row {
			if a != 0 {
				yrow[x] = uint8((int(placeholderY)*(255-int(a)) + int(placeholderText)*int(a)) / 255)
			}
		}
	}
	return pic, nil
}

// placeholderCache keeps one rendered tile per size for a participant (compose loop).
type placeholderCache struct {
	text  string
	tiles []*image.YCbCr
}

// get returns the tile at w x h, rendering it the first time.
func (c *placeholderCache) get(w, h int) (*image.YCbCr, error) {
	for _, t := range c.tiles {
		if t.Rect.Dx() == w && t.Rect.Dy() == h {
			return t, nil
		}
	}
	t, err := renderPlaceholder(c.text, w, h)
	if err != nil {
		return nil, err
	}
	if len(c.tiles) >= 8 { // sizes come and go with layouts; keep the recent ones
		copy(c.tiles, c.tiles[1:])
		c.tiles = c.tiles[:len(c.tiles)-1]
	}
	c.tiles = append(c.tiles, t)
	return t, nil
}
