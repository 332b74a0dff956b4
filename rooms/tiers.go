package rooms

import (
	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/mixer"
)

// level is a rung of the quality ladder a receiver stands on: one of the video
// tiers (0 is the best) or, past the last, audio only. Lower is better, so
// "stepping down" increases the level.
type level int

// The ladder: the one place tiers are defined. Every receiver's tier is one of
// these (in the receiver's codec), so that receivers of one view meet on a
// handful of shared encoders. DESIGN.md suggests ~110 kbit/s for the low tier;
// it is 48 because the low tier must fit a 150 kbit/s link with 5 % loss
// (issue 5): libvpx overshoots a small target by 10–20 %, and audio costs 47
// kbit/s on the wire, headers, retransmissions and the link's own framing
// come on top. Measured with Chromium behind 150 kbit/s, 5 % loss and 150 ms
// each way (e2e TestWeakLink): at 64 the link's queue stayed full (RTT 0.7–1 s
// instead of 0.3, 50–60 video packets lost in 10 s, freezes of 3–5 s); at 48
// the queue is gone (RTT ~0.31 s) and the repair keeps up.
var videoTiers = [...]mixer.Tier{
	{Name: "high", Width: 640, Height: 360, FPS: 15, BitrateKbps: 400},
	{Name: "medium", Width: 480, Height: 270, FPS: 12, BitrateKbps: 220},
	{Name: "low", Width: 320, Height: 180, FPS: 10, BitrateKbps: 48},
}

const (
	levelHigh      level = 0
	levelLow       level = level(len(videoTiers) - 1)
	levelAudioOnly level = level(len(videoTiers))
)

// AudioOnlyTier names the rung below the lowest video tier in messages and
// call summaries: the receiver gets the audio mix and no video.
const AudioOnlyTier = "audio"

// Wire cost of what a receiver gets, in kbit/s as counted on the network (RTP
// headers with the transport-cc extension, SRTP tag, UDP and IPv4: ~58 bytes a
// packet). Audio is 50 small packets a second, so its headers cost about as
// much as its payload; video packets are ~1.2 KB, so they add ~5 %.
const (
	packetOverheadBytes = 12 + 8 + 10 + 8 + 20
	audioWireKbps       = codec.DefaultOpusBitrateKbps + 50*packetOverheadBytes*8/1000
	videoWireFactor     = 1.05
)

// Tiers returns the video tiers of the ladder, best first (a copy), for tools
// and documentation. Receivers whose link cannot carry the last one get audio only.
func Tiers() []mixer.Tier { return append([]mixer.Tier(nil), videoTiers[:]...) }

// tierOf is the mixer tier of a video level in codec k.
func tierOf(l level, k codec.Kind) mixer.Tier {
	t := videoTiers[l]
	t.Codec = k
	return t
}

// name is the level's tier name, as messages and summaries spell it.
func (l level) name() string {
	if l >= levelAudioOnly {
		return AudioOnlyTier
	}
	return videoTiers[l].Name
}

// video reports whether the level sends video.
func (l level) video() bool { return l < levelAudioOnly }

// needKbps is what a receiver on level l needs in RTP payload, the unit GCC's
// estimate is in (pion's estimator counts payload bytes only).
func (l level) needKbps() float64 {
	if !l.video() {
		return codec.DefaultOpusBitrateKbps
	}
	return float64(videoTiers[l].BitrateKbps + codec.DefaultOpusBitrateKbps)
}

// wireKbps is what a receiver on level l costs on the network: its video tier
// (if any) plus the audio mix, headers included. Budgets are in these units.
func (l level) wireKbps() float64 {
	if !l.video() {
		return audioWireKbps
	}
	return float64(videoTiers[l].BitrateKbps)*videoWireFactor + audioWireKbps
}

// kbpsToMBPerHour converts a rate into the unit the data-saver budget uses.
func kbpsToMBPerHour(kbps float64) float64 { return kbps * 1000 / 8 * 3600 / 1e6 }

// Quality modes a client can choose (quality{mode}).
const (
	QualityHigh     = "high"      // the link decides, up to the best tier
	QualitySaveData = "save_data" // at most the lowest video tier
)

// budgetMargin keeps the chosen tier under a budget even when the encoder
// overshoots its target a little (libvpx CBR does, by up to ~10 %).
const budgetMargin = 1.15

// capFor is the best level a receiver's own choice allows: save_data caps at
// the lowest video tier; a budget (MB per hour, > 0) at the best level whose
// wire cost fits it, audio only if none does. The stricter cap wins.
func capFor(mode string, budgetMBPerHour float64) level {
	best := levelHigh
	if mode == QualitySaveData {
		best = levelLow
	}
	if budgetMBPerHour > 0 {
		fits := levelAudioOnly
		for l := levelHigh; l < levelAudioOnly; l++ {
			if kbpsToMBPerHour(l.wireKbps()*budgetMargin) <= budgetMBPerHour {
				fits = l
				break
			}
		}
		best = max(best, fits)
	}
	return best
}
