package framing

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// H.264 NAL unit types (ITU-T H.264 table 7-1, RFC 6184 section 5.4).
const (
	nalIDR    = 5
	nalSPS    = 7
	nalAUD    = 9
	nalFiller = 12
	nalSTAPA  = 24
	nalFUA    = 28

	nalTypeMask = 0x1f
	nalForbid   = 0x80
	nalNRIMask  = 0x60
	fuStart     = 0x80
	fuEnd       = 0x40

	stapALenSize = 2
	fuHeaderSize = 2
)

// annexBStartCode is what the assembler writes in front of every NAL unit it outputs.
var annexBStartCode = []byte{0, 0, 0, 1}

// nalTypeAllowed reports whether t may travel as a single or aggregated NAL unit in
// packetization-mode 1. Reserved types (16-18, 22, 23) are refused: they are a sign of
// garbage or of another codec's payload.
func nalTypeAllowed(t byte) bool {
	switch {
	case t == 0 || t > 23:
		return false
	case t >= 16 && t <= 18, t == 22, t == 23:
		return false
	}
	return true
}

// checkH264Payload validates one RFC 6184 RTP payload (single NAL, STAP-A or FU-A)
// without allocating, so the assembler can refuse it before touching any state.
func checkH264Payload(p []byte) error {
	if p[0]&nalForbid != 0 {
		return fmt.Errorf("h264 forbidden bit set: %w", ErrBadPayload)
	}
	switch t := p[0] & nalTypeMask; t {
	case nalSTAPA:
		n := 0
		for off := 1; off < len(p); n++ {
			if off+stapALenSize > len(p) {
				return fmt.Errorf("h264 stap-a length at %d: %w", off, ErrShortPayload)
			}
			size := int(binary.BigEndian.Uint16(p[off:]))
			off += stapALenSize
			if size == 0 {
				return fmt.Errorf("h264 stap-a empty nal unit at %d: %w", off, ErrBadPayload)
			}
			if off+size > len(p) {
				return fmt.Errorf("h264 stap-a nal unit of %d bytes at %d in %d: %w", size, off, len(p), ErrShortPayload)
			}
			if h := p[off]; h&nalForbid != 0 || !nalTypeAllowed(h&nalTypeMask) {
				return fmt.Errorf("h264 stap-a nal unit type %d: %w", h&nalTypeMask, ErrBadPayload)
			}
			off += size
		}
		if n == 0 {
			return fmt.Errorf("h264 stap-a without nal units: %w", ErrShortPayload)
		}
	case nalFUA:
		if len(p) < fuHeaderSize {
			return fmt.Errorf("h264 fu-a header: %w", ErrShortPayload)
		}
		fu := p[1]
		if fu&fuStart != 0 && fu&fuEnd != 0 {
			return fmt.Errorf("h264 fu-a with both start and end bits: %w", ErrBadPayload)
		}
		if ft := fu & nalTypeMask; !nalTypeAllowed(ft) {
			return fmt.Errorf("h264 fu-a of nal type %d: %w", ft, ErrBadPayload)
		}
	default:
		if !nalTypeAllowed(t) {
			return fmt.Errorf("h264 nal type %d: %w", t, ErrBadPayload)
		}
	}
	return nil
}

// nalRange locates one NAL unit (without start code) inside an Annex-B buffer.
type nalRange struct{ start, end int }

var threeByteStartCode = []byte{0, 0, 1}

// splitAnnexB appends the NAL units of an Annex-B access unit to dst, reusing its
// storage. Empty units, access unit delimiters and filler data are left out: the RTP
// payload format carries frame boundaries itself.
func splitAnnexB(b []byte, dst []nalRange) ([]nalRange, error) {
	dst = dst[:0]
	i := bytes.Index(b, threeByteStartCode)
	if i < 0 || !allZero(b[:i]) {
		return dst, fmt.Errorf("h264 frame does not start with an annex-b start code: %w", ErrBadPayload)
	}
	start := i + len(threeByteStartCode)
	for start <= len(b) {
		end := len(b)
		j := bytes.Index(b[start:], threeByteStartCode)
		if j >= 0 {
			end = start + j
		}
		e := end
		for e > start && b[e-1] == 0 { // leading zero of a 4-byte start code, trailing_zero_8bits
			e--
		}
		if e > start {
			if t := b[start] & nalTypeMask; t != nalAUD && t != nalFiller {
				dst = append(dst, nalRange{start, e})
			}
		}
		if j < 0 {
			break
		}
		start = end + len(threeByteStartCode)
	}
	return dst, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
