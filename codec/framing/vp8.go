package framing

import "fmt"

// vp8Descriptor is the part of the RFC 7741 payload descriptor the assembler needs.
type vp8Descriptor struct {
	start bool  // S: the packet begins a VP8 partition
	pid   uint8 // partition index
	size  int   // descriptor length; the VP8 payload follows it
}

// frameStart reports whether the packet carries the first bytes of a frame: RFC 7741
// requires S=1 and partition index 0 there.
func (d vp8Descriptor) frameStart() bool { return d.start && d.pid == 0 }

// parseVP8Descriptor reads the payload descriptor in front of a VP8 RTP payload without
// allocating. Reserved bits are ignored as RFC 7741 asks. A packet that starts a frame
// must carry a plausible frame tag, which catches most payloads of another codec.
func parseVP8Descriptor(p []byte) (vp8Descriptor, error) {
	if len(p) == 0 {
		return vp8Descriptor{}, fmt.Errorf("vp8 descriptor: %w", ErrShortPayload)
	}
	b := p[0]
	d := vp8Descriptor{start: b&0x10 != 0, pid: b & 0x07}
	i := 1
	if b&0x80 != 0 { // X: extension byte follows
		if i >= len(p) {
			return vp8Descriptor{}, fmt.Errorf("vp8 descriptor extension: %w", ErrShortPayload)
		}
		x := p[i]
		i++
		if x&0x80 != 0 { // I: PictureID, 7 or 15 bits
			if i >= len(p) {
				return vp8Descriptor{}, fmt.Errorf("vp8 picture id: %w", ErrShortPayload)
			}
			if p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K: TID/Y/KEYIDX share one byte
			i++
		}
	}
	if i >= len(p) {
		return vp8Descriptor{}, fmt.Errorf("vp8 descriptor of %d bytes in a %d-byte payload: %w", i, len(p), ErrShortPayload)
	}
	d.size = i
	if d.frameStart() {
		if err := checkVP8FrameTag(p[i:]); err != nil {
			return vp8Descriptor{}, err
		}
	}
	return d, nil
}

// checkVP8FrameTag rejects a frame start whose RFC 6386 frame tag cannot be VP8: an
// unknown version, or a keyframe without the 9d 01 2a start code.
func checkVP8FrameTag(f []byte) error {
	if v := (f[0] >> 1) & 7; v > 3 {
		return fmt.Errorf("vp8 frame tag version %d: %w", v, ErrBadPayload)
	}
	if f[0]&1 == 0 && len(f) >= 6 && !hasVP8StartCode(f) {
		return fmt.Errorf("vp8 keyframe without start code: %w", ErrBadPayload)
	}
	return nil
}

func hasVP8StartCode(f []byte) bool { return f[3] == 0x9d && f[4] == 0x01 && f[5] == 0x2a }

// vp8Keyframe reports whether a whole frame is an intra frame: the P bit of the frame
// tag is 0 and the keyframe header (start code, dimensions) is present.
func vp8Keyframe(f []byte) bool {
	return len(f) >= 10 && f[0]&1 == 0 && hasVP8StartCode(f)
}
