package rooms

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// countingBind records BindRTCPWriter calls of the wrapped interceptor.
type countingBind struct {
	interceptor.NoOp
	binds atomic.Int32
}

func (c *countingBind) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	c.binds.Add(1)
	return w
}

// TestLazyReceiverBindsOnFirstRemoteStream: the wrapped interceptor's RTCP
// writer (where pion's NACK generator starts its ticker) is bound at the
// first remote stream, once, and never on a receive-only PeerConnection.
func TestLazyReceiverBindsOnFirstRemoteStream(t *testing.T) {
	inner := &countingBind{}
	l := &lazyReceiver{Interceptor: inner}
	w := interceptor.RTCPWriterFunc(func([]rtcp.Packet, interceptor.Attributes) (int, error) { return 0, nil })
	if got := l.BindRTCPWriter(w); got == nil {
		t.Fatal("BindRTCPWriter returned nil")
	}
	l.BindLocalStream(&interceptor.StreamInfo{SSRC: 1}, nil)
	if n := inner.binds.Load(); n != 0 {
		t.Fatalf("bound %d times with only a local stream, want 0", n)
	}
	for ssrc := range uint32(3) {
		l.BindRemoteStream(&interceptor.StreamInfo{SSRC: ssrc + 10}, nil)
	}
	if n := inner.binds.Load(); n != 1 {
		t.Fatalf("bound %d times after three remote streams, want 1", n)
	}
}

// TestLazyNackGeneratorStillNacks: behind the wrapper, pion's NACK generator
// still asks a publisher for a packet it lost.
func TestLazyNackGeneratorStillNacks(t *testing.T) {
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorInterval(10 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	i, err := lazyFactory{gen}.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	nacked := make(chan uint16, 16)
	i.BindRTCPWriter(interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
		for _, p := range pkts {
			if n, ok := p.(*rtcp.TransportLayerNack); ok {
				for _, pair := range n.Nacks {
					for _, seq := range pair.PacketList() {
						nacked <- seq
					}
				}
			}
		}
		return 0, nil
	}))
	var next uint16 = 100
	r := i.BindRemoteStream(&interceptor.StreamInfo{SSRC: 7, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}},
		interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			p := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 7, SequenceNumber: next}, Payload: []byte{1}}
			next++
			if next == 103 {
				next++ // 103 never arrives
			}
			n, err := p.MarshalTo(b)
			return n, a, err
		}))
	buf := make([]byte, 1500)
	for range 10 {
		if _, _, err := r.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		select {
		case seq := <-nacked:
			if seq == 103 {
				return
			}
		case <-ctx.Done():
			t.Fatal("no NACK for the lost packet 103")
		}
	}
}
