package rooms

import (
	"slices"
)

// refreshLayouts follows what the mixer composed: an output whose arrangement
// changed gets a new layout message (encoded once), and every receiver gets
// the layout of the output it is shown now (the one forwarded, or the one it
// waits for) when that differs from what it has. The mixer changes layouts on
// its own tick (joins, leaves, a first picture with another aspect ratio, a
// screen share), so the room follows rather than predicts. Room loop.
func (r *Room) refreshLayouts() {
	for _, o := range r.videoOuts {
		tiles := r.mix.Tiles(o.key.view, o.key.tier)
		if tiles == nil || slices.Equal(tiles, o.tiles) {
			continue
		}
		o.tiles = tiles
		b, err := encodeMessage(layoutMessage(o))
		if err != nil {
			r.log.Error("encode layout", "err", err)
			continue
		}
		o.layout = b
		o.layoutSeq++
	}
	for _, p := range r.parts {
		rx := p.rx
		o := shownOutput(rx)
		if o == nil || o.layout == nil || (rx.layoutOut == o && rx.layoutSeq == o.layoutSeq) {
			continue
		}
		rx.layoutOut, rx.layoutSeq = o, o.layoutSeq
		p.sendRaw(o.layout)
	}
}

// shownOutput is the output whose picture the receiver sees now: the old one
// while a switch waits for the new one's keyframe, else the wanted one.
func shownOutput(rx *receiver) *videoOut {
	if rx.prevVout != nil && rx.vdown != nil && rx.vdown.forwarding() == rx.prevVout.fan.src {
		return rx.prevVout
	}
	return rx.vout
}

// layoutMessage describes o's last arrangement in coordinates relative to the
// picture: which participant's camera (or shared screen) is in which cell.
func layoutMessage(o *videoOut) Message {
	w, h := float64(o.key.tier.Width), float64(o.key.tier.Height)
	cells := make([]Cell, 0, len(o.tiles))
	for _, t := range o.tiles {
		c := t.Cell
		cells = append(cells, Cell{
			ParticipantID: string(t.Participant),
			X:             float64(c.Min.X) / w, Y: float64(c.Min.Y) / h,
			W: float64(c.Dx()) / w, H: float64(c.Dy()) / h,
			Screen: t.Screen,
		})
	}
	return Message{Type: TypeLayout, View: string(o.key.view), Width: o.key.tier.Width, Height: o.key.tier.Height, Cells: cells}
}
