package framing

import (
	"encoding/binary"
	"fmt"
)

// consume adds the payload of the next in-sequence packet to the frame under assembly.
// A frame ends at the RTP marker, or when the timestamp changes (a sender that forgot
// the marker: everything of the old frame has arrived, since consumption is in order).
func (a *Assembler) consume(ts uint32, marker bool, payload []byte) {
	if len(payload) == 0 { // padding only: belongs to no frame
		return
	}
	c := &a.cur
	if c.active && ts != c.ts {
		a.finish()
	}
	if !c.active {
		c.active, c.first, c.broken, c.ts = true, true, false, ts
		c.buf = c.buf[:0]
		c.inFU, c.fuType, c.idr, c.sps = false, 0, false, false
		c.afterGap = a.gapBefore
	}
	a.gapBefore = false
	if a.codec == VP8 {
		a.addVP8(payload)
	} else {
		a.addH264(payload)
	}
	c.first = false
	if marker {
		a.finish()
	}
}

func (a *Assembler) addVP8(p []byte) {
	c := &a.cur
	d, _ := parseVP8Descriptor(p) // validated by Push
	if c.first && !d.frameStart() {
		c.broken = true // the frame's first packet is missing
	}
	a.appendData(p[d.size:])
}

func (a *Assembler) addH264(p []byte) {
	c := &a.cur
	switch t := p[0] & nalTypeMask; t {
	case nalFUA:
		fu := p[1]
		ft := fu & nalTypeMask
		if fu&fuStart != 0 {
			if c.inFU {
				c.broken = true // the previous FU-A never ended
			}
			c.inFU, c.fuType = true, ft
			a.noteNAL(ft)
			a.appendNAL(p[0]&(nalForbid|nalNRIMask)|ft, p[fuHeaderSize:])
		} else {
			if !c.inFU || c.fuType != ft {
				c.broken = true // the FU-A's first fragment is missing
				return
			}
			a.appendData(p[fuHeaderSize:])
		}
		if fu&fuEnd != 0 {
			c.inFU = false
		}
	case nalSTAPA:
		if c.inFU {
			c.broken = true
		}
		for off := 1; off < len(p); {
			size := int(binary.BigEndian.Uint16(p[off:]))
			off += stapALenSize
			nal := p[off : off+size]
			a.noteNAL(nal[0] & nalTypeMask)
			a.appendNAL(nal[0], nal[1:])
			off += size
		}
	default:
		if c.inFU {
			c.broken = true
		}
		a.noteNAL(t)
		a.appendNAL(p[0], p[1:])
	}
}

// noteNAL remembers the NAL units that let a decoder start: IDR slices and SPS.
func (a *Assembler) noteNAL(t byte) {
	switch t {
	case nalIDR:
		a.cur.idr = true
	case nalSPS:
		a.cur.sps = true
	}
}

// h264Keyframe reports whether a decoder can start at the access unit: it carries an
// SPS, or an IDR slice while the stream already delivered an SPS. Right after a loss
// the SPS must be in the unit itself, since the loss may have taken a new one.
func (a *Assembler) h264Keyframe() bool {
	c := &a.cur
	return c.sps || c.idr && a.haveSPS && !c.afterGap
}

// keyframeStart reports whether a payload opens a keyframe: a VP8 frame start with an
// intra frame tag, or an H.264 SPS (alone or first in a STAP-A).
func (a *Assembler) keyframeStart(p []byte) bool {
	if len(p) == 0 {
		return false
	}
	if a.codec == VP8 {
		d, err := parseVP8Descriptor(p)
		return err == nil && d.frameStart() && len(p) >= d.size+6 && p[d.size]&1 == 0 && hasVP8StartCode(p[d.size:])
	}
	switch p[0] & nalTypeMask {
	case nalSPS:
		return true
	case nalSTAPA:
		return len(p) > 3 && p[3]&nalTypeMask == nalSPS
	}
	return false
}

// appendNAL writes a start code, the NAL header and the rest of the NAL unit.
func (a *Assembler) appendNAL(header byte, rest []byte) {
	if !a.fits(len(annexBStartCode) + 1 + len(rest)) {
		return
	}
	c := &a.cur
	c.buf = append(c.buf, annexBStartCode...)
	c.buf = append(c.buf, header)
	c.buf = append(c.buf, rest...)
}

func (a *Assembler) appendData(b []byte) {
	if a.fits(len(b)) {
		a.cur.buf = append(a.cur.buf, b...)
	}
}

// fits reports whether n more bytes may be added to the frame; a broken frame takes
// nothing, and a frame outgrowing MaxFrameSize is broken with an error for Push.
func (a *Assembler) fits(n int) bool {
	c := &a.cur
	if c.broken {
		return false
	}
	if len(c.buf)+n > MaxFrameSize {
		c.broken = true
		a.err = fmt.Errorf("%s frame at timestamp %d exceeds %d bytes: %w", a.codec, c.ts, MaxFrameSize, ErrFrameTooLarge)
		return false
	}
	return true
}

// finish ends the frame under assembly: it is queued for Pop if a decoder can use it,
// dropped otherwise.
func (a *Assembler) finish() {
	c := &a.cur
	c.active = false
	var key bool
	if a.codec == VP8 {
		key = vp8Keyframe(c.buf)
	} else {
		key = a.h264Keyframe()
	}
	switch {
	case c.broken, c.inFU, len(c.buf) == 0:
		a.drop()
	case a.waitKey && !key:
		a.drop()
	case a.qLen == queueSize: // nobody pops: the decoder loses this frame
		a.drop()
	default:
		a.emit(key)
	}
}

// drop discards the frame under assembly. The decoder would miss a reference from now
// on, so frames are held back until a keyframe and one is requested.
func (a *Assembler) drop() {
	a.stats.FramesDropped++
	a.waitKey, a.wantKey = true, true
	if cap(a.cur.buf) > retainLimit {
		a.cur.buf = nil
	}
	a.notify(eventDrop)
}

// emit queues the frame under assembly. Buffers are swapped, not copied.
func (a *Assembler) emit(key bool) {
	slot := &a.queue[(a.qHead+a.qLen)%queueSize]
	data := a.cur.buf
	a.cur.buf = slot.Data[:0]
	*slot = Frame{Data: data, Keyframe: key, RTPTimestamp: a.cur.ts}
	a.qLen++
	a.stats.FramesEmitted++
	if a.cur.sps {
		a.haveSPS = true
	}
	if key {
		a.waitKey, a.wantKey = false, false
		a.notify(eventEmitKey)
	} else {
		a.notify(eventEmit)
	}
}

// lost records that packets went missing: the frame under assembly cannot be complete,
// and later frames may refer to what was lost.
func (a *Assembler) lost() {
	if a.cur.active {
		a.cur.broken = true
	}
	a.gapBefore = true
	a.waitKey, a.wantKey = true, true
	a.notify(eventLoss)
}
