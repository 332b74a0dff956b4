package framing

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"
)

type emitted struct {
	pkts []*rtp.Packet
}

func (e *emitted) emit(p *rtp.Packet) error {
	e.pkts = append(e.pkts, p.Clone())
	return nil
}

func TestPacketizerHeaders(t *testing.T) {
	cases := []struct {
		codec   Codec
		clock   uint32
		samples uint32
		frames  [][]byte
	}{
		{VP8, 90000, 6000, [][]byte{vp8TestFrame(3000, true, 0), vp8TestFrame(1, false, 1), vp8TestFrame(1196, false, 2), vp8TestFrame(1197, false, 3)}},
		{H264, 90000, 7500, [][]byte{h264TestAU(5000, true, 0), h264TestAU(1, false, 1), h264TestAU(1200, false, 2), h264TestAU(1201, false, 3)}},
		{Opus, 48000, 960, [][]byte{{0xfc, 1, 2}, bytes.Repeat([]byte{7}, 160), {0x78}}},
	}
	for _, tc := range cases {
		t.Run(tc.codec.String(), func(t *testing.T) {
			p := NewPacketizer(tc.codec, 0xcafe, 111, tc.clock)
			p.SetNext(65534, 0xfffff000)
			var e emitted
			for i, f := range tc.frames {
				before := len(e.pkts)
				if err := p.Packetize(f, tc.samples, e.emit); err != nil {
					t.Fatal(err)
				}
				frame := e.pkts[before:]
				if tc.codec == Opus && len(frame) != 1 {
					t.Fatalf("opus frame %d in %d packets, want 1", i, len(frame))
				}
				for j, pkt := range frame {
					wantTS := 0xfffff000 + uint32(i)*tc.samples // wraps like the clock does
					if pkt.Timestamp != wantTS {
						t.Errorf("frame %d packet %d: timestamp %#x, want %#x", i, j, pkt.Timestamp, wantTS)
					}
					wantMarker := tc.codec.video() && j == len(frame)-1
					if pkt.Marker != wantMarker {
						t.Errorf("frame %d packet %d of %d: marker %v", i, j, len(frame), pkt.Marker)
					}
				}
			}
			for i, pkt := range e.pkts {
				if want := uint16(65534 + i); pkt.SequenceNumber != want {
					t.Fatalf("packet %d: sequence %d, want %d", i, pkt.SequenceNumber, want)
				}
				if pkt.Version != 2 || pkt.SSRC != 0xcafe || pkt.PayloadType != 111 || len(pkt.Payload) > MaxPayloadSize {
					t.Fatalf("packet %d: %v", i, pkt.Header)
				}
			}
			seq, ts := p.Next()
			if seq != uint16(65534+len(e.pkts)) || ts != 0xfffff000+uint32(len(tc.frames))*tc.samples {
				t.Fatalf("Next() = %d, %#x", seq, ts)
			}
		})
	}
}

// A tier switch puts another encoder behind the same packetizer: the receiver must see
// one stream with continuous sequence numbers, timestamps and PictureIDs.
func TestPacketizerContinuesAcrossEncoders(t *testing.T) {
	p := NewPacketizer(VP8, 1, 96, 90000)
	p.SetNext(100, 0)
	var e emitted
	tierA := []testFrame{{vp8TestFrame(4000, true, 0), true}, {vp8TestFrame(800, false, 1), false}}
	tierB := []testFrame{{vp8TestFrame(1500, true, 2), true}, {vp8TestFrame(300, false, 3), false}}
	for _, f := range append(tierA, tierB...) {
		if err := p.Packetize(f.data, 6000, e.emit); err != nil {
			t.Fatal(err)
		}
	}
	a := NewAssembler(VP8, newTestClock().now)
	got := feed(t, a, e.pkts)
	if len(got) != 4 {
		t.Fatalf("%d frames across the switch, want 4", len(got))
	}
	var lastPID uint16
	for i, pkt := range e.pkts {
		if pkt.SequenceNumber != uint16(100+i) {
			t.Fatalf("sequence gap at packet %d", i)
		}
		pid := uint16(pkt.Payload[2]&0x7f)<<8 | uint16(pkt.Payload[3])
		if i > 0 && pkt.Timestamp != e.pkts[i-1].Timestamp && pid != lastPID+1 {
			t.Fatalf("picture id %d after %d", pid, lastPID)
		}
		lastPID = pid
	}
	for i, f := range got {
		if f.RTPTimestamp != uint32(6000*i) {
			t.Fatalf("frame %d at timestamp %d", i, f.RTPTimestamp)
		}
	}
}

