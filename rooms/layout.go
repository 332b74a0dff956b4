package rooms

import (
	"slices"
)

// layoutPoll is how often the room asks the mixer what it composed last; a
// changed arrangement is sent to that output's receivers as a layout message.
// The mixer changes layouts on its own tick (joins, leaves, a first picture
// with another aspect ratio), so the room follows rather than predicts.
const layoutPoll = 100 // milliseconds

// refreshLayouts sends a layout message to the receivers of every output
// whose arrangement changed since it was last announced. Room loop only.
func (r *Room) refreshLayouts() {
	for _, o := range r.videoOuts {
		tiles := r.mix.Tiles(o.key.view, o.key.tier)
		if tiles == nil || slices.Equal(tiles, o.tiles) {
			continue
		}
		o.tiles = tiles
		m := layoutMessage(o)
		for _, p := range o.receivers {
			p.send(m)
		}
	}
}

// layoutMessage describes o's last arrangement in coordinates relative to the
// picture: which participant's camera is in which cell.
func layoutMessage(o *videoOut) Message {
	w, h := float64(o.key.tier.Width), float64(o.key.tier.Height)
	cells := make([]Cell, 0, len(o.tiles))
	for _, t := range o.tiles {
		if t.Screen {
			continue
		}
		c := t.Cell
		cells = append(cells, Cell{
			ParticipantID: string(t.Participant),
			X:             float64(c.Min.X) / w, Y: float64(c.Min.Y) / h,
			W: float64(c.Dx()) / w, H: float64(c.Dy()) / h,
		})
	}
	return Message{Type: TypeLayout, View: string(o.key.view), Width: o.key.tier.Width, Height: o.key.tier.Height, Cells: cells}
}

// sendLayout tells a receiver that just attached the current arrangement of
// its output, if one was composed yet. Room loop only.
func (r *Room) sendLayout(p *Participant, o *videoOut) {
	if o.tiles != nil {
		p.send(layoutMessage(o))
	}
}
