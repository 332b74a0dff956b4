package codec

// #include "nbav.h"
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"strconv"

	"github.com/asticode/go-astiav"
)

// VideoDecoder turns complete VP8 frames or H.264 access units (Annex-B) from one source
// into pictures. It decodes on the calling goroutine with one thread: the MCU runs many
// decoders side by side, and frame threading would add a frame of latency each.
// A VideoDecoder is used by one goroutine at a time.
type VideoDecoder struct {
	kind  Kind
	cc    *astiav.CodecContext
	ctx   *C.AVCodecContext
	frame *astiav.Frame // the latest decoded frame
	tmp   *astiav.Frame // receives further frames while draining
	pkt   cPacket
	pic   *image.YCbCr         // decoder-owned output, reallocated only on a size change
	sws   *C.struct_SwsContext // converts pixel formats other than yuv420p
	conv  scratchPicture       // swscale's output when it must not write into pic directly
}

// ErrCorruptFrame is returned (wrapped) for a frame the decoder could only partly decode
// and concealed. Its picture is not handed out: the caller keeps showing the last good one
// and should ask the sender for a keyframe.
var ErrCorruptFrame = errors.New("corrupt frame, decoder concealed errors")

// MaxDecodePixels caps the picture size a sender can make the server decode (4K UHD, the
// largest a screen share sends). Without it one forged H.264 SPS could make the server
// allocate and convert pictures of up to 16384x16384.
const MaxDecodePixels = 3840 * 2160

// decoderNames maps a Kind to FFmpeg's native decoder for it.
var decoderNames = map[Kind]string{KindVP8: "vp8", KindH264: "h264"}

// NewVideoDecoder opens FFmpeg's native decoder for k (KindVP8 or KindH264).
func NewVideoDecoder(k Kind) (*VideoDecoder, error) {
	if errAstiavLayout != nil {
		return nil, errAstiavLayout
	}
	name, ok := decoderNames[k]
	if !ok {
		return nil, fmt.Errorf("new video decoder: %s is not a video codec", k)
	}
	c := astiav.FindDecoderByName(name)
	if c == nil {
		return nil, fmt.Errorf("new video decoder: ffmpeg has no %q decoder", name)
	}
	d := &VideoDecoder{kind: k}
	if err := d.open(c); err != nil {
		d.Close()
		return nil, fmt.Errorf("new %s decoder: %w", k, err)
	}
	return d, nil
}

func (d *VideoDecoder) open(c *astiav.Codec) error {
	if d.cc = astiav.AllocCodecContext(c); d.cc == nil {
		return errors.New("alloc codec context failed")
	}
	d.ctx = codecContextPtr(d.cc)
	d.cc.SetThreadCount(1)
	// Output every frame as soon as it is complete: WebRTC streams have no B-frames, and
	// without the flag the H.264 decoder may hold frames back to guess a reorder depth.
	d.cc.SetFlags(d.cc.Flags().Add(astiav.CodecContextFlagLowDelay))
	opts := []option{{"max_pixels", strconv.Itoa(MaxDecodePixels)}}
	if err := openCodec(d.cc, c, opts); err != nil {
		return err
	}
	if d.frame = astiav.AllocFrame(); d.frame == nil {
		return errors.New("alloc frame failed")
	}
	if d.tmp = astiav.AllocFrame(); d.tmp == nil {
		return errors.New("alloc frame failed")
	}
	var err error
	d.pkt, err = newCPacket()
	return err
}

