package bench

import (
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/internal/testpeer"
)

// SourceInfo says who a participant is to the analyser: the index its stamps
// carry and whether they carry real send times (live) or a replayed clip's.
type SourceInfo struct {
	Index uint8
	Live  bool
	// EncodeMs, if set, is the camera's encode time of a frame: latency minus
	// it is the time from sending to seeing.
	EncodeMs func(frame uint16) uint32
}

// Directory maps participant ids to sources. The scenario publishes a new
// snapshot whenever a publisher joins; analysers read the current one.
type Directory struct {
	m atomic.Pointer[map[string]SourceInfo]
}

// Set adds or replaces id (copy on write: readers keep their snapshot).
func (d *Directory) Set(id string, s SourceInfo) {
	for {
		old := d.m.Load()
		next := make(map[string]SourceInfo, 1)
		if old != nil {
			for k, v := range *old {
				next[k] = v
			}
		}
		next[id] = s
		if d.m.CompareAndSwap(old, &next) {
			return
		}
	}
}

// Lookup returns id's source.
func (d *Directory) Lookup(id string) (SourceInfo, bool) {
	m := d.m.Load()
	if m == nil {
		return SourceInfo{}, false
	}
	s, ok := (*m)[id]
	return s, ok
}

// AnalyserConfig configures an Analyser.
type AnalyserConfig struct {
	Sources *Directory
	// Now is the receiving side's clock; stamps' send times come from the
	// same machine's clock, so their difference is the end-to-end latency.
	Now func() time.Time
	// PSNREvery compares one decoded picture in this many with the expected
	// one (0: never); drawing the expected picture costs a few ms.
	PSNREvery int
}

// Analyser reads the stamps in every cell of a receiver's decoded pictures:
// per source the end-to-end latency of each new frame, whether the cell shows
// the participant the layout says, and now and then the PSNR of the whole
// picture against the expected one. Frame is called from the receiver's video
// goroutine; the counters are read with Snapshot from any goroutine.
type Analyser struct {
	cfg      AnalyserConfig
	exp      *Expected // created on first use, owned by the video goroutine
	want     *image.YCbCr
	places   []Placement
	lastSeen [256]int32 // last frame number seen per source, -1 before the first
	frames   int

	measuring atomic.Bool

	mu  sync.Mutex // guards res
	res AnalysisResult
}

// AnalysisResult is what an Analyser measured while measuring was on.
type AnalysisResult struct {
	Frames           int       // decoded pictures analysed
	Cells            int       // cells looked at
	StampsRead       int       // cells whose stamp was read
	Unreadable       int       // cells with no readable stamp
	LayoutMismatches int       // cells showing another source than the layout says
	Unknown          int       // cells of participants the directory does not know
	FreshFrames      int       // new source frames seen (first sight of a stamp)
	Repeats          int       // cells showing the same source frame as the last picture
	BadTimes         int       // stamps whose send time lies in the future or too far back
	Latency          Histogram // ms from stamp to decoded picture, first sight of each live frame
	FromSend         Histogram // the same minus the camera's encode time (when known)
	PSNRSum          float64
	PSNRMin          float64
	PSNRCount        int
	LastMismatch     string
}

// NewAnalyser returns an analyser; Close frees what it allocated in C.
func NewAnalyser(cfg AnalyserConfig) *Analyser {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sources == nil {
		cfg.Sources = &Directory{}
	}
	a := &Analyser{cfg: cfg}
	for i := range a.lastSeen {
		a.lastSeen[i] = -1
	}
	return a
}

// SetMeasuring turns counting on or off (off while participants join or
// leave, when the layout legitimately lags the picture).
func (a *Analyser) SetMeasuring(on bool) { a.measuring.Store(on) }

// Reset clears the results (between the windows of a ramp).
func (a *Analyser) Reset() {
	a.mu.Lock()
	a.res = AnalysisResult{}
	a.mu.Unlock()
}

// Snapshot returns a copy of the results so far.
func (a *Analyser) Snapshot() AnalysisResult {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.res
}

// Close frees the expected-picture builder. Call it after the last Frame.
func (a *Analyser) Close() {
	if a.exp != nil {
		a.exp.Close()
	}
}

