package cluster

import "testing"

func TestLeastLoaded(t *testing.T) {
	tests := []struct {
		name  string
		nodes []Node
		want  string
		ok    bool
	}{
		{"none", nil, "", false},
		{"most free units", []Node{{ID: "a", Capacity: 10, Load: 8}, {ID: "b", Capacity: 4, Load: 1}}, "b", true},
		{"tie goes to lower load", []Node{{ID: "a", Capacity: 10, Load: 5}, {ID: "b", Capacity: 5}}, "b", true},
		{"tie goes to lower id", []Node{{ID: "b", Capacity: 5}, {ID: "a", Capacity: 5}}, "a", true},
		{"draining skipped", []Node{{ID: "a", Capacity: 50, Draining: true}, {ID: "b", Capacity: 2, Load: 1}}, "b", true},
		{"full skipped", []Node{{ID: "a", Capacity: 2, Load: 2}, {ID: "b", Capacity: 0}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LeastLoaded(tt.nodes)
			if ok != tt.ok || got.ID != tt.want {
				t.Fatalf("LeastLoaded = %q, %v; want %q, %v", got.ID, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRegionAware(t *testing.T) {
	nodes := []Node{
		{ID: "n1", Region: "north", Capacity: 10, Load: 9},
		{ID: "s1", Region: "south", Capacity: 10},
		{ID: "n2", Region: "north", Capacity: 10, Load: 2, Draining: true},
	}
	tests := []struct{ region, want string }{
		{"north", "n1"}, // busy, but in the region and not full
		{"south", "s1"},
		{"east", "s1"}, // no node there: anywhere
		{"", "s1"},
	}
	for _, tt := range tests {
		if got, _ := RegionAware(nodes, tt.region); got.ID != tt.want {
			t.Errorf("RegionAware(%q) = %q, want %q", tt.region, got.ID, tt.want)
		}
	}
	full := []Node{{ID: "n1", Region: "north", Capacity: 1, Load: 1}, {ID: "s1", Region: "south", Capacity: 1}}
	if got, _ := RegionAware(full, "north"); got.ID != "s1" {
		t.Errorf("full region: got %q, want s1", got.ID)
	}
}

func TestBookableUnits(t *testing.T) {
	nodes := []Node{{ID: "a", Capacity: 10}, {ID: "b", Capacity: 5, Draining: true}, {ID: "c", Capacity: 7}}
	if got := BookableUnits(nodes, 3); got != 20 {
		t.Fatalf("BookableUnits = %d, want 20 (10 + 7 live, 3 planned, draining not counted)", got)
	}
	if !capacityLeader(nodes, "a") || capacityLeader(nodes, "c") {
		t.Fatal("the lowest id leads the capacity writes")
	}
}

func TestLocalRouter(t *testing.T) {
	ctx := t.Context()
	if _, err := NewLocalRouter(Node{}); err == nil {
		t.Fatal("empty id accepted")
	}
	r, err := NewLocalRouter(Node{ID: "solo", Capacity: 4})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Place(ctx, "r1", ""); err != nil || n.ID != "solo" {
		t.Fatalf("Place = %v, %v", n, err)
	}
	if err := r.SetDraining(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Place(ctx, "r1", ""); err != nil {
		t.Fatalf("a known room must stay while draining: %v", err)
	}
	if _, err := r.Place(ctx, "r2", ""); err == nil {
		t.Fatal("a draining node took a new room")
	}
	nodes, _ := r.Nodes(ctx)
	if len(nodes) != 1 || nodes[0].Load != 1 || !nodes[0].Draining {
		t.Fatalf("Nodes = %+v", nodes)
	}
}
