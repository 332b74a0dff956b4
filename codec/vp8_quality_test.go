package codec

import (
	"os"
	"testing"
)

// TestVP8CPUUsedQuality is the quality half of the cpu-used choice (BenchmarkVP8CPUUsed is
// the speed half): it encodes the camera-like clip at the top tier for each setting and
// reports the mean luma PSNR of what a receiver decodes. The chosen setting must stay
// within 1 dB of cpu-used 6. By default it checks the top tier only; set
// NAHBAR_CODEC_MEASURE=1 to sweep every tier and setting (about 10 s):
//
//	NAHBAR_CODEC_MEASURE=1 go test -v -run VP8CPUUsedQuality ./codec
func TestVP8CPUUsedQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	tiers, settings := benchTiers[:1], []int{6, vp8CPUUsed}
	if os.Getenv("NAHBAR_CODEC_MEASURE") != "" {
		tiers, settings = benchTiers, []int{6, 8, 10, 12, 14, 16}
	}
	for _, cfg := range tiers {
		measureVP8CPUUsed(t, cfg, settings)
	}
}

func measureVP8CPUUsed(t *testing.T, cfg VideoEncoderConfig, settings []int) {
	clip := benchClip(cfg.Width, cfg.Height, 30)
	psnr := map[int]float64{}
	for _, cpu := range settings {
		e, err := newVideoEncoder(cfg, "libvpx", vp8Options(cfg, cpu))
		if err != nil {
			t.Fatal(err)
		}
		d := newDecoderT(t, KindVP8)
		var sum float64
		var bytes int
		for i, pic := range clip {
			f, err := e.Encode(pic, i == 0)
			if err != nil {
				t.Fatal(err)
			}
			bytes += len(f.Data)
			got, err := d.Decode(f.Data)
			if err != nil || got == nil {
				t.Fatalf("cpu-used %d frame %d: %v %v", cpu, i, got, err)
			}
			sum += psnrY(t, pic, got)
		}
		e.Close()
		psnr[cpu] = sum / float64(len(clip))
		t.Logf("%dx%d@%d cpu-used=%-2d mean PSNR %.2f dB, %d kbit/s", cfg.Width, cfg.Height, cfg.BitrateKbps, cpu, psnr[cpu], bytes*8*cfg.FPS/len(clip)/1000)
	}
	if psnr[vp8CPUUsed] < psnr[6]-1 {
		t.Errorf("%dx%d: cpu-used %d: %.2f dB, more than 1 dB below cpu-used 6 (%.2f)", cfg.Width, cfg.Height, vp8CPUUsed, psnr[vp8CPUUsed], psnr[6])
	}
}
