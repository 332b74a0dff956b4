package rooms

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// frameBatch is one encoded frame as RTP packets, kept for the length of its
// fan-out: the packetizer reuses its packet and payload scratch, so the
// packets are copied here (into buffers that grow once and are reused).
type frameBatch struct {
	pkts     []rtp.Packet
	arena    []byte
	keyframe bool
	at       time.Time // when the frame was handed out (the output's clock)
}

func (f *frameBatch) reset(keyframe bool, at time.Time) {
	f.pkts = f.pkts[:0]
	f.arena = f.arena[:0]
	f.keyframe, f.at = keyframe, at
}

// add copies p into the batch. It is the packetizer's emit function.
func (f *frameBatch) add(p *rtp.Packet) error {
	start := len(f.arena)
	if cap(f.arena)-start < len(p.Payload) {
		// Grow for the whole frame at once; earlier payloads keep pointing into
		// the old array, which stays alive until the batch is reset.
		grown := make([]byte, start, 2*cap(f.arena)+len(p.Payload))
		copy(grown, f.arena)
		f.arena = grown
	}
	f.arena = append(f.arena, p.Payload...)
	f.pkts = append(f.pkts, rtp.Packet{Header: p.Header, Payload: f.arena[start:len(f.arena):len(f.arena)]})
	return nil
}

// Fan-out spreading: above spreadMin receivers per worker, the writes of one
// frame are split over up to spreadMaxWorkers goroutines (LiveKit's
// downtrackspreader idea), so that a session with hundreds of attendees does
// not delay the last of them by the serial cost of all the others. Measured by
// BenchmarkVideoOut.
const (
	spreadMin        = 48
	spreadMaxWorkers = 8
)

// fanout delivers frames from one source (a shared output) to its receivers.
// The room replaces the receiver list whole (copy on write); the source's
// goroutine reads a snapshot per frame and never waits for the room.
type fanout struct {
	src       uint64
	downs     atomic.Pointer[[]*downTrack]
	spreadMin int // receivers per worker before spreading (a field so benchmarks can compare)
	// sent counts the RTP packets written to receivers, shared by every
	// output of a Manager (nil: not counted). One atomic add per frame and
	// worker, so the count costs nothing per packet.
	sent *atomic.Uint64

	// Owned by the source's goroutine.
	workers []chan fanJob
	wg      sync.WaitGroup
	quit    chan struct{}
	stopped sync.Once
}

type fanJob struct {
	downs []*downTrack
	f     *frameBatch
}

func newFanout(src uint64) *fanout {
	f := &fanout{src: src, spreadMin: spreadMin, quit: make(chan struct{})}
	f.downs.Store(&[]*downTrack{})
	return f
}

// add and remove change the receivers (room loop only).
func (o *fanout) add(d *downTrack) {
	list := append(append([]*downTrack(nil), *o.downs.Load()...), d)
	o.downs.Store(&list)
}

func (o *fanout) remove(d *downTrack) {
	old := *o.downs.Load()
	list := make([]*downTrack, 0, len(old))
	for _, x := range old {
		if x != d {
			list = append(list, x)
		}
	}
	o.downs.Store(&list)
}

func (o *fanout) len() int { return len(*o.downs.Load()) }

// stop ends the workers; a deliver still running finishes its frame inline.
func (o *fanout) stop() { o.stopped.Do(func() { close(o.quit) }) }

// deliver writes f to every receiver, spread over workers when there are many.
func (o *fanout) deliver(f *frameBatch) {
	downs := *o.downs.Load()
	n := min(spreadMaxWorkers, runtime.GOMAXPROCS(0), len(downs)/o.spreadMin)
	if n <= 1 {
		o.write(downs, f)
		return
	}
	for len(o.workers) < n-1 {
		ch := make(chan fanJob)
		o.workers = append(o.workers, ch)
		go o.work(ch)
	}
	chunk := (len(downs) + n - 1) / n
	for i := 1; i < n; i++ {
		part := downs[min(i*chunk, len(downs)):min((i+1)*chunk, len(downs))]
		o.wg.Add(1)
		select {
		case o.workers[i-1] <- fanJob{downs: part, f: f}:
		case <-o.quit:
			o.write(part, f)
			o.wg.Done()
		}
	}
	o.write(downs[:chunk], f)
	o.wg.Wait()
}

func (o *fanout) write(downs []*downTrack, f *frameBatch) {
	sent := 0
	for _, d := range downs {
		sent += d.writeFrame(o.src, f)
	}
	if o.sent != nil && sent > 0 {
		o.sent.Add(uint64(sent))
	}
}

// work is one spreading goroutine. The job channel is unbuffered, so a job is
// either taken (and finished) or, once quit is closed, done by the sender.
func (o *fanout) work(jobs chan fanJob) {
	for {
		select {
		case j := <-jobs:
			o.write(j.downs, j.f)
			o.wg.Done()
		case <-o.quit:
			return
		}
	}
}
