package bench

import (
	"errors"
	"fmt"
	"image"
)

// A stamp is a block barcode drawn across the middle of every synthetic frame:
// two rows of 32 blocks, each block black (0) or white (1). Each row starts
// with a 4-block sync pattern (row 0: 1100, row 1: 0011), so a reader can tell
// a barcode from other picture content and calibrate its black/white threshold
// per row; the other 56 blocks carry the source (8 bits), the frame number (16),
// the send time in ms modulo 2^24 (24) and a CRC-8 over those six bytes (8).
// The blocks are 20x48 pixels in a 640x360 source, ~6.6x16 pixels once the
// source is scaled into a cell of a 3x3 grid, large enough to survive VP8.
const (
	stampCols     = 32
	stampRows     = 2
	stampSyncBits = 4
	stampDataBits = stampRows*(stampCols-stampSyncBits) - 8 // 48 payload bits before the CRC
	// Where the barcode sits, relative to the picture: the full width, rows of
	// 48/360 of the height centred vertically.
	stampTop    = 132.0 / 360
	stampRowH   = 48.0 / 360
	stampWhiteY = 235
	stampBlackY = 16
	// StampTimeModulo is the period of a stamp's send time: 2^24 ms, 4.66 hours.
	StampTimeModulo = 1 << 24
	// minStampContrast is the luma gap between the sync pattern's white and
	// black blocks below which a region is not taken for a barcode.
	minStampContrast = 48
)

var stampSync = [stampRows][stampSyncBits]bool{{true, true, false, false}, {false, false, true, true}}

// Errors of ReadStamp; both are wrapped with the place of the failure.
var (
	ErrNoStamp       = errors.New("no stamp")
	ErrStampChecksum = errors.New("stamp checksum mismatch")
)

// Stamp is what a synthetic frame says about itself.
type Stamp struct {
	Source uint8  // which synthetic source drew it
	Frame  uint16 // frame number, wrapping
	SentMs uint32 // send time in ms modulo StampTimeModulo
}

// bits returns the 56 data bits of s (payload then CRC), most significant first.
func (s Stamp) bits() (b [stampRows * (stampCols - stampSyncBits)]bool) {
	var all [7]byte
	p := s.bytes()
	copy(all[:], p[:])
	all[6] = crc8(p[:])
	for i := range b {
		b[i] = all[i/8]&(0x80>>(i%8)) != 0
	}
	return b
}

func (s Stamp) bytes() [6]byte {
	t := s.SentMs % StampTimeModulo
	return [6]byte{s.Source, byte(s.Frame >> 8), byte(s.Frame), byte(t >> 16), byte(t >> 8), byte(t)}
}

// crc8 is CRC-8/ATM (polynomial 0x07): every one- and two-bit error and every
// burst of up to eight blocks in the 56 data blocks changes it.
func crc8(b []byte) byte {
	var c byte
	for _, v := range b {
		c ^= v
		for range 8 {
			if c&0x80 != 0 {
				c = c<<1 ^ 0x07
			} else {
				c <<= 1
			}
		}
	}
	return c
}

// stampBlock is block (row, col) of a barcode drawn over pic rectangle r.
func stampBlock(r image.Rectangle, row, col int) image.Rectangle {
	w, h := float64(r.Dx()), float64(r.Dy())
	y0 := float64(r.Min.Y) + h*(stampTop+float64(row)*stampRowH)
	x0 := float64(r.Min.X) + w*float64(col)/stampCols
	x1 := float64(r.Min.X) + w*float64(col+1)/stampCols
	return image.Rect(int(x0+0.5), int(y0+0.5), int(x1+0.5), int(y0+h*stampRowH+0.5))
}

// DrawStamp draws s into the luma of pic over its whole rectangle, leaving the
// chroma neutral under the blocks.
func DrawStamp(pic *image.YCbCr, s Stamp) {
	data := s.bits()
	for row := range stampRows {
		for col := range stampCols {
			var on bool
			if col < stampSyncBits {
				on = stampSync[row][col]
			} else {
				on = data[row*(stampCols-stampSyncBits)+col-stampSyncBits]
			}
			y := byte(stampBlackY)
			if on {
				y = stampWhiteY
			}
			fillYCbCr(pic, stampBlock(pic.Rect, row, col), y, 128, 128)
		}
	}
}

