package rooms

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec/framing"
	"github.com/pion/webrtc/v4"
)

// redBlock is one block of a RED payload as a receiver splits it.
type redBlock struct {
	pt      uint8
	tsOff   uint32
	payload []byte
}

// splitRED parses a RED payload (RFC 2198) the way a receiver does.
func splitRED(b []byte) ([]redBlock, error) {
	var hdrs []redBlock
	var lens []int
	i := 0
	for {
		if i >= len(b) {
			return nil, errors.New("truncated header")
		}
		if b[i]&0x80 == 0 { // the primary's 1-byte header
			hdrs = append(hdrs, redBlock{pt: b[i] & 0x7f})
			i++
			break
		}
		if i+4 > len(b) {
			return nil, errors.New("truncated block header")
		}
		v := binary.BigEndian.Uint32(b[i:])
		hdrs = append(hdrs, redBlock{pt: uint8(v>>24) & 0x7f, tsOff: (v >> 10) & 0x3fff})
		lens = append(lens, int(v&0x3ff))
		i += 4
	}
	for k, n := range lens {
		if i+n > len(b) {
			return nil, errors.New("truncated block")
		}
		hdrs[k].payload = b[i : i+n]
		i += n
	}
	hdrs[len(hdrs)-1].payload = b[i:]
	return hdrs, nil
}

type redContext struct{ sinkContext }

func (redContext) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{
		{RTPCodecCapability: capOpus, PayloadType: ptOpus},
		{RTPCodecCapability: capRED, PayloadType: redPT},
	}
}

// TestAudioRedundancy: with RED negotiated and on, each audio packet carries
// the previous one as a block 960 ticks back, then itself; a receiver that
// lost one packet finds it whole in the next. Off, or not negotiated, the
// packets are plain Opus.
func TestAudioRedundancy(t *testing.T) {
	for _, tc := range []struct {
		name       string
		negotiated bool
		on         bool
		wantRED    bool
	}{
		{"negotiated and on", true, true, true},
		{"negotiated, off", true, false, false},
		{"not negotiated", false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			d := newDownTrack(capOpus, "audio", "s", errorLog{})
			var ctx webrtc.TrackLocalContext = sinkContext{id: "r", w: rec}
			if tc.negotiated {
				ctx = redContext{sinkContext{id: "r", w: rec}}
			}
			if _, err := d.Bind(ctx); err != nil {
				t.Fatal(err)
			}
			src := newSource(1, framing.Opus, 48000)
			d.setSource(src.id)
			d.setRedundancy(tc.on)
			now := time.Unix(100, 0)
			var frames [][]byte
			for i := range 5 {
				opus := bytes.Repeat([]byte{byte(i + 1)}, 60+i)
				frames = append(frames, opus)
				now = now.Add(20 * time.Millisecond)
				src.batch.reset(true, now)
				if err := src.pk.Packetize(opus, 960, src.batch.add); err != nil {
					t.Fatal(err)
				}
				d.writeFrame(src.id, &src.batch)
			}
			hdrs := rec.headers()
			checkContinuous(t, hdrs, map[bool]uint8{true: redPT, false: ptOpus}[tc.wantRED])
			for i, h := range hdrs {
				pay := rec.pays[i]
				if !tc.wantRED {
					if !bytes.Equal(pay, frames[i]) {
						t.Fatalf("packet %d is not the plain Opus frame", i)
					}
					continue
				}
				blocks, err := splitRED(pay)
				if err != nil {
					t.Fatalf("packet %d (pt %d): %v", i, h.PayloadType, err)
				}
				primary := blocks[len(blocks)-1]
				if primary.pt != ptOpus || !bytes.Equal(primary.payload, frames[i]) {
					t.Fatalf("packet %d: primary pt %d, payload %x", i, primary.pt, primary.payload)
				}
				// The first packet has no predecessor; every later one carries it.
				if want := min(i, 1); len(blocks)-1 != want {
					t.Fatalf("packet %d: %d redundant blocks, want %d", i, len(blocks)-1, want)
				}
				if i > 0 && (blocks[0].pt != ptOpus || blocks[0].tsOff != 960 || !bytes.Equal(blocks[0].payload, frames[i-1])) {
					t.Fatalf("packet %d: redundant block pt %d, offset %d, payload %x; want the previous frame 960 back",
						i, blocks[0].pt, blocks[0].tsOff, blocks[0].payload)
				}
			}
		})
	}
}

// TestAudioRedundancyAllocatesNothing: RED reuses its buffers.
func TestAudioRedundancyAllocatesNothing(t *testing.T) {
	d := newDownTrack(capOpus, "audio", "s", errorLog{})
	if _, err := d.Bind(redContext{sinkContext{id: "r", w: discard{}}}); err != nil {
		t.Fatal(err)
	}
	src := newSource(1, framing.Opus, 48000)
	d.setSource(src.id)
	d.setRedundancy(true)
	opus := make([]byte, 80)
	now := time.Unix(100, 0)
	send := func() {
		now = now.Add(20 * time.Millisecond)
		src.batch.reset(true, now)
		_ = src.pk.Packetize(opus, 960, src.batch.add)
		d.writeFrame(src.id, &src.batch)
	}
	send()
	if n := testing.AllocsPerRun(100, send); n != 0 {
		t.Fatalf("%.1f allocations per audio packet", n)
	}
}

func TestREDDecision(t *testing.T) {
	const need = 72 // the lowest video tier
	start := time.Unix(100, 0)
	type sample struct {
		after    time.Duration
		loss     float64
		estimate float64
		saveData bool
		want     bool
	}
	tests := []struct {
		name    string
		samples []sample
	}{
		{"a clean link gets none", []sample{{0, 0, 2000, false, false}, {time.Minute, 0, 2000, false, false}}},
		{"audio loss with room for it", []sample{{0, 0.05, 84, false, true}}}, // 0.85 of 72 + 26
		{"audio loss without room: none", []sample{{0, 0.05, 83, false, false}}},
		{"save data: none", []sample{{0, 0.05, 2000, true, false}}},
		{"stays on through a dip of the estimate", []sample{
			{0, 0.05, 84, false, true},
			{time.Second, 0.05, 69, false, true},
			{time.Second, 0.05, 68, false, false}, // 0.7 of 98
		}},
		{"off after 10 s without loss, not before", []sample{
			{0, 0.05, 2000, false, true},
			{time.Second, 0, 2000, false, true},
			{9 * time.Second, 0, 2000, false, true},
			{time.Second, 0, 2000, false, false},
		}},
		{"a loss in between restarts the wait", []sample{
			{0, 0.05, 2000, false, true},
			{time.Second, 0, 2000, false, true},
			{8 * time.Second, 0.02, 2000, false, true},
			{8 * time.Second, 0, 2000, false, true},
		}},
	}
	t.Run("audio only: none", func(t *testing.T) {
		var d redDecision
		if d.update(start, 0.05, 2000, 0, false) {
			t.Fatal("red at audio only")
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d redDecision
			now := start
			for i, s := range tt.samples {
				now = now.Add(s.after)
				if got := d.update(now, s.loss, s.estimate, need, s.saveData); got != s.want {
					t.Fatalf("sample %d: red %v, want %v", i, got, s.want)
				}
			}
		})
	}
}
