package rooms

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// sentStream is a bound video downTrack that has sent frames of 2 packets
// each: a keyframe (packets 0-1), two delta frames, a second keyframe
// (packets 6-7) and more delta frames.
func sentStream(t *testing.T, frames int) (*downTrack, *recorder, time.Time) {
	t.Helper()
	d, rec, a, now := started(t, 2) // first keyframe: packets 0-1
	for i := range frames {
		now = now.Add(time.Second / 10)
		d.writeFrame(a.id, a.frame(2, i == 2, now)) // a second keyframe at packets 6-7
	}
	return d, rec, now
}

func nackOf(seqs ...uint16) *rtcp.TransportLayerNack {
	return &rtcp.TransportLayerNack{MediaSSRC: 42, Nacks: rtcp.NackPairsFromSequenceNumbers(seqs)}
}

func TestResend(t *testing.T) {
	const plenty = 1e6 // bits/s of estimate: no budget limit
	tests := []struct {
		name     string
		offsets  []int // NACKed packets, as indexes into what was sent
		estimate float64
		resent   []int // indexes resent
		want     resendResult
	}{
		{name: "a lost delta packet since the keyframe", offsets: []int{9}, estimate: plenty, resent: []int{9}, want: resendResult{sent: 1}},
		{name: "the keyframe's own packets", offsets: []int{6, 7}, estimate: plenty, resent: []int{6, 7}, want: resendResult{sent: 2}},
		{name: "before the last keyframe: stale", offsets: []int{2, 3, 9}, estimate: plenty, resent: []int{9}, want: resendResult{sent: 1, stale: 2}},
		{name: "not sent yet", offsets: []int{40}, estimate: plenty, want: resendResult{}},
		// A frame is a ~1.2 KB and a ~0.8 KB packet; 50 % of 50 kbit/s over
		// 500 ms is 1562 bytes: the first packet only.
		{name: "budget", offsets: []int{8, 9, 10}, estimate: 50_000, resent: []int{8}, want: resendResult{sent: 1, limited: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, rec, now := sentStream(t, 6)
			sent := rec.headers()
			pays := rec.pays
			first := sent[0].SequenceNumber
			var seqs []uint16
			for _, o := range tt.offsets {
				seqs = append(seqs, first+uint16(o))
			}
			got := d.resend(nackOf(seqs...), now, 300*time.Millisecond, tt.estimate)
			if got != tt.want {
				t.Fatalf("resend = %+v, want %+v", got, tt.want)
			}
			again := rec.headers()[len(sent):]
			if len(again) != len(tt.resent) {
				t.Fatalf("%d packets resent, want %d", len(again), len(tt.resent))
			}
			for i, o := range tt.resent {
				h := again[i]
				if h.SequenceNumber != sent[o].SequenceNumber || h.Timestamp != sent[o].Timestamp || h.SSRC != 42 || h.Marker != sent[o].Marker {
					t.Errorf("resent %+v, want the header of %+v", h, sent[o])
				}
				if !bytes.Equal(rec.pays[len(sent)+i], pays[o]) {
					t.Errorf("resent packet %d's payload differs", o)
				}
			}
		})
	}
}

func TestResendSpacingAndPause(t *testing.T) {
	d, rec, now := sentStream(t, 6)
	seq := rec.headers()[9].SequenceNumber
	n := len(rec.headers())
	if r := d.resend(nackOf(seq), now, 300*time.Millisecond, 1e6); r.sent != 1 {
		t.Fatalf("first NACK: %+v", r)
	}
	// Half the RTT later the same NACK is a duplicate; after it, a new request.
	if r := d.resend(nackOf(seq), now.Add(100*time.Millisecond), 300*time.Millisecond, 1e6); r.sent != 0 || r.spaced != 1 {
		t.Fatalf("NACK 100 ms later: %+v", r)
	}
	if r := d.resend(nackOf(seq), now.Add(160*time.Millisecond), 300*time.Millisecond, 1e6); r.sent != 1 {
		t.Fatalf("NACK 160 ms later: %+v", r)
	}
	d.setSource(0)                 // audio only
	d.writeFrame(1, &frameBatch{}) // the write path notices the pause
	if r := d.resend(nackOf(seq), now.Add(time.Second), 300*time.Millisecond, 1e6); r != (resendResult{}) {
		t.Fatalf("NACK while paused: %+v", r)
	}
	if got := len(rec.headers()) - n; got != 2 {
		t.Fatalf("%d packets resent, want 2", got)
	}
}

// TestResendGoneAsksForKeyframe: a packet since the last keyframe that has
// left the history can only be replaced by a keyframe.
func TestResendGoneAsksForKeyframe(t *testing.T) {
	d, rec, a, now := started(t, 2)
	first := rec.headers()[0].SequenceNumber
	for range resendHistory {
		now = now.Add(time.Second / 10)
		d.writeFrame(a.id, a.frame(1, false, now))
	}
	if r := d.resend(nackOf(first+1), now, 300*time.Millisecond, 1e6); !r.needKeyframe || r.sent != 0 {
		t.Fatalf("NACK for an overwritten packet: %+v", r)
	}
}

// FuzzResend: whatever NACKs a receiver sends (its RTCP is untrusted), the
// track answers only packets it sent since the last keyframe, never more
// than once per spacing, and within the budget.
func FuzzResend(f *testing.F) {
	seed, _ := nackOf(1, 2, 3, 100, 65535).Marshal()
	f.Add(seed, uint32(50_000))
	f.Add([]byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, estimate uint32) {
		pkts, err := rtcp.Unmarshal(b)
		if err != nil {
			return
		}
		d, rec, now := sentStream(t, 6)
		before := len(rec.headers())
		sentSeqs := map[uint16]bool{}
		for _, h := range rec.headers()[6:] { // since the second keyframe
			sentSeqs[h.SequenceNumber] = true
		}
		for _, p := range pkts {
			if n, ok := p.(*rtcp.TransportLayerNack); ok {
				n.MediaSSRC = 42
				d.resend(n, now, 300*time.Millisecond, float64(estimate))
			}
		}
		again := rec.headers()[before:]
		seen := map[uint16]bool{}
		bytes := 0
		for i, h := range again {
			if !sentSeqs[h.SequenceNumber] {
				t.Fatalf("resent %d, which was not sent since the last keyframe", h.SequenceNumber)
			}
			if seen[h.SequenceNumber] {
				t.Fatalf("resent %d twice at once", h.SequenceNumber)
			}
			seen[h.SequenceNumber] = true
			bytes += len(rec.pays[before+i]) + packetOverheadBytes
		}
		if limit := float64(estimate) * retransmitShare / 100 / 8 * retransmitWindow.Seconds(); float64(bytes) > limit {
			t.Fatalf("resent %d bytes, budget %.0f", bytes, limit)
		}
	})
}
