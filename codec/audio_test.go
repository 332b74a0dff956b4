package codec

import (
	"errors"
	"math"
	"testing"

	"github.com/asticode/go-astiav"
)

// tone returns n samples of a sine at freq Hz and amplitude amp, starting at sample off.
func tone(freq float64, amp float64, off, n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(off+i)/SampleRate))
	}
	return pcm
}

// goertzel returns the power of pcm at freq Hz.
func goertzel(pcm []int16, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/SampleRate)
	var s1, s2 float64
	for _, x := range pcm {
		s := float64(x) + k*s1 - s2
		s2, s1 = s1, s
	}
	return s1*s1 + s2*s2 - k*s1*s2
}

// assertTone checks that 440 Hz dominates pcm and that its level is near amp.
func assertTone(t *testing.T, pcm []int16, amp float64) {
	t.Helper()
	p440 := goertzel(pcm, 440)
	for _, f := range []float64{220, 880, 1000, 2000, 3000} {
		if p := goertzel(pcm, f); p*100 > p440 {
			t.Errorf("power at %.0f Hz is %.2g, more than 1%% of 440 Hz (%.2g)", f, p, p440)
		}
	}
	var sum float64
	for _, x := range pcm {
		sum += float64(x) * float64(x)
	}
	rms, want := math.Sqrt(sum/float64(len(pcm))), amp/math.Sqrt2
	if rms < want*0.8 || rms > want*1.2 {
		t.Errorf("rms %.0f, want %.0f ± 20%%", rms, want)
	}
}

func newOpusPairT(t *testing.T) (*AudioEncoder, *AudioDecoder) {
	t.Helper()
	e, err := NewOpusEncoder(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	d, err := NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return e, d
}

func TestOpusRoundTripKeepsTone(t *testing.T) {
	e, d := newOpusPairT(t)
	const frames = 50 // 1 s
	var decoded []int16
	out := make([]byte, 1500)
	pcm := make([]int16, MaxFrameSamples)
	total := 0
	for i := 0; i < frames; i++ {
		n, err := e.Encode(tone(440, 10000, i*FrameSamples, FrameSamples), out)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("frame %d: no packet", i)
		}
		total += n
		m, err := d.Decode(out[:n], pcm)
		if err != nil {
			t.Fatal(err)
		}
		if m != FrameSamples {
			t.Fatalf("frame %d: decoded %d samples, want %d", i, m, FrameSamples)
		}
		decoded = append(decoded, pcm[:m]...)
	}
	// Skip the first 100 ms: encoder delay and the codec settling.
	assertTone(t, decoded[5*FrameSamples:], 10000)
	if kbps := total * 8 / 1000; kbps < 12 || kbps > 36 {
		t.Errorf("1 s of tone took %d kbit, want about 24", kbps)
	}
}

