package framing

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

var roundTripSizes = []int{1, 2, 10, 100, 1195, 1196, 1197, 1198, 1199, 1200, 1201, 2392, 2393, 5000, 20000, 50000}

// Packetize then assemble: every frame comes back byte for byte, whatever its size.
func TestRoundTrip(t *testing.T) {
	for _, c := range videoCodecs {
		for _, size := range roundTripSizes {
			t.Run(fmt.Sprintf("%s/%d bytes", c, size), func(t *testing.T) {
				stream := roundTripStream(c, size)
				pkts := packetize(t, c, 65534, stream)
				for _, p := range pkts {
					if len(p.Payload) > MaxPayloadSize {
						t.Fatalf("packet %d carries %d bytes, more than %d", p.SequenceNumber, len(p.Payload), MaxPayloadSize)
					}
				}
				a := NewAssembler(c, newTestClock().now)
				got := feed(t, a, pkts)
				if len(got) != len(stream) {
					t.Fatalf("%d frames out, %d in", len(got), len(stream))
				}
				for i := range stream {
					if !bytes.Equal(got[i].Data, stream[i].data) || got[i].Keyframe != stream[i].key {
						t.Fatalf("frame %d (%d bytes, key %v) came back as %d bytes, key %v", i, len(stream[i].data), stream[i].key, len(got[i].Data), got[i].Keyframe)
					}
				}
			})
		}
	}
}

// roundTripStream is a keyframe of the given size (or a small one if the size cannot
// hold a keyframe header) followed by deltas of that size.
func roundTripStream(c Codec, size int) []testFrame {
	var out []testFrame
	for i := range 3 {
		key := i == 0
		if c == VP8 {
			n := size
			if key && n < 10 {
				n = 10
			}
			out = append(out, testFrame{vp8TestFrame(n, key, i), key})
		} else {
			out = append(out, testFrame{h264TestAU(size, key, i), key})
		}
	}
	return out
}

// The packets are what pion's own depacketizers expect: a browser (libwebrtc) and
// pion-based peers read the same RFC 7741 and RFC 6184 formats.
func TestPacketizerOutputDepacketizedByPion(t *testing.T) {
	for _, c := range videoCodecs {
		for _, size := range roundTripSizes {
			t.Run(fmt.Sprintf("%s/%d bytes", c, size), func(t *testing.T) {
				stream := roundTripStream(c, size)
				for i, frame := range packetsPerFrame(packetize(t, c, 0, stream)) {
					var got []byte
					h := &codecs.H264Packet{}
					for _, p := range frame {
						var out []byte
						var err error
						if c == VP8 {
							out, err = (&codecs.VP8Packet{}).Unmarshal(p.Payload)
						} else {
							out, err = h.Unmarshal(p.Payload)
						}
						if err != nil {
							t.Fatalf("pion depacketizer: %v", err)
						}
						got = append(got, out...)
					}
					if !bytes.Equal(got, stream[i].data) {
						t.Fatalf("frame %d: pion reassembled %d bytes, want %d", i, len(got), len(stream[i].data))
					}
				}
			})
		}
	}
}

// Packets cut by pion's payloaders (as a pion-based sender or the bench load generator
// produces them, with STAP-A for SPS/PPS) assemble into the same frames.
func TestAssemblerTakesPionPayloaderOutput(t *testing.T) {
	for _, c := range videoCodecs {
		for _, size := range roundTripSizes {
			t.Run(fmt.Sprintf("%s/%d bytes", c, size), func(t *testing.T) {
				stream := roundTripStream(c, size)
				var payloader rtp.Payloader = &codecs.VP8Payloader{EnablePictureID: true}
				if c == H264 {
					payloader = &codecs.H264Payloader{}
				}
				seq := uint16(65000)
				var pkts []*rtp.Packet
				for i, f := range stream {
					payloads := payloader.Payload(1200, f.data)
					for j, pl := range payloads {
						pkts = append(pkts, &rtp.Packet{
							Header:  rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(1000 + 3000*i), Marker: j == len(payloads)-1},
							Payload: pl,
						})
						seq++
					}
				}
				a := NewAssembler(c, newTestClock().now)
				wantFrames(t, feed(t, a, pkts), stream, all(len(stream))...)
			})
		}
	}
}

// STAP-A as browsers send a keyframe: SPS, PPS and a small IDR slice in one packet,
// or SPS and PPS aggregated ahead of FU-A fragments.
func TestAssemblerSTAPA(t *testing.T) {
	sps := []byte{0x67, 0x42, 0xc0, 0x1e, 0xda}
	pps := []byte{0x68, 0xce, 0x0f}
	idr := fill(make([]byte, 40), 3)
	idr[0] = 0x65
	delta := fill(make([]byte, 30), 4)
	delta[0] = 0x41
	stap := func(nals ...[]byte) []byte {
		b := []byte{0x78}
		for _, n := range nals {
			b = append(b, byte(len(n)>>8), byte(len(n)))
			b = append(b, n...)
		}
		return b
	}
	annexB := func(nals ...[]byte) []byte {
		var b []byte
		for _, n := range nals {
			b = append(b, 0, 0, 0, 1)
			b = append(b, n...)
		}
		return b
	}
	pkt := func(seq uint16, ts uint32, marker bool, payload []byte) *rtp.Packet {
		return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: marker}, Payload: payload}
	}
	// fuA builds one FU-A fragment of a NAL unit whose header is hdr.
	fuA := func(hdr byte, frag []byte, start, end bool) []byte {
		h := hdr & nalTypeMask
		if start {
			h |= fuStart
		}
		if end {
			h |= fuEnd
		}
		return append([]byte{hdr&0xe0 | nalFUA, h}, frag...)
	}
	cases := []struct {
		name string
		pkts []*rtp.Packet
		want [][]byte
		keys []bool
	}{
		{"sps pps idr in one stap-a", []*rtp.Packet{pkt(1, 10, true, stap(sps, pps, idr))},
			[][]byte{annexB(sps, pps, idr)}, []bool{true}},
		{"stap-a then fu-a", []*rtp.Packet{
			pkt(1, 10, false, stap(sps, pps)),
			pkt(2, 10, false, fuA(idr[0], idr[1:20], true, false)),
			pkt(3, 10, false, fuA(idr[0], idr[20:30], false, false)),
			pkt(4, 10, true, fuA(idr[0], idr[30:], false, true)),
		}, [][]byte{annexB(sps, pps, idr)}, []bool{true}},
		{"keyframe then two deltas in a stap-a", []*rtp.Packet{
			pkt(1, 10, true, stap(sps, pps, idr)),
			pkt(2, 20, true, stap(delta, delta)),
		}, [][]byte{annexB(sps, pps, idr), annexB(delta, delta)}, []bool{true, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAssembler(H264, newTestClock().now)
			got := feed(t, a, tc.pkts)
			if len(got) != len(tc.want) {
				t.Fatalf("%d frames, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if !bytes.Equal(got[i].Data, tc.want[i]) || got[i].Keyframe != tc.keys[i] {
					t.Fatalf("frame %d: % x (key %v)\nwant % x (key %v)", i, got[i].Data, got[i].Keyframe, tc.want[i], tc.keys[i])
				}
			}
		})
	}
}
