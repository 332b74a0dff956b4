package testpeer

import (
	"fmt"
	"net"
	"sync/atomic"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// cuttableNet is the host network with a switch that silently drops every
// UDP datagram in both directions, so a test can make a peer vanish from the
// network without closing anything (a train entering a tunnel).
type cuttableNet struct {
	transport.Net
	cut  *atomic.Bool
	link *downlink // nil: the downlink is not shaped
}

func newCuttableNet(cut *atomic.Bool, link *downlink) (*cuttableNet, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, fmt.Errorf("host network: %w", err)
	}
	return &cuttableNet{Net: n, cut: cut, link: link}, nil
}

func (n *cuttableNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	if n.link != nil {
		return newShapedConn(c, n.link, n.cut), nil
	}
	return &cuttableConn{UDPConn: c, cut: n.cut}, nil
}

type cuttableConn struct {
	transport.UDPConn
	cut *atomic.Bool
}

func (c *cuttableConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFrom(p)
		if err != nil || !c.cut.Load() {
			return n, addr, err
		}
	}
}

func (c *cuttableConn) ReadFromUDP(p []byte) (int, *net.UDPAddr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFromUDP(p)
		if err != nil || !c.cut.Load() {
			return n, addr, err
		}
	}
}

func (c *cuttableConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.cut.Load() {
		return len(p), nil
	}
	return c.UDPConn.WriteTo(p, addr)
}

func (c *cuttableConn) WriteToUDP(p []byte, addr *net.UDPAddr) (int, error) {
	if c.cut.Load() {
		return len(p), nil
	}
	return c.UDPConn.WriteToUDP(p, addr)
}

// CutNetwork drops all of the peer's media traffic from now on, without
// closing its PeerConnection or its signalling socket.
func (p *Peer) CutNetwork() { p.netCut.Store(true) }

// RestoreNetwork lets the traffic pass again (out of the tunnel).
func (p *Peer) RestoreNetwork() { p.netCut.Store(false) }
