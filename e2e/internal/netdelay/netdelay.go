// Package netdelay gives a test's network namespace the delay and random loss
// of a weak link. The kernel here has no netem qdisc, so packets are sent to
// an NFQUEUE (an iptables-legacy rule the caller adds: the nft build lacks the
// queue target) and this package holds each packet's verdict until it is due,
// or drops it.
//
// It speaks the nfnetlink_queue protocol over a raw netlink socket with
// golang.org/x/sys/unix: the Go library for it (florianl/go-nfqueue) is not
// served by the module proxy here, and libnetfilter_queue through cgo would
// add a C library to install for a few messages of a simple, stable protocol.
package netdelay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// nfnetlink_queue message types, attributes and values
// (include/uapi/linux/netfilter/nfnetlink_queue.h).
const (
	msgPacket  = unix.NFNL_SUBSYS_QUEUE << 8 // | NFQNL_MSG_PACKET (0)
	msgVerdict = unix.NFNL_SUBSYS_QUEUE<<8 | 1
	msgConfig  = unix.NFNL_SUBSYS_QUEUE<<8 | 2

	attrPacketHdr  = 1 // NFQA_PACKET_HDR: be32 id, be16 protocol, u8 hook
	attrVerdictHdr = 2 // NFQA_VERDICT_HDR: be32 verdict, be32 id

	attrCfgCmd    = 1 // NFQA_CFG_CMD: u8 command, u8 pad, be16 pf
	attrCfgParams = 2 // NFQA_CFG_PARAMS: be32 copy range, u8 copy mode
	attrCfgMaxLen = 3 // NFQA_CFG_QUEUE_MAXLEN: be32
	attrCfgMask   = 4 // NFQA_CFG_MASK: be32
	attrCfgFlags  = 5 // NFQA_CFG_FLAGS: be32

	cmdBind      = 1
	copyMeta     = 1 // only the metadata (the id): nothing of the packet is copied to us
	flagFailOpen = 1 // a full queue lets packets pass instead of dropping them

	verdictDrop   = 0
	verdictAccept = 1

	nlaTypeMask = 0x3fff
)

// maxHeld bounds the packets held at once; the kernel queue is as long.
const maxHeld = 8192

// Queue holds the packets of one NFQUEUE number. Its delay and loss can be
// changed at any time; they apply to packets arriving from then on.
type Queue struct {
	fd    int
	num   uint16
	delay atomic.Int64  // nanoseconds
	loss  atomic.Uint64 // drop probability scaled to math.MaxUint64
	held  chan heldPacket
	stop  atomic.Bool
	wg    sync.WaitGroup
	once  sync.Once
	rng   *rand.Rand // reader goroutine only

	seq     uint32
	sendMu  sync.Mutex // the reader and the releaser both send verdicts
	verdict [16 + 4 + 12]byte
	passed  atomic.Uint64
	dropped atomic.Uint64
}

type heldPacket struct {
	id  uint32
	due time.Time
}

// Open binds queue number num. Packets sent to it pass at once until Set
// says otherwise.
func Open(num uint16) (*Queue, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("netdelay: netlink socket: %w", err)
	}
	q := &Queue{fd: fd, num: num, held: make(chan heldPacket, maxHeld), rng: rand.New(rand.NewPCG(rand.Uint64(), uint64(num)))}
	if err := q.configure(); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("netdelay: bind queue %d: %w", num, err)
	}
	q.wg.Add(2)
	go q.read()
	go q.release()
	return q, nil
}

func (q *Queue) configure() error {
	if err := unix.Bind(q.fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	_ = unix.SetsockoptInt(q.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20)
	// A timeout on receive lets the reader notice Close.
	if err := unix.SetsockoptTimeval(q.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100_000}); err != nil {
		return err
	}
	bind := attr(attrCfgCmd, []byte{cmdBind, 0, 0, 0})
	params := attr(attrCfgParams, []byte{0, 0, 0, 0, copyMeta})
	maxLen := attr(attrCfgMaxLen, be32(maxHeld))
	flags := append(attr(attrCfgMask, be32(flagFailOpen)), attr(attrCfgFlags, be32(flagFailOpen))...)
	for _, body := range [][]byte{bind, append(append(params, maxLen...), flags...)} {
		if err := q.request(msgConfig, body); err != nil {
			return err
		}
	}
	return nil
}

