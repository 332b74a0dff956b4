package rooms

import (
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/mixer"
)

// opusFrames encodes n 20 ms frames of a tone at kbps.
func opusFrames(t *testing.T, n, kbps int) [][]byte {
	t.Helper()
	enc, err := codec.NewOpusEncoder(kbps)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	pcm := make([]int16, codec.FrameSamples)
	var out [][]byte
	buf := make([]byte, 1500)
	for i := range n {
		for j := range pcm {
			x := float64(i*len(pcm) + j)
			pcm[j] = int16(6000*math.Sin(2*math.Pi*440*x/48000) + 3000*math.Sin(2*math.Pi*3170*x/48000))
		}
		m, err := enc.Encode(pcm, buf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]byte(nil), buf[:m]...))
	}
	return out
}

// TestOpusJoinDecodesLikeTheFrames: a joined packet decodes to exactly the
// samples of its frames decoded one by one — with frames under 252 bytes
// (one length byte) and over (two), as libopus's own decoder reads it.
func TestOpusJoinDecodesLikeTheFrames(t *testing.T) {
	for _, kbps := range []int{24, 160} {
		frames := opusFrames(t, 2*groupAudioFrames, kbps)
		if kbps == 160 && len(frames[1]) < 252 {
			t.Fatalf("a %d kbit/s frame has %d bytes; the test wants ≥ 252", kbps, len(frames[1]))
		}
		want := decodeAll(t, frames)
		var j opusJoiner
		var joined [][]byte
		for _, f := range frames {
			if err := j.add(f, 20*time.Millisecond); err != nil {
				t.Fatalf("%d kbit/s: add: %v", kbps, err)
			}
			if j.len() == groupAudioFrames {
				p, d := j.join()
				if d != 60*time.Millisecond {
					t.Errorf("joined duration %v, want 60ms", d)
				}
				joined = append(joined, append([]byte(nil), p...))
			}
		}
		if len(joined) != 2 {
			t.Fatalf("%d joined packets, want 2", len(joined))
		}
		got := decodeAll(t, joined)
		if len(got) != len(want) {
			t.Fatalf("%d kbit/s: joined packets decode to %d samples, the frames to %d", kbps, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%d kbit/s: sample %d differs: %d vs %d", kbps, i, got[i], want[i])
			}
		}
	}
}

func decodeAll(t *testing.T, pkts [][]byte) []int16 {
	t.Helper()
	dec, err := codec.NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	pcm := make([]int16, codec.MaxFrameSamples)
	var all []int16
	for _, p := range pkts {
		n, err := dec.Decode(p, pcm)
		if err != nil {
			t.Fatalf("decode %d bytes: %v", len(p), err)
		}
		all = append(all, pcm[:n]...)
	}
	return all
}