func TestPacketizerH264Packets(t *testing.T) {
	sps := []byte{0x67, 0x42, 0xc0, 0x1e}
	pps := []byte{0x68, 0xce, 0x0f}
	sei := []byte{0x06, 0x05, 0x01, 0x80}
	small := fill(make([]byte, 100), 1)
	small[0] = 0x65
	big := fill(make([]byte, 3000), 2)
	big[0] = 0x65
	au := func(codes [][]byte, nals ...[]byte) []byte {
		var b []byte
		for i, n := range nals {
			b = append(b, codes[i%len(codes)]...)
			b = append(b, n...)
		}
		return b
	}
	four, three := []byte{0, 0, 0, 1}, []byte{0, 0, 1}
	aud := []byte{0x09, 0xf0}
	filler := []byte{0x0c, 0xff, 0xff}
	cases := []struct {
		name  string
		frame []byte
		want  []string // packet kinds in order
	}{
		{"sps pps idr aggregate", au([][]byte{four}, sps, pps, small), []string{"stap-a(3)"}},
		{"3-byte start codes, aud and filler dropped", au([][]byte{four, three}, aud, sps, pps, filler, small), []string{"stap-a(3)"}},
		{"large idr fragments", au([][]byte{four}, sps, pps, sei, big), []string{"stap-a(3)", "fu-a start", "fu-a", "fu-a end"}},
		{"single nal", au([][]byte{three}, small), []string{"nal 5"}},
		{"trailing zero bytes", append(au([][]byte{four}, small), 0, 0), []string{"nal 5"}},
		{"two large slices", au([][]byte{four}, big, big), []string{"fu-a start", "fu-a", "fu-a end", "fu-a start", "fu-a", "fu-a end"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPacketizer(H264, 1, 102, 90000)
			var first, e emitted
			// A keyframe with parameter sets first, so an IDR without them decodes too.
			if err := p.Packetize(au([][]byte{four}, sps, pps, small), 3000, first.emit); err != nil {
				t.Fatal(err)
			}
			if err := p.Packetize(tc.frame, 3000, e.emit); err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, pkt := range e.pkts {
				kinds = append(kinds, h264PacketKind(pkt.Payload))
			}
			if fmt.Sprint(kinds) != fmt.Sprint(tc.want) {
				t.Fatalf("packets %v, want %v", kinds, tc.want)
			}
			a := NewAssembler(H264, newTestClock().now)
			got := feed(t, a, append(first.pkts, e.pkts...))
			if len(got) != 2 || !got[1].Keyframe {
				t.Fatalf("assembled %d frames", len(got))
			}
			var want []byte
			nals, _ := splitAnnexB(tc.frame, nil)
			for _, n := range nals {
				want = append(want, four...)
				want = append(want, tc.frame[n.start:n.end]...)
			}
			if !bytes.Equal(got[1].Data, want) {
				t.Fatalf("assembled % x\nwant % x", got[1].Data, want)
			}
		})
	}
}

func h264PacketKind(p []byte) string {
	switch t := p[0] & nalTypeMask; t {
	case nalSTAPA:
		n := 0
		for off := 1; off < len(p); n++ {
			off += 2 + int(p[off])<<8 | int(p[off+1])
		}
		return fmt.Sprintf("stap-a(%d)", n)
	case nalFUA:
		switch {
		case p[1]&fuStart != 0:
			return "fu-a start"
		case p[1]&fuEnd != 0:
			return "fu-a end"
		}
		return "fu-a"
	default:
		return fmt.Sprintf("nal %d", t)
	}
}

func TestPacketizerErrors(t *testing.T) {
	errEmit := errors.New("track closed")
	cases := []struct {
		name  string
		codec Codec
		frame []byte
		emit  func(*rtp.Packet) error
		want  error
		sent  int
	}{
		{"empty vp8", VP8, nil, nil, ErrEmptyFrame, 0},
		{"empty opus", Opus, []byte{}, nil, ErrEmptyFrame, 0},
		{"h264 without start code", H264, []byte{0x65, 1, 2, 3}, nil, ErrBadPayload, 0},
		{"h264 with junk before the start code", H264, []byte{1, 0, 0, 1, 0x65, 1}, nil, ErrBadPayload, 0},
		{"h264 only delimiters", H264, []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x0c}, nil, ErrEmptyFrame, 0},
		{"unsupported codec", Codec(42), []byte{1}, nil, ErrUnsupportedCodec, 0},
		{"emit fails on the second packet", VP8, vp8TestFrame(3000, true, 0), failAfter(1, errEmit), errEmit, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPacketizer(tc.codec, 1, 96, 90000)
			p.SetNext(10, 500)
			emit := tc.emit
			if emit == nil {
				emit = func(*rtp.Packet) error { t.Fatal("nothing should be sent"); return nil }
			}
			err := p.Packetize(tc.frame, 3000, emit)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Packetize: %v, want %v", err, tc.want)
			}
			seq, ts := p.Next()
			if seq != uint16(10+tc.sent) {
				t.Fatalf("next sequence %d after %d packets went out", seq, tc.sent)
			}
			if tc.sent > 0 && ts != 3500 {
				t.Fatalf("timestamp %d: the stream's timing must go on after a failed frame", ts)
			}
		})
	}
}

func failAfter(n int, err error) func(*rtp.Packet) error {
	return func(*rtp.Packet) error {
		if n == 0 {
			return err
		}
		n--
		return nil
	}
}

func TestPacketizerSamples(t *testing.T) {
	cases := []struct {
		clock uint32
		d     time.Duration
		want  uint32
	}{
		{90000, time.Second / 15, 6000},
		{90000, time.Second / 12, 7500},
		{90000, time.Second / 10, 9000},
		{48000, 20 * time.Millisecond, 960},
		{48000, 0, 0},
		{48000, -time.Second, 0},
	}
	for _, tc := range cases {
		if got := NewPacketizer(VP8, 1, 96, tc.clock).Samples(tc.d); got != tc.want {
			t.Errorf("%v at %d Hz: %d samples, want %d", tc.d, tc.clock, got, tc.want)
		}
	}
}

// The 15-bit PictureID advances once per frame and wraps as RFC 7741 says.
func TestPacketizerVP8PictureIDWraps(t *testing.T) {
	p := NewPacketizer(VP8, 1, 96, 90000)
	p.pictureID = 0x7ffe
	var e emitted
	for range 3 {
		if err := p.Packetize(vp8TestFrame(20, false, 0), 3000, e.emit); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []uint16{0x7ffe, 0x7fff, 0} {
		d := e.pkts[i].Payload
		if got := uint16(d[2]&0x7f)<<8 | uint16(d[3]); got != want || d[2]&0x80 == 0 {
			t.Fatalf("frame %d: picture id %#x, want %#x (15-bit)", i, got, want)
		}
	}
}
