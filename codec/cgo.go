package codec

// #cgo pkg-config: libavutil libavcodec libswscale
// #include "nbav.h"
import "C"

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// go-astiav v0.16.0 exposes the C pointer of a Frame (UnsafePointer) but not of a
// CodecContext, and its per-frame calls allocate on the Go heap (Packet.Data copies with
// C.GoBytes, every EAGAIN is boxed into an error). The per-frame path therefore calls
// avcodec_send_*/receive_* itself (nbav.c) on the AVCodecContext that go-astiav set up and
// opened. codecContextPtr reads that pointer from the first field of astiav.CodecContext;
// errAstiavLayout guards the assumption, so a go-astiav upgrade that changes the struct
// fails loudly in the constructors instead of corrupting memory.
var errAstiavLayout = checkAstiavLayout()

func checkAstiavLayout() error {
	t := reflect.TypeFor[astiav.CodecContext]()
	if t.NumField() == 0 {
		return fmt.Errorf("codec: astiav.CodecContext has no fields; go-astiav changed, want v0.16.0")
	}
	f := t.Field(0)
	if f.Offset != 0 || f.Type.Kind() != reflect.Pointer || !strings.Contains(f.Type.Elem().Name(), "AVCodecContext") {
		return fmt.Errorf("codec: astiav.CodecContext field 0 is %s %s; go-astiav changed, want v0.16.0", f.Name, f.Type)
	}
	return nil
}

// codecContextPtr returns the AVCodecContext behind cc (see errAstiavLayout).
func codecContextPtr(cc *astiav.CodecContext) *C.AVCodecContext {
	return *(**C.AVCodecContext)(unsafe.Pointer(cc))
}

// framePtr returns the AVFrame behind f.
func framePtr(f *astiav.Frame) *C.AVFrame {
	return (*C.AVFrame)(f.UnsafePointer())
}

// avError turns a negative AVERROR into an error that matches go-astiav's sentinels
// (errors.Is(err, astiav.ErrInvaliddata)) and prints FFmpeg's message.
func avError(ret C.int) error {
	if ret >= 0 {
		return nil
	}
	return astiav.Error(int(ret))
}

// cPacket is an AVPacket owned by one codec wrapper and reused for every frame.
type cPacket struct{ p *C.AVPacket }

func newCPacket() (cPacket, error) {
	p := C.av_packet_alloc()
	if p == nil {
		return cPacket{}, fmt.Errorf("codec: av_packet_alloc failed")
	}
	return cPacket{p: p}, nil
}

func (p *cPacket) free() {
	if p.p != nil {
		C.av_packet_free(&p.p)
	}
}

// bytePtr returns the address of b's first byte, or nil for an empty slice.
func bytePtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// planePtr returns the address of b[off]; callers check that off is inside b.
func planePtr(b []byte, off int) *C.uint8_t {
	return (*C.uint8_t)(unsafe.Pointer(&b[off]))
}

// framePlane returns a view of plane i of f (rows lines of its line size; for audio, one
// "line" is the whole plane) after making f writable, so Go code can fill an AVFrame in
// place without go-astiav's allocating copies. The view is valid until f is unreferenced,
// reallocated or freed.
func framePlane(f *astiav.Frame, i, rows int) ([]byte, error) {
	if ret := C.nb_frame_make_writable(framePtr(f)); ret < 0 {
		return nil, fmt.Errorf("make frame writable: %w", avError(ret))
	}
	p := C.nb_frame_plane(framePtr(f), C.int(i))
	if p.data == nil || p.linesize <= 0 || rows <= 0 {
		return nil, fmt.Errorf("frame has no plane %d", i)
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p.data)), int(p.linesize)*rows), nil
}
