package rooms

import "math"

// Uplink economy: every publisher is told the largest size, frame rate and a
// bitrate at which its camera is actually shown in any (view, tier) the
// server composes (publish_hint), so the page can scale its sender down
// (RTCRtpSender.setParameters: scaleResolutionDownBy, maxBitrate,
// maxFramerate) and a thumbnail is not uploaded in HD over a weak uplink.

// The bitrate hint is the output's bitrate share of the tile times
// uplinkFactor (the server decodes and re-encodes, so the source needs more
// detail than the output keeps), within [minUplinkKbps, maxUplinkKbps].
const (
	uplinkFactor  = 2.0
	minUplinkKbps = 100
	maxUplinkKbps = 1500
)

// publishHint is what a publisher is told; the zero value was never sent.
type publishHint struct {
	width, height, fps, kbps int
}

// unseenHint is the hint for a publisher nobody receives yet (alone in the
// room, or everyone on audio only): enough for the lowest tier's full frame,
// so the first picture of a new receiver is not worse than its tier.
var unseenHint = publishHint{width: videoTiers[levelLow].Width, height: videoTiers[levelLow].Height, fps: videoTiers[levelLow].FPS, kbps: minUplinkKbps}

// hintsFromTiles computes every publisher's hint from the arrangements of all
// outputs (pure).
func hintsFromTiles(outs []*videoOut) map[string]publishHint {
	hints := map[string]publishHint{}
	for _, o := range outs {
		t := o.key.tier
		for _, tile := range o.tiles {
			if tile.Screen {
				continue
			}
			w, h := tile.Picture.Dx(), tile.Picture.Dy()
			id := string(tile.Participant)
			cur := hints[id]
			if w*h > cur.width*cur.height {
				cur.width, cur.height = w, h
			}
			cur.fps = max(cur.fps, t.FPS)
			share := float64(w*h) / float64(t.Width*t.Height)
			cur.kbps = max(cur.kbps, int(math.Ceil(float64(t.BitrateKbps)*share*uplinkFactor)))
			hints[id] = cur
		}
	}
	for id, h := range hints {
		h.kbps = min(max(h.kbps, minUplinkKbps), maxUplinkKbps)
		hints[id] = h
	}
	return hints
}

// refreshHints sends publishers whose hint changed their new one (room loop).
func (r *Room) refreshHints() {
	outs := make([]*videoOut, 0, len(r.videoOuts))
	for _, o := range r.videoOuts {
		outs = append(outs, o)
	}
	hints := hintsFromTiles(outs)
	for _, p := range r.parts {
		if !p.publishing.Load() {
			continue
		}
		h, ok := hints[string(p.id)]
		if !ok {
			h = unseenHint
		}
		if h == p.hint {
			continue
		}
		p.hint = h
		p.send(Message{Type: TypePublishHint, MaxWidth: h.width, MaxHeight: h.height, MaxFPS: h.fps, MaxKbps: h.kbps})
	}
}
