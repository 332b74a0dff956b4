package web

import (
	"net/http"
	"runtime/metrics"

	"github.com/gin-gonic/gin"

	"github.com/nahbar/nahbar/rooms"
)

// statsSource is what the stats endpoint needs from the media side; *rooms.Manager has it.
type statsSource interface {
	Stats() rooms.Stats
}

// serveStats answers GET /api/v1/stats: the media server's live load, for operators and
// for the bench tool, which counts running encoders through it like any outside client.
func serveStats(sig Signaller) gin.HandlerFunc {
	return func(c *gin.Context) {
		src, ok := sig.(statsSource)
		if !ok {
			jsonError(c, http.StatusNotImplemented, "no_stats", "this server does not report media statistics")
			return
		}
		s := src.Stats()
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, gin.H{
			"rooms":          s.Rooms,
			"participants":   s.Participants,
			"video_encoders": s.VideoEncoders,
			"audio_encoders": s.AudioEncoders,
			// Cumulative counters: a reader takes differences over a window
			// (the bench divides them by each other and by the CPU time).
			"rtp_packets_sent": s.PacketsSent,
			"heap_allocs":      heapAllocs(),
		})
	}
}

// heapAllocs is how many heap objects the process has allocated since it
// started (runtime/metrics, no stop-the-world).
func heapAllocs() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}