func TestOpusDecodeStereoDownmix(t *testing.T) {
	// What a browser may send: Opus with 2 coded channels. Encode a stereo stream with
	// libopus directly and check the mono output keeps the tone at the average level.
	c := astiav.FindEncoderByName("libopus")
	cc := astiav.AllocCodecContext(c)
	defer cc.Free()
	cc.SetSampleRate(SampleRate)
	cc.SetSampleFormat(astiav.SampleFormatS16)
	cc.SetChannelLayout(astiav.ChannelLayoutStereo)
	cc.SetBitRate(64000)
	if err := cc.Open(c, nil); err != nil {
		t.Fatal(err)
	}
	f := astiav.AllocFrame()
	defer f.Free()
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	d, err := NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	pcm := make([]int16, MaxFrameSamples)
	var decoded []int16
	for i := 0; i < 25; i++ {
		f.Unref()
		f.SetSampleFormat(astiav.SampleFormatS16)
		f.SetChannelLayout(astiav.ChannelLayoutStereo)
		f.SetSampleRate(SampleRate)
		f.SetNbSamples(FrameSamples)
		if err := f.AllocBuffer(0); err != nil {
			t.Fatal(err)
		}
		// Left carries the tone at 12000, right at 4000: mono should be ~8000.
		l, r := tone(440, 12000, i*FrameSamples, FrameSamples), tone(440, 4000, i*FrameSamples, FrameSamples)
		inter := make([]byte, 4*FrameSamples)
		for j := range l {
			inter[4*j], inter[4*j+1] = byte(l[j]), byte(uint16(l[j])>>8)
			inter[4*j+2], inter[4*j+3] = byte(r[j]), byte(uint16(r[j])>>8)
		}
		plane, err := framePlane(f, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		copy(plane, inter)
		f.SetPts(int64(i * FrameSamples))
		if err := cc.SendFrame(f); err != nil {
			t.Fatal(err)
		}
		for cc.ReceivePacket(pkt) == nil {
			n, err := d.Decode(pkt.Data(), pcm)
			if err != nil {
				t.Fatal(err)
			}
			decoded = append(decoded, pcm[:n]...)
			pkt.Unref()
		}
	}
	if len(decoded) < 20*FrameSamples {
		t.Fatalf("decoded %d samples", len(decoded))
	}
	assertTone(t, decoded[5*FrameSamples:], 8000)
}

func TestOpusConceal(t *testing.T) {
	e, d := newOpusPairT(t)
	pcm := make([]int16, MaxFrameSamples)
	// Before any packet: one frame of silence.
	n, err := d.Conceal(pcm)
	if err != nil || n != FrameSamples {
		t.Fatalf("conceal before decode: %d, %v", n, err)
	}
	for _, s := range pcm[:n] {
		if s != 0 {
			t.Fatal("conceal before any packet is not silent")
		}
	}
	out := make([]byte, 1500)
	for i := 0; i < 10; i++ {
		m, err := e.Encode(tone(440, 10000, i*FrameSamples, FrameSamples), out)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Decode(out[:m], pcm); err != nil {
			t.Fatal(err)
		}
	}
	// Each concealed frame is quieter than the one before, and it ends in silence.
	prev := math.Inf(1)
	for i := 0; i < 6; i++ {
		n, err := d.Conceal(pcm)
		if err != nil || n != FrameSamples {
			t.Fatalf("conceal %d: %d, %v", i, n, err)
		}
		e := goertzel(pcm[:n], 440)
		if i < 4 && (e == 0 || e >= prev) {
			t.Errorf("concealed frame %d: 440 Hz power %.3g, previous %.3g; want falling, non-zero", i, e, prev)
		}
		prev = e
	}
	if prev != 0 {
		t.Errorf("after 6 concealed frames power %.3g, want silence", prev)
	}
	if _, err := d.Conceal(make([]int16, 10)); err == nil {
		t.Error("conceal into a short buffer succeeded")
	}
}

func TestOpusBadInput(t *testing.T) {
	e, d := newOpusPairT(t)
	pcm := make([]int16, MaxFrameSamples)
	for _, tc := range []struct {
		name string
		pkt  []byte
	}{
		{"empty", nil},
		{"bad TOC code 3 without count", []byte{0x03}},
		{"code 3 with frame count 0", []byte{0xfb, 0x00}},
	} {
		if _, err := d.Decode(tc.pkt, pcm); err == nil {
			t.Errorf("%s: decoded without error", tc.name)
		} else if tc.pkt != nil && !errors.As(err, new(astiav.Error)) {
			t.Errorf("%s: %v does not wrap an FFmpeg error", tc.name, err)
		}
	}
	// Still works after bad input.
	out := make([]byte, 1500)
	n, err := e.Encode(tone(440, 10000, 0, FrameSamples), out)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := d.Decode(out[:n], pcm); err != nil || m != FrameSamples {
		t.Fatalf("good packet after bad ones: %d, %v", m, err)
	}
	if _, err := e.Encode(make([]int16, 100), out); err == nil {
		t.Error("short pcm encoded")
	}
	if _, err := e.Encode(make([]int16, FrameSamples), make([]byte, 1)); err == nil {
		t.Error("encode into 1 byte succeeded")
	}
	if _, err := NewOpusEncoder(1); err == nil {
		t.Error("1 kbit/s accepted")
	}
	e.Close()
	e.Close()
	d.Close()
	d.Close()
	if _, err := d.Decode([]byte{0xf8, 0xff, 0xfe}, pcm); err == nil {
		t.Error("closed decoder decoded")
	}
}
