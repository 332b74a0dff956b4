package rooms

import (
	"context"
	"fmt"
	"time"

	"github.com/coder/websocket"
)

// writeLoop is the only writer of the socket. On quit it flushes what is
// queued (the bye) and stops.
func (p *Participant) writeLoop() {
	defer close(p.writerDone)
	for {
		select {
		case b := <-p.out:
			if !p.write(b) {
				return
			}
		case <-p.quit:
			for {
				select {
				case b := <-p.out:
					if !p.write(b) {
						return
					}
				default:
					return
				}
			}
		}
	}
}

func (p *Participant) write(b []byte) bool {
	select {
	case <-p.dead:
		return false
	default:
	}
	ctx, cancel := context.WithTimeout(p.connCtx, writeTimeout)
	defer cancel()
	if err := p.conn.Write(ctx, websocket.MessageText, b); err != nil {
		p.markDead(fmt.Errorf("write signalling message: %w", err))
		return false
	}
	return true
}

// readLoop decodes client messages and hands them to the participant loop.
// A message that does not decode is handed over as an error and ends reading.
func (p *Participant) readLoop() {
	defer p.bg.Done()
	for {
		typ, b, err := p.conn.Read(p.connCtx)
		if err != nil {
			p.markDead(fmt.Errorf("read signalling message: %w", err))
			return
		}
		in := inbound{}
		if typ != websocket.MessageText {
			in.err = fmt.Errorf("%w: binary frame", ErrBadMessage)
		} else {
			in.msg, in.err = DecodeMessage(b)
		}
		select {
		case p.in <- in:
		case <-p.dead:
			return
		case <-p.connCtx.Done():
			return
		}
		if in.err != nil {
			return
		}
	}
}

// pingLoop keeps proxies from closing an idle socket and notices a client
// that vanished without closing it.
func (p *Participant) pingLoop() {
	defer p.bg.Done()
	t := time.NewTicker(p.m.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			ctx, cancel := context.WithTimeout(p.connCtx, p.m.cfg.PingInterval)
			err := p.conn.Ping(ctx)
			cancel()
			if err != nil {
				p.markDead(fmt.Errorf("ping: %w", err))
				return
			}
		case <-p.dead:
			return
		case <-p.connCtx.Done():
			return
		}
	}
}
