package codec

import (
	"fmt"
	"sync"
	"testing"
)

// TestCodecsInParallel runs one encoder/decoder pair per goroutine, as the MCU does (one per
// (view, tier) and per source): FFmpeg's and go-astiav's global state must be safe for it.
func TestCodecsInParallel(t *testing.T) {
	clip := benchClip(160, 90, 8)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := []Kind{KindVP8, KindH264}[g%2]
			e, err := NewVideoEncoder(VideoEncoderConfig{k, 160, 90, 15, 100})
			if err != nil {
				errs <- err
				return
			}
			defer e.Close()
			d, err := NewVideoDecoder(k)
			if err != nil {
				errs <- err
				return
			}
			defer d.Close()
			oe, err := NewOpusEncoder(0)
			if err != nil {
				errs <- err
				return
			}
			defer oe.Close()
			s := NewScaler()
			defer s.Close()
			small := NewPicture(80, 44)
			out := make([]byte, 1500)
			for i, pic := range clip {
				f, err := e.Encode(pic, i == 0)
				if err != nil {
					errs <- err
					return
				}
				got, err := d.Decode(f.Data)
				if err != nil || got == nil {
					errs <- fmt.Errorf("goroutine %d frame %d: %v %v", g, i, got, err)
					return
				}
				if err := s.Scale(small, got); err != nil {
					errs <- err
					return
				}
				if _, err := oe.Encode(tone(440, 8000, i*FrameSamples, FrameSamples), out); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
