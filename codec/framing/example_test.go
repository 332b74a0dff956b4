package framing_test

import (
	"fmt"
	"time"

	"github.com/nahbar/nahbar/codec/framing"
	"github.com/pion/rtp"
)

// The shape of a track's read loop in rooms: push every packet, pop every frame that
// came complete, and send a PLI whenever NeedKeyframe says so. Here the packets come
// from a Packetizer, as they would from the mixer's output on another peer.
func Example() {
	vp8Key := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}
	frames := [][]byte{append(vp8Key, make([]byte, 3000)...), {0x11, 0xaa, 0xbb}}

	p := framing.NewPacketizer(framing.VP8, 0x1234, 96, 90000)
	var packets []*rtp.Packet
	for _, f := range frames {
		_ = p.Packetize(f, p.Samples(time.Second/15), func(pkt *rtp.Packet) error {
			packets = append(packets, pkt.Clone()) // emit must not keep pkt itself
			return nil
		})
	}

	a := framing.NewAssembler(framing.VP8, time.Now)
	for _, pkt := range packets {
		if err := a.Push(pkt); err != nil {
			fmt.Println("drop packet:", err) // garbage: log and go on
			continue
		}
		for {
			f, ok := a.Pop()
			if !ok {
				break
			}
			fmt.Printf("frame of %d bytes, keyframe %v\n", len(f.Data), f.Keyframe) // decoder.Decode(f.Data)
		}
		if a.NeedKeyframe() {
			fmt.Println("send PLI")
		}
	}
	fmt.Printf("%d packets, %d frames\n", a.Stats().Packets, a.Stats().FramesEmitted)
	// Output:
	// frame of 3010 bytes, keyframe true
	// frame of 3 bytes, keyframe false
	// 4 packets, 2 frames
}
