package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Buckets of the link histograms: RTT from LAN to a bad mobile link, loss as
// a fraction, jitter from a wired line to what a jitter buffer barely hides.
var (
	rttBuckets    = []float64{0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6}
	lossBuckets   = []float64{0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5}
	jitterBuckets = []float64{0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2}
)

// mediaCollector turns a Snapshot into metrics at scrape time. Gauges are the
// snapshot itself; counters are built from the participants' and rooms'
// cumulative figures by adding each one's growth since the last scrape (what a
// participant did between the last scrape and leaving is lost: at most one
// scrape interval of one connection). The link histograms get one observation
// per connected participant per scrape (RTT and jitter once its receiver
// reports arrived, loss once it receives media).
type mediaCollector struct {
	src Source

	rooms, parts, encoders, receivers, capacity    *prometheus.Desc
	bytesIn, bytesOut, badMedia, keyframes, encErr *prometheus.Desc
	rtt, loss, jitter                              prometheus.Histogram

	mu   sync.Mutex // guards the trackers and the totals (Collect may run concurrently)
	last map[string]uint64
	tot  map[string]float64
}

func newMediaCollector(src Source) *mediaCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("nahbar_"+name, help, labels, nil)
	}
	return &mediaCollector{
		src:       src,
		rooms:     d("rooms", "Calls in progress on this node."),
		parts:     d("participants", "Connected participants by role.", "role"),
		encoders:  d("encoders", "Running shared encoders by tier and codec (opus: audio mixes).", "tier", "codec"),
		receivers: d("receivers", "Receivers by the tier they get (interrupted: nothing heard from them for 3 s).", "tier"),
		capacity:  d("capacity_rooms", "Concurrent calls this node is configured to host."),
		bytesIn:   d("media_received_bytes_total", "RTP bytes received from participants."),
		bytesOut:  d("media_sent_bytes_total", "RTP bytes sent to participants, as on the wire."),
		badMedia:  d("media_bad_total", "Media from participants that could not be used (decode errors, bad packets)."),
		keyframes: d("keyframes_forced_total", "Keyframes forced in encoders (receivers' requests, joins, tier switches)."),
		encErr:    d("encode_errors_total", "Encoder errors."),
		rtt: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "nahbar_link_rtt_seconds",
			Help: "Round-trip time of each connected participant's link, sampled at each scrape.", Buckets: rttBuckets}),
		loss: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "nahbar_link_loss_ratio",
			Help: "Packet loss (0..1) reported by each connected participant, sampled at each scrape.", Buckets: lossBuckets}),
		jitter: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "nahbar_link_jitter_seconds",
			Help: "Interarrival jitter reported by each connected participant, sampled at each scrape.", Buckets: jitterBuckets}),
		last: map[string]uint64{},
		tot:  map[string]float64{},
	}
}

// Describe sends the fixed descriptors.
func (c *mediaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.rooms, c.parts, c.encoders, c.receivers, c.capacity,
		c.bytesIn, c.bytesOut, c.badMedia, c.keyframes, c.encErr} {
		ch <- d
	}
	c.rtt.Describe(ch)
	c.loss.Describe(ch)
	c.jitter.Describe(ch)
}

// Collect reads one snapshot (outside the lock) and emits it.
func (c *mediaCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Snapshot()
	t := s.Sum()
	encoders := map[[2]string]int{}
	for _, r := range s.Rooms {
		for _, e := range r.Encoders {
			encoders[[2]string{e.Tier, e.Codec}]++
		}
	}

	c.mu.Lock()
	seen := make(map[string]bool, len(c.last))
	grow := func(metric, key string, cur uint64) {
		k := metric + "\x00" + key
		seen[k] = true
		if prev, ok := c.last[k]; ok && cur >= prev {
			c.tot[metric] += float64(cur - prev)
		} else if !ok || cur < prev {
			c.tot[metric] += float64(cur) // new (or restarted) source: all of it is new
		}
		c.last[k] = cur
	}
	for _, r := range s.Rooms {
		grow("kf", r.ID, r.KeyframesForced)
		grow("ee", r.ID, r.EncodeErrors)
		for _, p := range r.Participants {
			key := r.ID + "\x00" + p.Key
			grow("in", key, p.BytesIn)
			grow("out", key, p.BytesOut)
			grow("bad", key, p.BadMedia)
			if p.RTTSeconds > 0 {
				c.rtt.Observe(p.RTTSeconds)
			}
			if p.Tier != "" {
				c.loss.Observe(p.LossFraction)
			}
			if p.RTTSeconds > 0 && p.JitterSeconds >= 0 { // a receiver report arrived: its jitter is known
				c.jitter.Observe(p.JitterSeconds)
			}
		}
	}
	for k := range c.last {
		if !seen[k] {
			delete(c.last, k)
		}
	}
	tot := map[string]float64{}
	for k, v := range c.tot {
		tot[k] = v
	}
	c.mu.Unlock()

	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.rooms, float64(t.Rooms))
	for _, role := range Roles {
		gauge(c.parts, float64(t.ByRole[role]), role)
	}
	for k, n := range encoders {
		gauge(c.encoders, float64(n), k[0], k[1])
	}
	for _, tier := range Tiers {
		gauge(c.receivers, float64(t.ReceiversByTier[tier]), tier)
	}
	gauge(c.capacity, float64(s.CapacityRooms))
	counter(c.bytesIn, tot["in"])
	counter(c.bytesOut, tot["out"])
	counter(c.badMedia, tot["bad"])
	counter(c.keyframes, tot["kf"])
	counter(c.encErr, tot["ee"])
	c.rtt.Collect(ch)
	c.loss.Collect(ch)
	c.jitter.Collect(ch)
}

// Roles and Tiers are always exported, at zero when absent, so dashboards see
// a series rather than a gap.
var (
	Roles = []string{"advisor", "citizen", "interpreter", "guardian", "counsel", "attendee"}
	Tiers = []string{"high", "medium", "low", "audio", "interrupted"}
)
