package testpeer

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/transport/v5"
)

// maxQueueDelay bounds the shaper's queue: a packet that would wait longer
// is dropped, as a bottleneck router's buffer drops its tail.
const maxQueueDelay = 400 * time.Millisecond

// downlink shapes what a peer receives, to put a real pion stack (and the
// server's congestion control reacting to its feedback) behind a weak link:
// a rate with a bounded queue, and random loss. It acts on every datagram
// the peer's sockets receive (media, RTCP, STUN, DTLS), like a link would.
type downlink struct {
	rate atomic.Int64 // bit/s; 0: unlimited
	loss atomic.Int64 // per million

	mu   sync.Mutex
	next time.Time // when the last accepted packet leaves the queue
	rng  *rand.Rand

	dropped atomic.Uint64
}

func newDownlink() *downlink { return &downlink{rng: rand.New(rand.NewPCG(rand.Uint64(), 1))} }

// admit decides a packet's fate: when it may be delivered, or false to drop it.
func (d *downlink) admit(size int, arrived time.Time) (time.Time, bool) {
	rate, loss := d.rate.Load(), d.loss.Load()
	d.mu.Lock()
	defer d.mu.Unlock()
	if loss > 0 && d.rng.Int64N(1_000_000) < loss {
		d.dropped.Add(1)
		return time.Time{}, false
	}
	if rate <= 0 {
		return arrived, true
	}
	start := arrived
	if d.next.After(start) {
		start = d.next
	}
	if start.Sub(arrived) > maxQueueDelay {
		d.dropped.Add(1)
		return time.Time{}, false
	}
	d.next = start.Add(time.Duration(int64(size+28) * 8 * int64(time.Second) / rate)) // +UDP/IPv4 headers
	return d.next, true
}

// shapedConn delivers what a pump goroutine reads from the socket, each
// datagram when the downlink lets it through.
type shapedConn struct {
	transport.UDPConn
	link *downlink
	cut  *atomic.Bool
	in   chan datagram
	err  error // the socket's read error, once the pump has stopped
}

type datagram struct {
	b       []byte
	addr    net.Addr
	arrived time.Time
	err     error
}

func newShapedConn(c transport.UDPConn, link *downlink, cut *atomic.Bool) *shapedConn {
	s := &shapedConn{UDPConn: c, link: link, cut: cut, in: make(chan datagram, 4096)}
	go s.pump()
	return s
}

// pump reads the socket as fast as datagrams come, stamping their arrival.
func (s *shapedConn) pump() {
	for {
		buf := make([]byte, 1500)
		n, addr, err := s.UDPConn.ReadFrom(buf)
		if err != nil {
			s.in <- datagram{err: err}
			return
		}
		if s.cut.Load() {
			continue
		}
		select {
		case s.in <- datagram{b: buf[:n], addr: addr, arrived: time.Now()}:
		default: // the reader is far behind: the link's buffer is full anyway
			s.link.dropped.Add(1)
		}
	}
}

func (s *shapedConn) next() (datagram, error) {
	for {
		if s.err != nil {
			return datagram{}, s.err
		}
		d := <-s.in
		if d.err != nil {
			s.err = d.err
			return datagram{}, d.err
		}
		at, ok := s.link.admit(len(d.b), d.arrived)
		if !ok {
			continue
		}
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait) // the link's serialisation: this reader is the link
		}
		return d, nil
	}
}

func (s *shapedConn) ReadFrom(p []byte) (int, net.Addr, error) {
	d, err := s.next()
	if err != nil {
		return 0, nil, err
	}
	return copy(p, d.b), d.addr, nil
}

func (s *shapedConn) ReadFromUDP(p []byte) (int, *net.UDPAddr, error) {
	d, err := s.next()
	if err != nil {
		return 0, nil, err
	}
	ua, _ := d.addr.(*net.UDPAddr)
	return copy(p, d.b), ua, nil
}

func (s *shapedConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if s.cut.Load() {
		return len(p), nil
	}
	return s.UDPConn.WriteTo(p, addr)
}

func (s *shapedConn) WriteToUDP(p []byte, addr *net.UDPAddr) (int, error) {
	if s.cut.Load() {
		return len(p), nil
	}
	return s.UDPConn.WriteToUDP(p, addr)
}

// SetDownlink limits what the peer receives to kbps (0: unlimited) with a
// 400 ms drop-tail queue, and drops lossPct % of datagrams at random. It
// needs Options.Shaped; without it, it does nothing.
func (p *Peer) SetDownlink(kbps int, lossPct float64) {
	if p.link == nil {
		return
	}
	p.link.rate.Store(int64(kbps) * 1000)
	p.link.loss.Store(int64(lossPct * 10_000))
}

// DownlinkDropped is how many datagrams the shaped downlink dropped.
func (p *Peer) DownlinkDropped() uint64 {
	if p.link == nil {
		return 0
	}
	return p.link.dropped.Load()
}
