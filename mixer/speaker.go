package mixer

import "math"

// Active-speaker detection: levels are RMS over ~300 ms; a source above speechFloorDBFS is
// speaking; the speaker changes only when another source is louder by switchMarginDB for
// switchHoldFrames in a row, so a cough or a short overlap does not flip the layout.
const (
	levelWindowFrames = 15   // 15 x 20 ms = 300 ms
	speechFloorDBFS   = -50  // below this a source is background noise
	switchMarginDB    = 6    // a challenger must be this much louder than the speaker…
	switchHoldFrames  = 50   // …for this many consecutive frames (1 s)
	silenceDBFS       = -127 // the level of digital silence (as RTP audio levels cap it)
)

// levelMeter keeps the energy of the last levelWindowFrames frames of one source.
type levelMeter struct {
	energy [levelWindowFrames]float64
	next   int
}

// add records one frame of samples.
func (m *levelMeter) add(frame []int16) {
	var e float64
	for _, s := range frame {
		e += float64(s) * float64(s)
	}
	m.energy[m.next] = e
	m.next = (m.next + 1) % levelWindowFrames
}

// dBFS returns the RMS level of the window relative to a full-scale square wave.
func (m *levelMeter) dBFS() float64 {
	var sum float64
	for _, e := range m.energy {
		sum += e
	}
	ms := sum / (levelWindowFrames * FrameSamples * 32768 * 32768)
	if ms <= 0 {
		return silenceDBFS
	}
	return max(10*math.Log10(ms), silenceDBFS)
}

// speakerDetector picks the active speaker from per-source levels with hysteresis. It is
// owned by the audio tick. Sources are identified by their index in the current roster;
// the caller remaps on roster change through reset.
type speakerDetector struct {
	current    ParticipantID
	challenger ParticipantID
	held       int
}

// update takes the levels of this frame (ids[i] at levels[i] dBFS) and returns the speaker.
// A first speaker is taken at once; the last speaker stays while everyone is silent.
func (d *speakerDetector) update(ids []ParticipantID, levels []float64) ParticipantID {
	loud, loudLevel := -1, float64(speechFloorDBFS)
	cur := -1
	for i, l := range levels {
		if l > loudLevel {
			loud, loudLevel = i, l
		}
		if ids[i] == d.current {
			cur = i
		}
	}
	switch {
	case cur < 0: // no speaker yet, or they left
		d.current, d.challenger, d.held = "", "", 0
		if loud >= 0 {
			d.current = ids[loud]
		}
	case loud >= 0 && loud != cur && loudLevel >= levels[cur]+switchMarginDB:
		if d.challenger != ids[loud] {
			d.challenger, d.held = ids[loud], 0
		}
		d.held++
		if d.held >= switchHoldFrames {
			d.current, d.challenger, d.held = ids[loud], "", 0
		}
	default:
		d.challenger, d.held = "", 0
	}
	return d.current
}