// maxLatency bounds what counts as a latency; a stamp older than this (or
// from the future, which unwraps to ~4.6 hours) is a bad time.
const maxLatency = 60 * time.Second

// Frame analyses one decoded picture with the layout in force.
func (a *Analyser) Frame(pic *image.YCbCr, l testpeer.Layout) error {
	now := a.cfg.Now()
	if !a.measuring.Load() {
		return nil
	}
	nowMs := uint32(now.UnixMilli() % StampTimeModulo)
	var r AnalysisResult
	r.Frames = 1
	a.places = a.places[:0]
	complete := true
	var lat, fromSend [16]float64
	nlat, nsend := 0, 0
	w, h := pic.Rect.Dx(), pic.Rect.Dy()
	for _, c := range l.Cells {
		r.Cells++
		src, known := a.cfg.Sources.Lookup(c.ParticipantID)
		if !known {
			r.Unknown++
		}
		rect := FitPicture(CellPixels(c, w, h), SourceWidth, SourceHeight).Add(pic.Rect.Min)
		s, err := ReadStamp(pic, rect)
		if err != nil {
			r.Unreadable++
			complete = false
			continue
		}
		r.StampsRead++
		a.places = append(a.places, Placement{Stamp: s, Picture: rect})
		if known && s.Source != src.Index {
			r.LayoutMismatches++
			r.LastMismatch = fmt.Sprintf("cell of %s (source %d) shows source %d", c.ParticipantID, src.Index, s.Source)
			continue
		}
		if a.lastSeen[s.Source] == int32(s.Frame) {
			r.Repeats++
			continue
		}
		a.lastSeen[s.Source] = int32(s.Frame)
		r.FreshFrames++
		if !known || !src.Live {
			continue
		}
		d := time.Duration((nowMs-s.SentMs)%StampTimeModulo) * time.Millisecond
		if d > maxLatency {
			r.BadTimes++
			continue
		}
		ms := float64(d) / float64(time.Millisecond)
		if nlat < len(lat) {
			lat[nlat] = ms
			nlat++
		}
		if src.EncodeMs != nil && nsend < len(fromSend) {
			fromSend[nsend] = ms - float64(src.EncodeMs(s.Frame))
			nsend++
		}
	}
	a.frames++
	psnr, havePSNR := 0.0, false
	if complete && len(a.places) > 0 && a.cfg.PSNREvery > 0 && a.frames%a.cfg.PSNREvery == 0 {
		p, err := a.psnr(pic)
		if err != nil {
			return err
		}
		psnr, havePSNR = p, true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.res.Frames += r.Frames
	a.res.Cells += r.Cells
	a.res.StampsRead += r.StampsRead
	a.res.Unreadable += r.Unreadable
	a.res.LayoutMismatches += r.LayoutMismatches
	a.res.Unknown += r.Unknown
	a.res.FreshFrames += r.FreshFrames
	a.res.Repeats += r.Repeats
	a.res.BadTimes += r.BadTimes
	if r.LastMismatch != "" {
		a.res.LastMismatch = r.LastMismatch
	}
	for _, v := range lat[:nlat] {
		a.res.Latency.Add(v)
	}
	for _, v := range fromSend[:nsend] {
		a.res.FromSend.Add(v)
	}
	if havePSNR {
		if a.res.PSNRCount == 0 || psnr < a.res.PSNRMin {
			a.res.PSNRMin = psnr
		}
		a.res.PSNRSum += psnr
		a.res.PSNRCount++
	}
	return nil
}

func (a *Analyser) psnr(pic *image.YCbCr) (float64, error) {
	if a.exp == nil {
		a.exp = NewExpected()
	}
	if a.want == nil || a.want.Rect.Size() != pic.Rect.Size() {
		a.want = codec.NewPicture(even(pic.Rect.Dx()), even(pic.Rect.Dy()))
	}
	places := a.places
	if !pic.Rect.Min.Eq(image.Point{}) {
		for i := range places {
			places[i].Picture = places[i].Picture.Sub(pic.Rect.Min)
		}
	}
	if err := a.exp.Build(a.want, places); err != nil {
		return 0, err
	}
	return PSNR(pic, a.want)
}