// ReadStamp reads the stamp of a source drawn into rectangle r of pic (the
// source's picture as fitted into its layout cell). It samples the middle third
// of each block, so it tolerates an offset of a sixth of a block, and it fails
// with ErrNoStamp when the sync pattern is missing or too faint and with
// ErrStampChecksum when the blocks do not add up: a misread is reported, never
// returned as a stamp.
func ReadStamp(pic *image.YCbCr, r image.Rectangle) (Stamp, error) {
	r = r.Intersect(pic.Rect)
	if r.Dx() < stampCols || r.Dy() < 8 {
		return Stamp{}, fmt.Errorf("read stamp in %v: region too small: %w", r, ErrNoStamp)
	}
	var data [stampRows * (stampCols - stampSyncBits)]bool
	for row := range stampRows {
		var levels [stampCols]int
		for col := range stampCols {
			levels[col] = meanLuma(pic, middleThird(stampBlock(r, row, col)))
		}
		white, black, nw, nb := 0, 0, 0, 0
		for col, on := range stampSync[row] {
			if on {
				white += levels[col]
				nw++
			} else {
				black += levels[col]
				nb++
			}
		}
		white, black = white/nw, black/nb
		if white-black < minStampContrast {
			return Stamp{}, fmt.Errorf("read stamp row %d in %v: sync contrast %d: %w", row, r, white-black, ErrNoStamp)
		}
		threshold := (white + black) / 2
		for col := range stampSyncBits {
			if (levels[col] > threshold) != stampSync[row][col] {
				return Stamp{}, fmt.Errorf("read stamp row %d in %v: sync block %d: %w", row, r, col, ErrNoStamp)
			}
		}
		for col := stampSyncBits; col < stampCols; col++ {
			data[row*(stampCols-stampSyncBits)+col-stampSyncBits] = levels[col] > threshold
		}
	}
	var b [7]byte
	for i, on := range data {
		if on {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	if crc8(b[:6]) != b[6] {
		return Stamp{}, fmt.Errorf("read stamp in %v: %w", r, ErrStampChecksum)
	}
	return Stamp{
		Source: b[0],
		Frame:  uint16(b[1])<<8 | uint16(b[2]),
		SentMs: uint32(b[3])<<16 | uint32(b[4])<<8 | uint32(b[5]),
	}, nil
}

// middleThird is the central third of r in both directions (at least a pixel).
func middleThird(r image.Rectangle) image.Rectangle {
	dx, dy := r.Dx()/3, r.Dy()/3
	m := image.Rect(r.Min.X+dx, r.Min.Y+dy, r.Max.X-dx, r.Max.Y-dy)
	if m.Empty() {
		c := image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
		m = image.Rectangle{Min: c, Max: c.Add(image.Pt(1, 1))}
	}
	return m
}

// meanLuma is the mean luma of r ∩ pic (0 if empty).
func meanLuma(pic *image.YCbCr, r image.Rectangle) int {
	r = r.Intersect(pic.Rect)
	if r.Empty() {
		return 0
	}
	sum := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := pic.Y[pic.YOffset(r.Min.X, y):]
		for _, v := range row[:r.Dx()] {
			sum += int(v)
		}
	}
	return sum / (r.Dx() * r.Dy())
}

// fillYCbCr paints r ∩ pic with one colour (chroma on the 4:2:0 grid).
func fillYCbCr(pic *image.YCbCr, r image.Rectangle, y, cb, cr byte) {
	r = r.Intersect(pic.Rect)
	if r.Empty() {
		return
	}
	for row := r.Min.Y; row < r.Max.Y; row++ {
		i := pic.YOffset(r.Min.X, row)
		fillBytes(pic.Y[i:i+r.Dx()], y)
	}
	for row := r.Min.Y / 2; row < (r.Max.Y+1)/2; row++ {
		i := pic.COffset(r.Min.X, row*2)
		n := (r.Max.X+1)/2 - r.Min.X/2
		fillBytes(pic.Cb[i:i+n], cb)
		fillBytes(pic.Cr[i:i+n], cr)
	}
}

func fillBytes(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}
