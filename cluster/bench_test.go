package cluster

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkPlace measures one placement of a new room on a cluster of three
// nodes in Redis (read the nodes, run the Lua script): the cost a first join
// pays before its signalling is relayed.
func BenchmarkPlace(b *testing.B) {
	rdb, p := testRedis(b)
	var r *RedisRouter
	for _, id := range []string{"a", "b", "c"} {
		var err error
		r, err = NewRedisRouter(RedisConfig{Client: rdb, Prefix: p, Self: Node{ID: id, URL: "http://" + id, Capacity: 1 << 30},
			HeartbeatTTL: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Heartbeat(b.Context(), 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := r.Place(b.Context(), "room-"+strconv.Itoa(i), ""); err != nil {
			b.Fatal(err)
		}
	}
}