// Decode takes one complete frame. It returns the decoded picture (owned by the decoder,
// valid until the next Decode or Close) or (nil, nil) when the decoder produced nothing yet.
// A corrupt or truncated frame returns an error (wrapping an astiav.Error, or
// ErrCorruptFrame when the decoder concealed damage) and the decoder stays usable: the next
// good keyframe decodes again. Inter frames that follow a damaged one may carry its
// artefacts until then, which is why the receiver asks for a keyframe after loss.
func (d *VideoDecoder) Decode(frame []byte) (*image.YCbCr, error) {
	if d.cc == nil {
		return nil, fmt.Errorf("decode %s: decoder is closed", d.kind)
	}
	if len(frame) == 0 {
		// An empty packet means "flush" to FFmpeg and would end the stream.
		return nil, fmt.Errorf("decode %s: empty frame", d.kind)
	}
	noReorder, restart, slices := C.int(0), C.int(0), true
	if d.kind == KindH264 {
		noReorder = 1
		switch h264FirstSlice(frame) {
		case 5:
			restart = 1
		case h264NoSlice:
			slices = false
		}
	}
	r := C.nb_decode_video(d.ctx, d.pkt.p, framePtr(d.frame), framePtr(d.tmp), bytePtr(frame), C.int(len(frame)), noReorder, restart)
	if r.ret < 0 && !slices && errors.Is(avError(r.ret), astiav.ErrInvaliddata) {
		// Parameter sets (or SEI) without a picture: FFmpeg stored them and says "no
		// frame", which for us is simply nothing to show yet.
		return nil, nil
	}
	if r.ret < 0 {
		return nil, fmt.Errorf("decode %s frame of %d bytes: %w", d.kind, len(frame), avError(r.ret))
	}
	if r.ret == 0 {
		return nil, nil
	}
	if r.corrupt != 0 {
		return nil, fmt.Errorf("decode %s frame of %d bytes: %w", d.kind, len(frame), ErrCorruptFrame)
	}
	w, h := int(r.width), int(r.height)
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("decode %s: decoder gave a %dx%d picture", d.kind, w, h)
	}
	if d.pic == nil || d.pic.Rect.Dx() != w || d.pic.Rect.Dy() != h {
		d.pic = NewPicture(w, h)
	}
	if err := d.copyOut(astiav.PixelFormat(r.format), w, h); err != nil {
		return nil, fmt.Errorf("decode %s: %w", d.kind, err)
	}
	return d.pic, nil
}

// Results of h264FirstSlice besides a slice NAL unit type (1..5; 5 is IDR).
const (
	h264NoNAL   = -1 // no start code at all: not Annex-B
	h264NoSlice = 0  // NAL units (SPS, PPS, SEI, ...) but no slice
)

// h264FirstSlice returns the NAL unit type of the first slice in an Annex-B access unit,
// or h264NoSlice / h264NoNAL. It stops at that slice, so it reads only the few bytes of
// SPS/PPS/SEI before it.
func h264FirstSlice(au []byte) int {
	found := h264NoNAL
	for i := 0; i+3 < len(au); {
		j := bytes.Index(au[i:], []byte{0, 0, 1})
		if j < 0 || i+j+3 >= len(au) {
			break
		}
		i += j + 3
		found = h264NoSlice
		if t := int(au[i] & 0x1f); t >= 1 && t <= 5 {
			return t
		}
	}
	return found
}

// copyOut copies the decoded frame into d.pic, converting to yuv420p when needed.
func (d *VideoDecoder) copyOut(pf astiav.PixelFormat, w, h int) error {
	p := d.pic
	switch pf {
	case astiav.PixelFormatYuv420P, astiav.PixelFormatYuvj420P:
		// yuvj420p has the same layout; only the nominal range differs (full vs limited),
		// which browsers' decoders and ours both ignore for camera content.
		y, u, v := picturePtrs(p)
		if ret := C.nb_frame_copy_yuv420(framePtr(d.frame), y, C.int(p.YStride), u, v, C.int(p.CStride)); ret < 0 {
			return fmt.Errorf("copy %dx%d yuv420p frame: %w", w, h, avError(ret))
		}
		return nil
	}
	d.sws = C.sws_getCachedContext(d.sws, C.int(w), C.int(h), C.enum_AVPixelFormat(pf), C.int(w), C.int(h),
		C.AV_PIX_FMT_YUV420P, C.SWS_BILINEAR, nil, nil, nil)
	if d.sws == nil {
		return fmt.Errorf("no conversion from pixel format %s to yuv420p", pf)
	}
	out := p
	if !writableInPlace(p) {
		out = d.conv.get(w, h)
	}
	y, u, v := picturePtrs(out)
	if ret := C.nb_frame_scale_yuv420(d.sws, framePtr(d.frame), y, C.int(out.YStride), u, v, C.int(out.CStride)); ret < 0 {
		return fmt.Errorf("convert %dx%d %s to yuv420p: %w", w, h, pf, avError(ret))
	}
	if out != p {
		copyPicture(p, out)
	}
	return nil
}

// Close frees the decoder's C objects. It is idempotent; the last picture becomes invalid.
func (d *VideoDecoder) Close() {
	if d.sws != nil {
		C.sws_freeContext(d.sws)
		d.sws = nil
	}
	d.pkt.free()
	if d.frame != nil {
		d.frame.Free()
		d.frame = nil
	}
	if d.tmp != nil {
		d.tmp.Free()
		d.tmp = nil
	}
	if d.cc != nil {
		d.cc.Free()
		d.cc = nil
		d.ctx = nil
	}
	d.pic = nil
	d.conv = scratchPicture{}
}
