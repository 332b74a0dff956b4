package metrics

import (
	"strconv"
	"testing"
)

// BenchmarkScrape measures one scrape of a busy node (100 calls of three,
// 300 link samples): the cost Prometheus adds every 15 s, off the media path,
// which makes no metric calls at all.
func BenchmarkScrape(b *testing.B) {
	var s Snapshot
	for r := 0; r < 100; r++ {
		room := Room{ID: "appt-" + strconv.Itoa(r), Encoders: []Encoder{{"high", "vp8", 2}, {"low", "vp8", 1}, {"audio", "opus", 3}}}
		for _, role := range []string{"advisor", "citizen", "interpreter"} {
			room.Participants = append(room.Participants, Participant{Key: role, Role: role, Tier: "high", Codec: "vp8",
				RTTSeconds: 0.05, LossFraction: 0.01, BytesIn: 1e6, BytesOut: 2e6})
		}
		s.Rooms = append(s.Rooms, room)
	}
	m, err := New(SourceFunc(func() Snapshot { return s }))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Gatherer().Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
