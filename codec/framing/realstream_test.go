package framing

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The streams in testdata were written by libvpx and libx264 (see testdata/README.md):
// 12 frames of 320x240, a keyframe every 6.

// readIVF returns the frames of an IVF file and its 32-byte header.
func readIVF(t *testing.T, path string) (header []byte, frames [][]byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 32 || string(b[:4]) != "DKIF" {
		t.Fatalf("%s is not IVF", path)
	}
	header, b = b[:32], b[32:]
	for len(b) >= 12 {
		n := int(binary.LittleEndian.Uint32(b))
		frames = append(frames, b[12:12+n])
		b = b[12+n:]
	}
	return header, frames
}

func writeIVF(t *testing.T, path string, header []byte, frames []Frame) {
	t.Helper()
	out := append([]byte(nil), header...)
	for i, f := range frames {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(f.Data)))
		out = binary.LittleEndian.AppendUint64(out, uint64(i))
		out = append(out, f.Data...)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readAnnexBAccessUnits cuts an Annex-B stream at its access unit delimiters.
func readAnnexBAccessUnits(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nals, err := splitAnnexB(b, nil) // AUDs are left out of nals
	if err != nil {
		t.Fatal(err)
	}
	// An access unit ends where an AUD sits between two NAL units. The assembler
	// writes 4-byte start codes and drops AUDs, so the expected frames do too.
	var aus [][]byte
	var cur []byte
	for i, n := range nals {
		cur = append(cur, 0, 0, 0, 1)
		cur = append(cur, b[n.start:n.end]...)
		if i == len(nals)-1 || bytes.Contains(b[n.end:nals[i+1].start], []byte{0, 0, 1, nalAUD}) {
			aus = append(aus, cur)
			cur = nil
		}
	}
	return aus
}

func realStream(t *testing.T, c Codec) (header []byte, stream []testFrame) {
	var frames [][]byte
	if c == VP8 {
		header, frames = readIVF(t, "testdata/testsrc-vp8.ivf")
	} else {
		frames = readAnnexBAccessUnits(t, "testdata/testsrc-h264.264")
	}
	if len(frames) != 12 {
		t.Fatalf("%d frames in the %s test stream, want 12", len(frames), c)
	}
	for i, f := range frames {
		stream = append(stream, testFrame{f, i%6 == 0})
	}
	return header, stream
}

// Real encoder output goes through packetizer and assembler unchanged, with keyframes
// recognised where the encoder put them.
func TestRealStreamRoundTrip(t *testing.T) {
	for _, c := range videoCodecs {
		t.Run(c.String(), func(t *testing.T) {
			_, stream := realStream(t, c)
			pkts := packetize(t, c, 65530, stream)
			for i := 0; i+1 < len(pkts); i += 4 { // some reordering on the way
				pkts[i], pkts[i+1] = pkts[i+1], pkts[i]
			}
			a := NewAssembler(c, newTestClock().now)
			wantFrames(t, feed(t, a, pkts), stream, all(len(stream))...)
		})
	}
}

// After a loss the assembler hands out only what a real decoder can decode: ffmpeg
// decodes the surviving frames without a single error, and they are the same pictures
// as the decoded original (frame MD5s).
func TestRealStreamDecodesAfterLoss(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	for _, c := range videoCodecs {
		t.Run(c.String(), func(t *testing.T) {
			header, stream := realStream(t, c)
			frames := packetsPerFrame(packetize(t, c, 100, stream))
			clk := newTestClock()
			a := NewAssembler(c, clk.now)
			var got []Frame
			for i, f := range frames {
				for j, p := range f {
					if i == 2 && j == len(f)/2 { // one packet of frame 2 is lost
						continue
					}
					clk.advance(5 * time.Millisecond)
					if err := a.Push(p); err != nil {
						t.Fatal(err)
					}
					got = append(got, popAll(a)...)
				}
				clk.advance(100 * time.Millisecond)
				got = append(got, popAll(a)...)
			}
			want := []int{0, 1, 6, 7, 8, 9, 10, 11}
			wantFrames(t, got, stream, want...)

			dir := t.TempDir()
			orig, out := filepath.Join(dir, "orig"), filepath.Join(dir, "out")
			if c == VP8 {
				var all []Frame
				for _, f := range stream {
					all = append(all, Frame{Data: f.data})
				}
				writeIVF(t, orig+".ivf", header, all)
				writeIVF(t, out+".ivf", header, got)
				orig, out = orig+".ivf", out+".ivf"
			} else {
				var all, kept []byte
				for _, f := range stream {
					all = append(all, f.data...)
				}
				for _, f := range got {
					kept = append(kept, f.Data...)
				}
				orig, out = orig+".264", out+".264"
				if err := os.WriteFile(orig, all, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(out, kept, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			origMD5 := decodeMD5s(t, ffmpeg, orig)
			outMD5 := decodeMD5s(t, ffmpeg, out)
			if len(outMD5) != len(want) {
				t.Fatalf("ffmpeg decoded %d of the %d frames handed out", len(outMD5), len(want))
			}
			for n, i := range want {
				if outMD5[n] != origMD5[i] {
					t.Errorf("frame %d decodes to another picture than the original", i)
				}
			}
		})
	}
}

// decodeMD5s decodes a file with ffmpeg and returns one MD5 per picture. Any message
// from the decoder fails the test.
func decodeMD5s(t *testing.T, ffmpeg, path string) []string {
	t.Helper()
	cmd := exec.Command(ffmpeg, "-nostdin", "-v", "error", "-i", path, "-f", "framemd5", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("ffmpeg decoding %s: %v\n%s", filepath.Base(path), err, stderr.String())
	}
	var md5s []string
	for _, line := range bytes.Split(outb, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		f := bytes.Split(line, []byte(","))
		md5s = append(md5s, string(bytes.TrimSpace(f[len(f)-1])))
	}
	return md5s
}
