package mixer

import (
	"fmt"
	"image"
	"testing"
	"time"
)

// room3 is three solid-colour publishers (a red, b green, c blue) and a receive-only d.

func room3(t *testing.T) (*Mixer, *fakeClock, map[ParticipantID]ycc) {
	clock := newFakeClock()
	m := newTestMixer(t, clock)
	colours := map[ParticipantID]ycc{"a": red, "b": green, "c": blue}
	for _, id := range []ParticipantID{"a", "b", "c"} {
		m.AddParticipant(id, "User "+string(id), true)
	}
	m.AddParticipant("d", "Attendee", false)
	publishAll(t, m, colours)
	return m, clock, colours
}

func publishAll(t *testing.T, m *Mixer, colours map[ParticipantID]ycc) {
	t.Helper()
	for id, c := range colours {
		if err := m.PublishVideo(id, solid(320, 180, c)); err != nil {
			t.Fatal(err)
		}
	}
}

// checkView asserts that pic shows exactly the participants want (join order) in the cells

// Arrange computes for them, each in its own colour, and no other colour of the room.

func checkView(t *testing.T, m *Mixer, v ViewID, pic *image.YCbCr, want []ParticipantID, colours map[ParticipantID]ycc) {
	t.Helper()
	slots := make([]Slot, len(want))
	for i, id := range want {
		slots[i] = Slot{Participant: id, Width: 320, Height: 180}
	}
	expect := Arrange(nil, LayoutAuto, DefaultTier.Width, DefaultTier.Height, slots, "")
	got := m.Tiles(v, DefaultTier)
	if fmt.Sprint(got) != fmt.Sprint(expect) {
		t.Fatalf("%s: tiles %v, want %v", v, got, expect)
	}
	for _, tile := range expect {
		own := colours[tile.Participant]
		if !near(pic, tile.Picture, own) {
			y, cb, cr := meanIn(pic, tile.Picture)
			t.Errorf("%s: %s's cell %v shows %.0f/%.0f/%.0f, want %v", v, tile.Participant, tile.Picture, y, cb, cr, own)
		}
		for id, c := range colours {
			if id != tile.Participant && near(pic, tile.Picture, c) {
				t.Errorf("%s: %s's cell shows %s's colour", v, tile.Participant, id)
			}
		}
	}
}

func TestViewsShowEveryoneButThemselves(t *testing.T) {
	m, _, colours := room3(t)
	views := map[ViewID][]ParticipantID{
		m.ViewFor("a"): {"b", "c"},
		m.ViewFor("b"): {"a", "c"},
		m.ViewFor("c"): {"a", "b"},
		m.ViewFor("d"): {"a", "b", "c"},
	}
	if m.ViewFor("a") != "all-but:a" || m.ViewFor("d") != ViewAll {
		t.Fatalf("views: a → %q, d → %q", m.ViewFor("a"), m.ViewFor("d"))
	}
	sinks := map[ViewID]*decoded{}
	for v := range views {
		sinks[v] = newDecoded(t)
		mustSubscribeVideo(t, m, v, DefaultTier, sinks[v].sink)
	}
	if s := m.Stats(); s.VideoEncoders != 4 {
		t.Fatalf("%d encoders for 4 views", s.VideoEncoders)
	}
	for tick := 0; tick < 3; tick++ {
		m.ComposeTick()
		for v, want := range views {
			pic := sinks[v].next(t)
			if pic.Rect.Dx() != 640 || pic.Rect.Dy() != 360 {
				t.Fatalf("%s: decoded %v", v, pic.Rect)
			}
			checkView(t, m, v, pic, want, colours)
		}
	}
	// Every view except "all" is a 1:1 frame pair here; the own colour never shows.
	for id, c := range colours {
		tile, ok := m.CellOf(ViewExcluding(id), DefaultTier, id)
		if ok {
			t.Errorf("%s appears in their own view at %v (%v)", id, tile.Cell, c)
		}
	}
}

