package metrics

// Snapshot is the media side at one moment. cmd/nahbar fills it from
// rooms.Manager.Monitor; the operators' live view shows the same value.
type Snapshot struct {
	Node          string // this node's id ("" for a single node)
	CapacityRooms int    // concurrent appointments this node is meant to host (NAHBAR_CAPACITY_UNITS); 0: unknown
	Rooms         []Room
	// Nodes is the cluster as its registry sees it, for the live view only
	// (each node's own /metrics reports its details); empty on a single node.
	Nodes []Node
}

// Node is one server of a cluster.
type Node struct {
	ID              string
	Rooms, Capacity int
	Draining, Self  bool
}

// Room is one call in progress.
type Room struct {
	ID           string
	Participants []Participant
	Encoders     []Encoder
	// Cumulative over the room's life; they restart with a new room.
	KeyframesForced uint64
	EncodeErrors    uint64
}

// Participant is one connected member, named by a key only.
type Participant struct {
	Key           string // unique within its room while connected
	Role          string
	Tier          string // "high", "medium", "low", "audio", "interrupted" (link gone); "" before media
	Codec         string // video codec sent to them
	RTTSeconds    float64
	LossFraction  float64 // 0..1
	JitterSeconds float64 // interarrival jitter of its latest receiver report
	// Cumulative over the connection.
	BytesIn, BytesOut uint64
	BadMedia          uint64
}

// Encoder is one shared output: an encoder of a (view, tier, codec).
type Encoder struct {
	Tier, Codec string
	Receivers   int
}

// Source gives the current snapshot; it is called once per scrape.
type Source interface {
	Snapshot() Snapshot
}

// SourceFunc adapts a function to Source.
type SourceFunc func() Snapshot

// Snapshot calls f.
func (f SourceFunc) Snapshot() Snapshot { return f() }

// Totals sums a snapshot the way the live view and the gauges show it.
type Totals struct {
	Rooms, Participants, VideoEncoders, AudioEncoders int
	ByRole                                            map[string]int
	ReceiversByTier                                   map[string]int
}

// Sum computes the totals of s.
func (s Snapshot) Sum() Totals {
	t := Totals{Rooms: len(s.Rooms), ByRole: map[string]int{}, ReceiversByTier: map[string]int{}}
	for _, r := range s.Rooms {
		t.Participants += len(r.Participants)
		for _, p := range r.Participants {
			t.ByRole[p.Role]++
			if p.Tier != "" {
				t.ReceiversByTier[p.Tier]++
			}
		}
		for _, e := range r.Encoders {
			if e.Codec == "opus" {
				t.AudioEncoders++
			} else {
				t.VideoEncoders++
			}
		}
	}
	return t
}
