package codec

import (
	"fmt"
	"image"
	"math"
	"testing"

	"github.com/asticode/go-astiav"
)

// encodeH264Format encodes one keyframe of src (luma) with solid chroma cb/cr in pixel
// format pf, using libx264 through go-astiav directly: a stream like a non-browser sender
// (4:2:2, 4:4:4, full-range) could send.
func encodeH264Format(t *testing.T, src *image.YCbCr, pf astiav.PixelFormat, cb, cr uint8) []byte {
	t.Helper()
	w, h := src.Rect.Dx(), src.Rect.Dy()
	c := astiav.FindEncoderByName("libx264")
	cc := astiav.AllocCodecContext(c)
	defer cc.Free()
	cc.SetWidth(w)
	cc.SetHeight(h)
	cc.SetPixelFormat(pf)
	cc.SetTimeBase(astiav.NewRational(1, 15))
	if err := openCodec(cc, c, []option{{"preset", "ultrafast"}, {"crf", "8"}}); err != nil {
		t.Fatal(err)
	}
	f := astiav.AllocFrame()
	defer f.Free()
	f.SetWidth(w)
	f.SetHeight(h)
	f.SetPixelFormat(pf)
	if err := f.AllocBuffer(0); err != nil {
		t.Fatal(err)
	}
	chromaRows := map[astiav.PixelFormat]int{astiav.PixelFormatYuv444P: h, astiav.PixelFormatYuv422P: h}[pf]
	chromaCols := map[astiav.PixelFormat]int{astiav.PixelFormatYuv444P: w}[pf]
	if chromaRows == 0 {
		chromaRows = (h + 1) / 2
	}
	if chromaCols == 0 {
		chromaCols = (w + 1) / 2
	}
	yp, err := framePlane(f, 0, h)
	if err != nil {
		t.Fatal(err)
	}
	ls := len(yp) / h
	for y := 0; y < h; y++ {
		copy(yp[y*ls:y*ls+w], src.Y[y*src.YStride:])
	}
	for i, v := range []uint8{cb, cr} {
		p, err := framePlane(f, i+1, chromaRows)
		if err != nil {
			t.Fatal(err)
		}
		cls := len(p) / chromaRows
		for y := 0; y < chromaRows; y++ {
			for x := 0; x < chromaCols; x++ {
				p[y*cls+x] = v
			}
		}
	}
	f.SetPictureType(astiav.PictureTypeI)
	if err := cc.SendFrame(f); err != nil {
		t.Fatal(err)
	}
	if err := cc.SendFrame(nil); err != nil { // flush: x264 may hold the frame
		t.Fatal(err)
	}
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	if err := cc.ReceivePacket(pkt); err != nil {
		t.Fatal(err)
	}
	return pkt.Data()
}

func TestDecodeConvertsPixelFormats(t *testing.T) {
	for _, pf := range []astiav.PixelFormat{astiav.PixelFormatYuv444P, astiav.PixelFormatYuv422P, astiav.PixelFormatYuvj420P} {
		for _, size := range [][2]int{{320, 180}, {330, 186}} {
			t.Run(fmt.Sprintf("%s_%dx%d", pf, size[0], size[1]), func(t *testing.T) {
				src := NewPicture(size[0], size[1])
				fillCamera(src, newCameraTexture(size[0], size[1]), 0)
				data := encodeH264Format(t, src, pf, 70, 190)
				d := newDecoderT(t, KindH264)
				got, err := d.Decode(data)
				if err != nil || got == nil {
					t.Fatalf("decode %s: %v, %v", pf, got, err)
				}
				if got.Rect != src.Rect {
					t.Fatalf("decoded %v, want %v", got.Rect, src.Rect)
				}
				if p := psnrY(t, src, got); p < 35 {
					t.Errorf("%s %v: luma PSNR %.1f dB < 35", pf, size, p)
				}
				_, cb, cr := meanPlanes(got)
				if math.Abs(cb-70) > 2 || math.Abs(cr-190) > 2 {
					t.Errorf("%s %v: chroma means %.1f %.1f, want 70 190", pf, size, cb, cr)
				}
			})
		}
	}
}