func TestRemoveParticipantChangesLayoutNextTick(t *testing.T) {
	m, _, colours := room3(t)
	all := newDecoded(t)
	mustSubscribeVideo(t, m, ViewAll, DefaultTier, all.sink)
	m.ComposeTick()
	checkView(t, m, ViewAll, all.next(t), []ParticipantID{"a", "b", "c"}, colours)

	m.RemoveParticipant("b")
	delete(colours, "b")
	m.ComposeTick()
	pic := all.next(t)
	checkView(t, m, ViewAll, pic, []ParticipantID{"a", "c"}, colours)
	for _, tile := range m.Tiles(ViewAll, DefaultTier) {
		if near(pic, tile.Picture, green) {
			t.Fatalf("b left but green still shows at %v", tile.Picture)
		}
	}
	if err := m.PublishVideo("b", solid(320, 180, green)); err == nil {
		t.Fatal("a participant who left can still publish")
	}

	// A new participant joins at the end of the join order.
	m.AddParticipant("e", "Eve", true)
	colours["e"] = amber
	if err := m.PublishVideo("e", solid(320, 180, amber)); err != nil {
		t.Fatal(err)
	}
	m.ComposeTick()
	checkView(t, m, ViewAll, all.next(t), []ParticipantID{"a", "c", "e"}, colours)
}

// placeholderShown checks that r shows a placeholder: dark neutral grey with bright initials,

// neither black nor anyone's colour.

func placeholderShown(t *testing.T, pic *image.YCbCr, r image.Rectangle, colours map[ParticipantID]ycc) {
	t.Helper()
	y, cb, cr := meanIn(pic, r)
	if y < 30 || abs(cb-128) > 10 || abs(cr-128) > 10 {
		t.Fatalf("placeholder cell %v: mean %.0f/%.0f/%.0f, want neutral grey above black", r, y, cb, cr)
	}
	for id, c := range colours {
		if near(pic, r, c) {
			t.Fatalf("placeholder cell shows %s's colour", id)
		}
	}
	var bright, dark int
	for py := r.Min.Y + 4; py < r.Max.Y-4; py++ {
		for px := r.Min.X + 4; px < r.Max.X-4; px++ {
			switch v := pic.Y[pic.YOffset(px, py)]; {
			case v > 160:
				bright++
			case v < 80:
				dark++
			}
		}
	}
	if bright < 100 || dark < bright {
		t.Fatalf("placeholder cell %v: %d bright and %d dark pixels, want initials on a dark tile", r, bright, dark)
	}
}

func TestPlaceholderForParticipantWithoutVideo(t *testing.T) {
	m, clock, colours := room3(t)
	m.AddParticipant("e", "Erika Mustermann", true) // never publishes video
	all := newDecoded(t)
	mustSubscribeVideo(t, m, ViewAll, DefaultTier, all.sink)

	m.ComposeTick()
	pic := all.next(t)
	tile, ok := m.CellOf(ViewAll, DefaultTier, "e")
	if !ok || !tile.Placeholder() {
		t.Fatalf("e has no placeholder tile: %+v %v", tile, ok)
	}
	placeholderShown(t, pic, tile.Picture, colours)
	if !near(pic, mustCell(t, m, "a").Picture, red) {
		t.Fatal("a's video is not shown next to the placeholder")
	}

	// Camera muted: a's tile becomes a placeholder at once, though pictures still come.
	m.SetCameraOff("a", true)
	publishAll(t, m, colours)
	m.ComposeTick()
	pic = all.next(t)
	placeholderShown(t, pic, mustCell(t, m, "a").Picture, colours)
	m.SetCameraOff("a", false)

	// Stale: b stops sending; after more than 2 s its placeholder shows, while a and c,
	// still sending, keep their video.
	for i := 0; i < 3; i++ {
		clock.Advance(time.Second)
		for _, id := range []ParticipantID{"a", "c"} {
			if err := m.PublishVideo(id, solid(320, 180, colours[id])); err != nil {
				t.Fatal(err)
			}
		}
		m.ComposeTick()
		pic = all.next(t)
	}
	placeholderShown(t, pic, mustCell(t, m, "b").Picture, colours)
	if !near(pic, mustCell(t, m, "a").Picture, red) || !near(pic, mustCell(t, m, "c").Picture, blue) {
		t.Fatal("fresh sources lost their video when another went stale")
	}
}

