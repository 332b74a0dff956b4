package rooms_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

// TestMonitor holds a call of an advisor, a citizen on H.264 and an attendee
// and checks what Monitor reports while it runs (read concurrently with the
// media, under -race), and that a closed room is gone from it.
func TestMonitor(t *testing.T) {
	var joinedMu sync.Mutex
	var joined []time.Duration // what OnJoined reported
	s := startServer(t, func(c *rooms.Config) {
		c.OnJoined = func(d time.Duration) {
			joinedMu.Lock()
			joined = append(joined, d)
			joinedMu.Unlock()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o := testpeer.Options{Width: 160, Height: 120, FPS: 10}
	adv := s.dial(t, ctx, "mon", "A", rooms.RoleAdvisor, o)
	h264 := o
	h264.H264Only = true
	cit := s.dial(t, ctx, "mon", "C", rooms.RoleCitizen, h264)
	att := s.dial(t, ctx, "mon", "T", rooms.RoleAttendee, o)
	for _, p := range []*testpeer.Peer{adv, cit, att} {
		waitFor(t, ctx, p, "composed video", func() bool { return p.FramesReceived() >= 5 })
	}
	var rm rooms.RoomMonitor
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := s.mgr.Monitor()
		if len(m.Rooms) != 1 {
			t.Fatalf("%d rooms, want 1", len(m.Rooms))
		}
		rm = m.Rooms[0]
		ok := true
		for _, p := range rm.Participants {
			ok = ok && p.Tier != "" && p.BytesOut > 0 && (p.Role == rooms.RoleAttendee || p.BytesIn > 0) &&
				p.JoinTime > 0 && p.RTT > 0 // receiver reports arrived
		}
		if ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // media bytes accumulate in real time
	}
	if rm.ID != "mon" || len(rm.Participants) != 3 {
		t.Fatalf("room %+v", rm)
	}
	roles := map[rooms.Role]rooms.ParticipantMonitor{}
	for _, p := range rm.Participants {
		roles[p.Role] = p
		if p.Key == "" || p.JoinedAt.IsZero() || p.Tier == "" || p.BytesOut == 0 {
			t.Errorf("participant %+v: want a key, a join time, a tier and bytes sent to it", p)
		}
		// Everyone saw composed video (FramesReceived above), so the first
		// frame went out after the join and well within the test's life.
		if p.JoinTime <= 0 || p.JoinTime > 30*time.Second {
			t.Errorf("participant %s: join time %v, want the time to its first composed frame", p.Role, p.JoinTime)
		}
		if p.RTT > 0 && p.Jitter < 0 {
			t.Errorf("participant %s: jitter %v after receiver reports", p.Role, p.Jitter)
		}
		t.Logf("%s: join time %v, rtt %v, jitter %v", p.Role, p.JoinTime, p.RTT, p.Jitter)
	}
	jittered := false
	for _, p := range rm.Participants {
		jittered = jittered || p.Jitter > 0
	}
	if !jittered {
		t.Error("no participant's jitter is known, yet receiver reports arrived")
	}
	joinedMu.Lock()
	if len(joined) != 3 {
		t.Errorf("OnJoined called %d times, want once per participant (3): %v", len(joined), joined)
	}
	joinedMu.Unlock()
	if roles[rooms.RoleAdvisor].BytesIn == 0 || roles[rooms.RoleCitizen].BytesIn == 0 || roles[rooms.RoleAttendee].BytesIn != 0 {
		t.Errorf("bytes in: advisor %d, citizen %d, attendee %d (receive-only)", roles[rooms.RoleAdvisor].BytesIn,
			roles[rooms.RoleCitizen].BytesIn, roles[rooms.RoleAttendee].BytesIn)
	}
	if c := roles[rooms.RoleCitizen].Codec; c != "h264" {
		t.Errorf("citizen gets %q, want h264", c)
	}
	var enc []string
	for _, e := range rm.Encoders {
		enc = append(enc, e.Tier+"/"+e.Codec)
	}
	sort.Strings(enc)
	got := strings.Join(enc, " ")
	if !strings.Contains(got, "/h264") || !strings.Contains(got, "/vp8") || !strings.Contains(got, "audio/opus") {
		t.Errorf("encoders %s: want VP8 and H.264 video and audio mixes", got)
	}
	if rm.KeyframesForced == 0 {
		t.Error("no keyframes forced, yet three receivers joined")
	}

	for _, p := range []*testpeer.Peer{adv, cit, att} {
		p.Close()
	}
	deadline = time.Now().Add(15 * time.Second)
	for len(s.mgr.Monitor().Rooms) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the room is still monitored after everyone left")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