// request sends one config message and waits for the kernel's acknowledgement.
func (q *Queue) request(typ uint16, attrs []byte) error {
	q.seq++
	msg := message(typ, unix.NLM_F_REQUEST|unix.NLM_F_ACK, q.seq, q.num, attrs)
	if err := unix.Sendto(q.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	for {
		n, _, err := unix.Recvfrom(q.fd, buf, 0)
		if err != nil {
			return fmt.Errorf("read acknowledgement: %w", err)
		}
		for b := buf[:n]; len(b) >= unix.NLMSG_HDRLEN; {
			l := int(binary.NativeEndian.Uint32(b))
			if l < unix.NLMSG_HDRLEN || l > len(b) {
				break
			}
			if binary.NativeEndian.Uint16(b[4:]) == unix.NLMSG_ERROR && binary.NativeEndian.Uint32(b[8:]) == q.seq {
				if code := int32(binary.NativeEndian.Uint32(b[16:])); code != 0 {
					return unix.Errno(-code)
				}
				return nil
			}
			b = b[align(l):]
		}
	}
}

// Set changes the delay and the share of packets dropped (0..1) for packets
// arriving from now on.
func (q *Queue) Set(delay time.Duration, loss float64) {
	q.delay.Store(int64(max(delay, 0)))
	switch {
	case loss >= 1:
		q.loss.Store(math.MaxUint64)
	case loss > 0:
		q.loss.Store(uint64(loss * math.MaxUint64))
	default:
		q.loss.Store(0)
	}
}

// Counts says how many packets were let through and dropped so far.
func (q *Queue) Counts() (passed, dropped uint64) { return q.passed.Load(), q.dropped.Load() }

// Close lets every held packet pass at once and unbinds the queue. Remove
// the iptables rule first, or packets arriving meanwhile pass unqueued only
// if the rule has --queue-bypass.
func (q *Queue) Close() error {
	q.once.Do(func() {
		q.stop.Store(true)
		q.wg.Wait()
		_ = unix.Close(q.fd)
	})
	return nil
}

// read takes the kernel's packet messages and decides each one: drop now,
// pass now (no delay) or hold.
func (q *Queue) read() {
	defer q.wg.Done()
	defer close(q.held)
	buf := make([]byte, 1<<16)
	for !q.stop.Load() {
		n, _, err := unix.Recvfrom(q.fd, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) || errors.Is(err, unix.ENOBUFS) {
				continue
			}
			return
		}
		for b := buf[:n]; len(b) >= unix.NLMSG_HDRLEN; {
			l := int(binary.NativeEndian.Uint32(b))
			if l < unix.NLMSG_HDRLEN || l > len(b) {
				break
			}
			if binary.NativeEndian.Uint16(b[4:]) == msgPacket {
				if id, ok := packetID(b[unix.NLMSG_HDRLEN+4 : l]); ok {
					q.decide(id)
				}
			}
			b = b[align(l):]
		}
	}
}

func (q *Queue) decide(id uint32) {
	if p := q.loss.Load(); p > 0 && q.rng.Uint64() < p {
		q.dropped.Add(1)
		q.send(id, verdictDrop)
		return
	}
	d := time.Duration(q.delay.Load())
	if d == 0 {
		q.passed.Add(1)
		q.send(id, verdictAccept)
		return
	}
	select {
	case q.held <- heldPacket{id: id, due: time.Now().Add(d)}:
	default: // more held than the kernel queue holds: cannot happen, but never block
		q.passed.Add(1)
		q.send(id, verdictAccept)
	}
}

// release lets held packets pass when they are due, in arrival order (the
// delay is the same for all, so order and due times agree). After Close it
// lets the rest pass at once.
func (q *Queue) release() {
	defer q.wg.Done()
	for h := range q.held {
		if wait := time.Until(h.due); wait > 0 && !q.stop.Load() {
			time.Sleep(wait)
		}
		q.passed.Add(1)
		q.send(h.id, verdictAccept)
	}
}

func (q *Queue) send(id uint32, verdict uint32) {
	q.sendMu.Lock()
	defer q.sendMu.Unlock()
	m := q.verdict[:]
	binary.NativeEndian.PutUint32(m[0:], uint32(len(m)))
	binary.NativeEndian.PutUint16(m[4:], msgVerdict)
	binary.NativeEndian.PutUint16(m[6:], unix.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(m[8:], 0)
	binary.NativeEndian.PutUint32(m[12:], 0)
	m[16], m[17] = unix.AF_UNSPEC, 0
	binary.BigEndian.PutUint16(m[18:], q.num)
	binary.NativeEndian.PutUint16(m[20:], 12)
	binary.NativeEndian.PutUint16(m[22:], attrVerdictHdr)
	binary.BigEndian.PutUint32(m[24:], verdict)
	binary.BigEndian.PutUint32(m[28:], id)
	_ = unix.Sendto(q.fd, m, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
}

// packetID finds NFQA_PACKET_HDR among a packet message's attributes.
func packetID(attrs []byte) (uint32, bool) {
	for len(attrs) >= 4 {
		l := int(binary.NativeEndian.Uint16(attrs))
		typ := binary.NativeEndian.Uint16(attrs[2:]) & nlaTypeMask
		if l < 4 || l > len(attrs) {
			return 0, false
		}
		if typ == attrPacketHdr && l >= 8 {
			return binary.BigEndian.Uint32(attrs[4:]), true
		}
		attrs = attrs[min(align(l), len(attrs)):]
	}
	return 0, false
}

// message is a netlink message of an nfnetlink subsystem for queue num.
func message(typ, flags uint16, seq uint32, num uint16, attrs []byte) []byte {
	m := make([]byte, unix.NLMSG_HDRLEN+4, unix.NLMSG_HDRLEN+4+len(attrs))
	binary.NativeEndian.PutUint32(m[0:], uint32(cap(m)))
	binary.NativeEndian.PutUint16(m[4:], typ)
	binary.NativeEndian.PutUint16(m[6:], flags)
	binary.NativeEndian.PutUint32(m[8:], seq)
	m[16], m[17] = unix.AF_UNSPEC, 0
	binary.BigEndian.PutUint16(m[18:], num)
	return append(m, attrs...)
}

func attr(typ uint16, payload []byte) []byte {
	a := make([]byte, 4, align(4+len(payload)))
	binary.NativeEndian.PutUint16(a[0:], uint16(4+len(payload)))
	binary.NativeEndian.PutUint16(a[2:], typ)
	a = append(a, payload...)
	return a[:cap(a)]
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func align(n int) int { return (n + 3) &^ 3 }
