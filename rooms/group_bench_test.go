package rooms_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

// BenchmarkGroupSend is a group session through the real stack: a presenter
// with a noisy camera and N receive-only pion attendees that count what they
// get (no decoding), all in this process over loopback. One op is 1000 RTP
// packets sent by the server to the attendees, so allocs/op over 1000 is an
// upper bound of the allocations per packet (the attendees' pion stacks
// allocate in the same process). Its use is the profile of the send path:
//
//	go test -run '^$' -bench GroupSend -benchtime 20x -memprofile mem.out -cpuprofile cpu.out ./rooms
//
// The bench tool (bench/, `nahbar bench --only group`) measures the server
// alone, in its own process; docs/group-sessions.md has its figures.
func BenchmarkGroupSend(b *testing.B) {
	for _, n := range []int{10, 50} {
		b.Run(fmt.Sprintf("attendees=%d", n), func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			s := startServer(b, nil)
			s.dial(b, ctx, "group", "presenter", rooms.RoleAdvisor, testpeer.Options{Noise: true, Width: 640, Height: 360})
			atts := make([]*testpeer.Peer, n)
			for i := range atts {
				atts[i] = s.dial(b, ctx, "group", fmt.Sprintf("att%d", i), rooms.RoleAttendee, testpeer.Options{NoDecode: true})
			}
			for _, a := range atts {
				if err := a.Wait(ctx, func() bool { return a.FramesReceived() > 0 }); err != nil {
					b.Fatalf("attendee got no video: %v", err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := s.mgr.Stats().PacketsSent
			for i := 0; i < b.N; i++ {
				want := start + uint64(i+1)*1000
				for s.mgr.Stats().PacketsSent < want {
					if ctx.Err() != nil {
						b.Fatal("the server stopped sending")
					}
					time.Sleep(time.Millisecond)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(s.mgr.Stats().PacketsSent-start)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}

// TestLargeAudienceHearsPresenter: with enough attendees for the audience's
// audio to go out in joined 60 ms packets (opusagg.go), an attendee's pion
// stack and Opus decoder still give the presenter's tone, continuously.
func TestLargeAudienceHearsPresenter(t *testing.T) {
	if testing.Short() {
		t.Skip("20 WebRTC sessions")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := startServer(t, nil)
	s.dial(t, ctx, "audience", "presenter", rooms.RoleAdvisor, testpeer.Options{ToneHz: 440, ToneAmplitude: 0.2})
	listener := s.dial(t, ctx, "audience", "listener", rooms.RoleAttendee, testpeer.Options{})
	for i := range 20 {
		s.dial(t, ctx, "audience", fmt.Sprintf("att%d", i), rooms.RoleAttendee, testpeer.Options{NoDecode: true})
	}
	// A second of audio, after the room has more than 20 receivers of the
	// all view: the tone, and as many samples as time passed.
	waitFor(t, ctx, listener, "the tone", func() bool { return testpeer.ToneLevel(listener.Audio(48000), 440) > 0.05 })
	start, at := listener.AudioSamples(), time.Now()
	waitFor(t, ctx, listener, "two seconds of audio", func() bool { return listener.AudioSamples()-start >= 2*48000 })
	if took := time.Since(at); took > 4*time.Second {
		t.Errorf("two seconds of audio took %v to arrive", took)
	}
	if lvl := testpeer.ToneLevel(listener.Audio(96000), 440); lvl < 0.05 {
		t.Errorf("tone level %.3f over the last two seconds, want > 0.05", lvl)
	}
}