// TestOpusJoinRefusesOtherFrames: a packet of another configuration, or of
// more than one frame, is not joined to the frames collected.
func TestOpusJoinRefusesOtherFrames(t *testing.T) {
	var j opusJoiner
	if err := j.add([]byte{0x78, 1, 2}, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := j.add([]byte{0x80, 1}, 20*time.Millisecond); err == nil {
		t.Error("joined a frame of another configuration")
	}
	if err := j.add([]byte{0x79, 1, 1}, 20*time.Millisecond); err == nil {
		t.Error("joined a two-frame packet")
	}
	if err := j.add(nil, 20*time.Millisecond); err == nil {
		t.Error("joined an empty packet")
	}
	p, d := j.join()
	if string(p) != string([]byte{0x78, 1, 2}) || d != 20*time.Millisecond {
		t.Errorf("one frame came back as %x (%v), want it unchanged", p, d)
	}
}

// TestAudioOutJoinsForAnAudience: the all view's audio goes out in 60 ms
// packets once it has groupAudioMin receivers, in 20 ms packets below, and
// a publisher's view never joins; the send path allocates nothing.
func TestAudioOutJoinsForAnAudience(t *testing.T) {
	frames := opusFrames(t, 3*groupAudioFrames, 24)
	for _, tc := range []struct {
		name      string
		view      mixer.ViewID
		receivers int
		packets   uint64
	}{
		{"large audience", mixer.ViewAll, groupAudioMin, 3},
		{"small audience", mixer.ViewAll, groupAudioMin - 1, 9},
		{"publisher's view", mixer.ViewID("p:x"), groupAudioMin + 5, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newAudioOut(tc.view, 1, time.Now, slog.New(slog.DiscardHandler))
			defer o.fan.stop()
			downs := bindReceivers(t, o.fan, capOpus, tc.receivers)
			for _, f := range frames {
				o.WriteAudio(f, 20*time.Millisecond)
			}
			if got := downs[0].packets.Load(); got != tc.packets {
				t.Errorf("%d packets for %d frames, want %d", got, len(frames), tc.packets)
			}
			i := 0
			if n := testing.AllocsPerRun(30, func() { o.WriteAudio(frames[i%len(frames)], 20*time.Millisecond); i++ }); n != 0 {
				t.Errorf("%.1f allocations per audio packet", n)
			}
		})
	}
}

// TestAudioOutDTX: during silence the mixer sends a 1-byte DTX packet every
// 400 ms and nil in between. The output sends the DTX packets alone (frames
// collected for a large audience go out first), sends nothing for a nil and
// moves the timestamp on by its duration, so the receiver sees continuous
// sequence numbers and timestamps that skip the silence.
func TestAudioOutDTX(t *testing.T) {
	frames := opusFrames(t, 2, 24)
	o := newAudioOut(mixer.ViewAll, 1, time.Now, slog.New(slog.DiscardHandler))
	defer o.fan.stop()
	rec := &recorder{}
	d := newDownTrack(capOpus, "audio", "s", errorLog{})
	if _, err := d.Bind(sinkContext{id: "r", w: rec}); err != nil {
		t.Fatal(err)
	}
	d.setSource(o.fan.src)
	o.fan.add(d)
	bindReceivers(t, o.fan, capOpus, groupAudioMin-1) // a large audience: frames are joined
	const frame = 20 * time.Millisecond
	dtx := []byte{frames[0][0] &^ 3}
	o.WriteAudio(frames[0], frame)
	o.WriteAudio(frames[1], frame) // two frames collected
	o.WriteAudio(dtx, frame)       // they go out, then the DTX packet alone
	for range 19 {
		o.WriteAudio(nil, frame)
	}
	o.WriteAudio(dtx, frame)
	o.WriteAudio(frames[0], frame) // sound again: collected
	o.WriteAudio(frames[1], frame)
	o.WriteAudio(frames[0], frame) // three: out
	hdrs := rec.headers()
	type want struct {
		size int
		ts   uint32 // after the first packet's
	}
	wants := []want{{size: 0, ts: 0}, {size: 1, ts: 2 * 960}, {size: 1, ts: 22 * 960}, {size: 0, ts: 23 * 960}}
	if len(hdrs) != len(wants) {
		t.Fatalf("%d packets, want %d", len(hdrs), len(wants))
	}
	for i, w := range wants {
		if hdrs[i].SequenceNumber != hdrs[0].SequenceNumber+uint16(i) {
			t.Errorf("packet %d: sequence number %d, want %d", i, hdrs[i].SequenceNumber, hdrs[0].SequenceNumber+uint16(i))
		}
		if got := hdrs[i].Timestamp - hdrs[0].Timestamp; got != w.ts {
			t.Errorf("packet %d: timestamp +%d, want +%d", i, got, w.ts)
		}
		if w.size == 1 && len(rec.pays[i]) != 1 || w.size == 0 && len(rec.pays[i]) <= 2 {
			t.Errorf("packet %d: %d bytes (DTX: %v)", i, len(rec.pays[i]), w.size == 1)
		}
	}
}
