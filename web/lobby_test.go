package web

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestLobbyFlow(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	l := NewLobby(clk.now)
	changes, stop := l.Changes("appt-1")
	defer stop()

	a := l.Arrive("appt-1", WaitingEntry{Name: "Erika", Role: "citizen"})
	clk.advance(time.Minute)
	b := l.Arrive("appt-1", WaitingEntry{ID: "inv-7", Name: "Dolmetscher", Role: "interpreter"})
	l.Arrive("appt-2", WaitingEntry{Name: "Other room"})
	if b != "inv-7" {
		t.Errorf("Arrive with an id returned %q, want inv-7", b)
	}
	select {
	case <-changes:
	default:
		t.Fatal("no change signalled after arrivals")
	}

	w := l.Waiting("appt-1")
	if len(w) != 2 || w[0].ID != a || w[1].ID != b {
		t.Fatalf("waiting %+v, want [%s %s] in arrival order", w, a, b)
	}
	if w[0].State != LobbyWaiting || w[0].RoomID != "appt-1" || !w[0].Since.Equal(clk.t.Add(-time.Minute)) {
		t.Errorf("first entry %+v", w[0])
	}

	dev := DeviceStatus{Browser: "Firefox 128", Camera: DeviceOK, Microphone: DeviceDenied, Connection: "good", CheckPassed: false}
	l.UpdateDevice(a, dev)
	if e, _ := l.State(a); e.Device != dev {
		t.Errorf("device %+v, want %+v", e.Device, dev)
	}
	<-changes

	if err := l.Admit("appt-2", a); !errors.Is(err, ErrNotWaiting) {
		t.Errorf("admit into the wrong room: %v, want ErrNotWaiting", err)
	}
	if err := l.Admit("appt-1", a); err != nil {
		t.Fatal(err)
	}
	if err := l.Decline("appt-1", b); err != nil {
		t.Fatal(err)
	}
	if e, _ := l.State(a); e.State != LobbyAdmitted {
		t.Errorf("state after admit %q", e.State)
	}
	if got := l.Waiting("appt-1"); len(got) != 0 {
		t.Errorf("still waiting after admit/decline: %+v", got)
	}

	// Re-arriving (a reload) keeps the decision and the place.
	l.Arrive("appt-1", WaitingEntry{ID: "inv-7", Name: "Dolmetscher"})
	if e, _ := l.State("inv-7"); e.State != LobbyDeclined {
		t.Errorf("state after re-arrival %q, want declined kept", e.State)
	}

	l.Leave(a)
	if _, ok := l.State(a); ok {
		t.Error("entry still known after Leave")
	}
	if err := l.Admit("appt-1", a); !errors.Is(err, ErrNotWaiting) {
		t.Errorf("admit after leave: %v", err)
	}
	l.UpdateDevice("nobody", dev) // ignored, no panic
	l.Leave("nobody")
}

// A subscriber that never reads must not block the lobby.
func TestLobbySlowSubscriberNeverBlocks(t *testing.T) {
	l := NewLobby(nil)
	_, stop := l.Changes("r")
	defer stop()
	for i := 0; i < 1000; i++ {
		id := l.Arrive("r", WaitingEntry{})
		l.Leave(id)
	}
	stop()
	stop() // idempotent
}

func TestLobbyConcurrent(t *testing.T) {
	l := NewLobby(nil)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, stop := l.Changes("r")
			defer stop()
			for j := 0; j < 100; j++ {
				id := l.Arrive("r", WaitingEntry{Name: "x"})
				l.UpdateDevice(id, DeviceStatus{CheckPassed: true})
				_ = l.Waiting("r")
				_ = l.Admit("r", id)
				select {
				case <-ch:
				default:
				}
				l.Leave(id)
			}
		}()
	}
	wg.Wait()
	if w := l.Waiting("r"); len(w) != 0 {
		t.Errorf("%d entries left", len(w))
	}
}

func TestLobbySweep(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	l := NewLobby(clk.now)
	old := l.Arrive("r", WaitingEntry{})
	waiting := l.Arrive("r", WaitingEntry{})
	if err := l.Admit("r", old); err != nil {
		t.Fatal(err)
	}
	clk.advance(13 * time.Hour)
	fresh := l.Arrive("r", WaitingEntry{})
	_ = l.Decline("r", fresh)
	if n := l.Sweep(12 * time.Hour); n != 1 {
		t.Errorf("swept %d, want 1", n)
	}
	for id, want := range map[string]bool{old: false, waiting: true, fresh: true} {
		if _, ok := l.State(id); ok != want {
			t.Errorf("entry %s known=%v after sweep, want %v", id, ok, want)
		}
	}
}