func mustCell(t *testing.T, m *Mixer, id ParticipantID) Tile {
	t.Helper()
	tile, ok := m.CellOf(ViewAll, DefaultTier, id)
	if !ok {
		t.Fatalf("%s has no tile in %v", id, m.Tiles(ViewAll, DefaultTier))
	}
	return tile
}

func TestFrozenSourceDoesNotStallOthers(t *testing.T) {
	m, _, colours := room3(t)
	all := newDecoded(t)
	mustSubscribeVideo(t, m, ViewAll, DefaultTier, all.sink)
	// a published once and then froze (its decoder hangs); b changes colour every tick.
	for i, c := range []ycc{amber, green, amber, green} {
		if err := m.PublishVideo("b", solid(320, 180, c)); err != nil {
			t.Fatal(err)
		}
		m.ComposeTick()
		pic := all.next(t)
		if !near(pic, mustCell(t, m, "b").Picture, c) {
			t.Fatalf("tick %d: b's new picture is not shown", i)
		}
		if !near(pic, mustCell(t, m, "a").Picture, colours["a"]) {
			t.Fatalf("tick %d: a's last picture is not shown", i)
		}
	}
}

func TestSpeakerAndPresenterLayouts(t *testing.T) {
	m, _, colours := room3(t)
	all := newDecoded(t)
	mustSubscribeVideo(t, m, ViewAll, DefaultTier, all.sink)

	// b speaks: in the speaker layout b is large.
	m.SetLayout(LayoutSpeaker)
	for i := 0; i < 5; i++ {
		for _, id := range []ParticipantID{"a", "b", "c"} {
			amp := 0.0
			if id == "b" {
				amp = 8000
			}
			if err := m.PushAudio(id, tone(300, amp, i*FrameSamples, FrameSamples)); err != nil {
				t.Fatal(err)
			}
		}
		m.AudioTick()
	}
	if sp := m.ActiveSpeaker(); sp != "b" {
		t.Fatalf("active speaker %q, want b", sp)
	}
	m.ComposeTick()
	pic := all.next(t)
	b := mustCell(t, m, "b")
	if b.Cell != image.Rect(0, 0, 640, 270) || !near(pic, b.Picture, green) {
		t.Fatalf("speaker b at %v", b.Cell)
	}

	// a shares a screen: Auto switches to the presenter layout with the screen large.
	m.SetLayout(LayoutAuto)
	if err := m.PublishScreen("a", solid(1280, 720, amber)); err != nil {
		t.Fatal(err)
	}
	m.ComposeTick()
	pic = all.next(t)
	tiles := m.Tiles(ViewAll, DefaultTier)
	var screen Tile
	for _, tile := range tiles {
		if tile.Screen {
			screen = tile
		}
	}
	if screen.Participant != "a" || screen.Cell != image.Rect(0, 0, 640, 270) || !near(pic, screen.Picture, amber) {
		t.Fatalf("screen tile %+v in %v", screen, tiles)
	}
	for _, id := range []ParticipantID{"a", "b", "c"} {
		if c := mustCell(t, m, id); c.Cell.Min.Y != 270 || !near(pic, c.Picture, colours[id]) {
			t.Fatalf("%s's thumbnail at %v", id, c.Cell)
		}
	}
	// a's own view has no screen of a (they see it locally): a grid of b and c.
	own := newDecoded(t)
	mustSubscribeVideo(t, m, ViewExcluding("a"), DefaultTier, own.sink)
	m.ComposeTick()
	all.next(t)
	checkView(t, m, ViewExcluding("a"), own.next(t), []ParticipantID{"b", "c"}, colours)

	m.StopScreen("a")
	m.ComposeTick()
	checkView(t, m, ViewAll, all.next(t), []ParticipantID{"a", "b", "c"}, colours)
	own.next(t)
}

// TestH264TierHasItsOwnEncoder: receivers that only take H.264 share an encoder of their

// own, and what it sends decodes to the same picture.

// TestEachSourceScaledOncePerCellSize: three views that show c at the same cell size cost

// one scale of c per new picture, and none while c sends nothing new.
