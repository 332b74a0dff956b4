package web

import (
	"testing"
	"time"
)

// linkLobbies replicates each lobby's changes into the others, as the
// cluster's Redis channel does between nodes (cmd/nahbar/cluster_lobby.go).
func linkLobbies(ls ...*Lobby) {
	for i, l := range ls {
		others := append(append([]*Lobby(nil), ls[:i]...), ls[i+1:]...)
		l.ReplicateTo(func(ev LobbyEvent) {
			for _, o := range others {
				o.ApplyRemote(ev)
			}
		})
	}
}

func TestLobbyReplicatesAcrossNodes(t *testing.T) {
	now := func() time.Time { return time.Unix(1_000_000, 0) }
	wait, console, call := NewLobby(now), NewLobby(now), NewLobby(now)
	linkLobbies(wait, console, call)

	changes, stop := wait.Changes("appt-1")
	defer stop()
	id := wait.Arrive("appt-1", WaitingEntry{ID: "inv-9", Name: "Erika", Role: "citizen"})
	<-changes // the local arrival
	if w := console.Waiting("appt-1"); len(w) != 1 || w[0].Name != "Erika" {
		t.Fatalf("the console's node sees %+v", w)
	}
	wait.UpdateDevice(id, DeviceStatus{Camera: DeviceOK, CheckPassed: true})
	<-changes
	if e, _ := console.State(id); !e.Device.CheckPassed {
		t.Fatalf("device status not replicated: %+v", e)
	}
	// The advisor admits on the console's node: the waiting page's node is
	// signalled, and the node the call goes through knows the admission.
	if err := console.Admit("appt-1", id); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changes:
	case <-time.After(time.Second):
		t.Fatal("the waiting page's node was not signalled")
	}
	for name, l := range map[string]*Lobby{"waiting page": wait, "call": call} {
		if e, ok := l.State(id); !ok || e.State != LobbyAdmitted {
			t.Fatalf("%s node: %+v %v", name, e, ok)
		}
	}
	// A reconnecting page arrives again on its node: still admitted everywhere.
	wait.Arrive("appt-1", WaitingEntry{ID: id, Name: "Erika", Role: "citizen"})
	if e, _ := call.State(id); e.State != LobbyAdmitted {
		t.Fatalf("re-arrival reset the admission: %+v", e)
	}
	wait.Leave(id)
	if _, ok := console.State(id); ok {
		t.Fatal("leave not replicated")
	}
	// Garbage from the channel is ignored.
	console.ApplyRemote(LobbyEvent{ID: "x", Entry: &WaitingEntry{ID: "y", RoomID: "r"}})
	console.ApplyRemote(LobbyEvent{ID: "x"})
	if _, ok := console.State("x"); ok {
		t.Fatal("a malformed event created an entry")
	}
}
