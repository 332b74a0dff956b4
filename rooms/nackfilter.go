package rooms

import (
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// nackFilter keeps retransmissions from crowding out what they repair, on
// the RTCP path between congestion control and pion's NACK responder:
//
//   - it drops a receiver's NACKs for a video stream the server has paused
//     (audio only), so the responder does not go on retransmitting old video
//     into a link that just proved too weak for it: audio must not starve for
//     video. Video resumes with a keyframe, so nothing is lost by not
//     repairing what came before;
//   - it tells the responder that its budget is retransmitShare of GCC's
//     target rather than all of it (pion lets retransmissions alone use the
//     whole target: on a link already at its limit that doubles the load and
//     keeps it congested).
//
// One filter serves the Manager's PeerConnections; streams are told apart by
// SSRC (random 32 bits each).
type nackFilter struct {
	paused sync.Map // uint32 SSRC → struct{}
	count  atomic.Int64
}

// retransmitShare is the part of GCC's target (in percent) NACK
// retransmissions may use. pion's limiter counts over 500 ms, and one video
// packet (~1.1 KB) in that window is ~18 kbit/s: at 15 % of the ~110 kbit/s a
// 150 kbit/s link gives, it let through one retransmission per 500 ms, too
// few for 5 % loss, and Chromium, its NACKs unanswered, asked for a keyframe
// only after ~3 s (TestWeakLink: freezes of 3.8-4.7 s). Half the target lets
// a burst of 2-3 through and still leaves most of the link to new media.
const retransmitShare = 50

func (f *nackFilter) pause(ssrc uint32, on bool) {
	if on {
		if _, loaded := f.paused.LoadOrStore(ssrc, struct{}{}); !loaded {
			f.count.Add(1)
		}
		return
	}
	if _, loaded := f.paused.LoadAndDelete(ssrc); loaded {
		f.count.Add(-1)
	}
}

func (f *nackFilter) isPaused(ssrc uint32) bool {
	_, ok := f.paused.Load(ssrc)
	return ok
}

// NewInterceptor makes the filter an interceptor.Factory. Registered after
// congestion control and before the NACK responder, it sees RTCP before the
// responder does.
func (f *nackFilter) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &nackFilterInterceptor{f: f}, nil
}

type nackFilterInterceptor struct {
	interceptor.NoOp
	f *nackFilter
}

func (i *nackFilterInterceptor) BindRTCPReader(r interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := r.Read(b, a)
		if err != nil {
			return n, attr, err
		}
		limitRetransmissions(attr)
		if i.f.count.Load() == 0 {
			return n, attr, nil
		}
		pkts, perr := attr.GetRTCPPackets(b[:n])
		if perr != nil {
			return n, attr, nil // the responder will refuse it the same way
		}
		kept, dropped := filterNACKs(pkts, i.f.isPaused)
		if !dropped {
			return n, attr, nil
		}
		raw, merr := rtcp.Marshal(kept)
		if merr != nil || len(raw) > len(b) {
			return n, attr, nil
		}
		// Fresh attributes: the others must parse the filtered packets, not
		// find the unfiltered ones cached.
		fresh := interceptor.Attributes{}
		for k, v := range attr {
			if _, isPackets := v.([]rtcp.Packet); !isPackets {
				fresh[k] = v
			}
		}
		return copy(b, raw), fresh, nil
	})
}

// limitRetransmissions replaces the target-rate getter the cc interceptor
// put into the attributes (the only func() int there; its key type is
// internal to pion) with one that returns retransmitShare of it.
func limitRetransmissions(attr interceptor.Attributes) {
	for k, v := range attr {
		if target, ok := v.(func() int); ok {
			attr[k] = func() int { return target() * retransmitShare / 100 }
		}
	}
}

// filterNACKs leaves out the NACKs for paused streams. A compound of nothing
// but such NACKs becomes an empty receiver report, so readers downstream
// still get a valid packet.
func filterNACKs(pkts []rtcp.Packet, paused func(uint32) bool) ([]rtcp.Packet, bool) {
	var kept []rtcp.Packet
	dropped := false
	var sender uint32
	for _, p := range pkts {
		if nack, ok := p.(*rtcp.TransportLayerNack); ok && paused(nack.MediaSSRC) {
			dropped, sender = true, nack.SenderSSRC
			continue
		}
		kept = append(kept, p)
	}
	if dropped && len(kept) == 0 {
		kept = []rtcp.Packet{&rtcp.ReceiverReport{SSRC: sender}}
	}
	return kept, dropped
}
