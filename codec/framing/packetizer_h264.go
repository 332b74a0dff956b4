package framing

import (
	"encoding/binary"
	"fmt"

	"github.com/pion/rtp"
)

// h264 sends an Annex-B access unit in packetization-mode 1 (RFC 6184): consecutive
// small NAL units (SPS, PPS, SEI, small slices) share a STAP-A, a NAL unit that fits
// goes alone, a larger one is cut into FU-A fragments. Marker on the last packet.
func (p *Packetizer) h264(frame []byte, emit func(*rtp.Packet) error) error {
	nals, err := splitAnnexB(frame, p.nals)
	p.nals = nals
	if err != nil {
		return fmt.Errorf("packetize h264 frame of %d bytes: %w", len(frame), err)
	}
	if len(nals) == 0 {
		return fmt.Errorf("packetize h264 frame of %d bytes: no nal units: %w", len(frame), ErrEmptyFrame)
	}
	for i := 0; i < len(nals); {
		nal := frame[nals[i].start:nals[i].end]
		if len(nal) > MaxPayloadSize {
			if err := p.fuA(nal, i == len(nals)-1, emit); err != nil {
				return err
			}
			i++
			continue
		}
		size, j := 1+stapALenSize+len(nal), i+1
		for j < len(nals) && size+stapALenSize+nals[j].end-nals[j].start <= MaxPayloadSize {
			size += stapALenSize + nals[j].end - nals[j].start
			j++
		}
		if j == i+1 {
			err = p.send(nal, j == len(nals), emit) // the NAL unit as it is, no copy
		} else {
			err = p.stapA(frame, nals[i:j], j == len(nals), emit)
		}
		if err != nil {
			return err
		}
		i = j
	}
	return nil
}

// stapA aggregates NAL units into one packet; F and NRI take the strongest of them.
func (p *Packetizer) stapA(frame []byte, nals []nalRange, last bool, emit func(*rtp.Packet) error) error {
	b := p.buf[:1]
	var f, nri byte
	for _, r := range nals {
		nal := frame[r.start:r.end]
		f |= nal[0] & nalForbid
		nri = max(nri, nal[0]&nalNRIMask)
		b = binary.BigEndian.AppendUint16(b, uint16(len(nal)))
		b = append(b, nal...)
	}
	b[0] = f | nri | nalSTAPA
	return p.send(b, last, emit)
}

// fuA cuts one NAL unit into fragments; its header travels in the FU indicator and header.
func (p *Packetizer) fuA(nal []byte, lastNAL bool, emit func(*rtp.Packet) error) error {
	const room = MaxPayloadSize - fuHeaderSize
	indicator := nal[0]&(nalForbid|nalNRIMask) | nalFUA
	typ := nal[0] & nalTypeMask
	body := nal[1:]
	for off := 0; off < len(body); off += room {
		n := min(room, len(body)-off)
		b := p.buf[:fuHeaderSize+n]
		b[0] = indicator
		b[1] = typ
		if off == 0 {
			b[1] |= fuStart
		}
		end := off+n == len(body)
		if end {
			b[1] |= fuEnd
		}
		copy(b[fuHeaderSize:], body[off:off+n])
		if err := p.send(b, lastNAL && end, emit); err != nil {
			return err
		}
	}
	return nil
}
