package rooms_test

import (
	"context"
	"image/color"
	"slices"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

type publisher struct {
	name   string
	colour color.RGBA
	tone   float64
	peer   *testpeer.Peer
	dialed time.Time
}

var fourPublishers = []publisher{
	{name: "red", colour: color.RGBA{220, 30, 30, 255}, tone: 440},
	{name: "green", colour: color.RGBA{30, 200, 30, 255}, tone: 550},
	{name: "blue", colour: color.RGBA{30, 30, 220, 255}, tone: 660},
	{name: "yellow", colour: color.RGBA{230, 220, 40, 255}, tone: 880},
}

// wantOthers maps the ids of everyone in pubs except self to their colours.
func wantOthers(pubs []*publisher, self *publisher) map[string]color.RGBA {
	m := map[string]color.RGBA{}
	for _, q := range pubs {
		if q != self {
			m[q.peer.ID()] = q.colour
		}
	}
	return m
}

// TestFourPublishers is the core promise: each of four participants sees the
// other three in the cells its layout names and never itself, hears the other
// three and not itself, and the picture follows when someone leaves.
func TestFourPublishers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	s := startServer(t, nil)

	pubs := make([]*publisher, len(fourPublishers))
	for i := range fourPublishers {
		p := fourPublishers[i]
		p.dialed = time.Now()
		p.peer = s.dial(t, ctx, "four", p.name, rooms.RoleCitizen, testpeer.Options{Colour: p.colour, ToneHz: p.tone, ToneAmplitude: 0.1})
		pubs[i] = &p
	}

	for _, p := range pubs {
		want := wantOthers(pubs, p)
		var why string
		if err := p.peer.Wait(ctx, func() bool {
			ok, reason := pictureShows(p.peer, want, &p.colour)
			why = reason
			return ok
		}); err != nil {
			t.Fatalf("%s never saw the other three: %s", p.name, why)
		}
		t.Logf("%s: join → first composed frame %v, → all three others visible %v",
			p.name, p.peer.FirstFrameAt().Sub(p.dialed).Round(time.Millisecond), time.Since(p.dialed).Round(time.Millisecond))
	}

	// Audio: one second of each receiver's mix has the others' tones (sent at
	// 0.1) and not its own. Received levels are ~0.05–0.09, but 880 Hz arrives
	// at only ~0.025–0.03 in a three-tone mix (alone it arrives at 0.099), so
	// "hears" is ≥ 0.015; its own tone stays ≤ 0.004 in practice.
	for _, p := range pubs {
		var levels map[float64]float64
		check := func() bool {
			pcm := p.peer.Audio(48000)
			if len(pcm) < 48000 {
				return false
			}
			levels = map[float64]float64{}
			for _, q := range pubs {
				levels[q.tone] = toneLevel(pcm, q.tone)
			}
			for _, q := range pubs {
				if q == p && levels[q.tone] > 0.008 {
					return false
				}
				if q != p && levels[q.tone] < 0.015 {
					return false
				}
			}
			return true
		}
		actx, acancel := context.WithTimeout(ctx, 10*time.Second)
		err := p.peer.Wait(actx, check)
		acancel()
		if err != nil {
			t.Fatalf("%s: mix tone levels %v: want the others' tones ≥ 0.015 and its own (%v Hz) ≤ 0.008", p.name, levels, p.tone)
		}
		t.Logf("%s hears %v", p.name, levels)
	}

	// Yellow leaves: the other three get a two-cell layout and a picture to match.
	leaver := pubs[3]
	left := time.Now()
	if err := leaver.peer.Leave(ctx); err != nil {
		t.Fatalf("leave: %v", err)
	}
	if reason, _ := leaver.peer.Bye(); reason != rooms.ByeLeft {
		t.Errorf("bye reason after leave = %q, want %q", reason, rooms.ByeLeft)
	}
	rest := pubs[:3]
	for _, p := range rest {
		want := wantOthers(rest, p)
		var why string
		if err := p.peer.Wait(ctx, func() bool {
			ok, reason := pictureShows(p.peer, want, &p.colour)
			why = reason
			return ok
		}); err != nil {
			t.Fatalf("%s: after yellow left: %s", p.name, why)
		}
		if _, found := findColour(p.peer.Picture(), leaver.colour); found {
			t.Errorf("%s still shows the leaver's colour", p.name)
		}
		t.Logf("%s: leave → new layout and picture in %v", p.name, time.Since(left).Round(time.Millisecond))
	}
	roster := rest[0].peer.Roster()
	if len(roster) != 3 {
		t.Errorf("roster after leave has %d entries, want 3: %+v", len(roster), roster)
	}
}

// toneLevel is the median Goertzel level of hz over 100 ms blocks: short
// blocks keep a phase jump (a concealed or dropped frame in the jitter ring)
// from cancelling the tone as it would over one long window.
func toneLevel(pcm []int16, hz float64) float64 {
	const block = 4800
	var ls []float64
	for i := 0; i+block <= len(pcm); i += block {
		ls = append(ls, testpeer.ToneLevel(pcm[i:i+block], hz))
	}
	if len(ls) == 0 {
		return 0
	}
	slices.Sort(ls)
	return ls[len(ls)/2]
}
