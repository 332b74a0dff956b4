package bench

import (
	"encoding/binary"
	"fmt"
	"io"
)

// writeIVF writes VP8 frames as an IVF file (the container ffmpeg reads raw
// VP8 from): a 32-byte header, then per frame a 12-byte header and the data.
func writeIVF(w io.Writer, width, height, fps int, frames [][]byte) error {
	var h [32]byte
	copy(h[0:4], "DKIF")
	binary.LittleEndian.PutUint16(h[6:], 32)
	copy(h[8:12], "VP80")
	binary.LittleEndian.PutUint16(h[12:], uint16(width))
	binary.LittleEndian.PutUint16(h[14:], uint16(height))
	binary.LittleEndian.PutUint32(h[16:], uint32(fps)) // time base: 1/fps
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(len(frames)))
	if _, err := w.Write(h[:]); err != nil {
		return fmt.Errorf("write ivf header: %w", err)
	}
	for i, f := range frames {
		var fh [12]byte
		binary.LittleEndian.PutUint32(fh[0:], uint32(len(f)))
		binary.LittleEndian.PutUint64(fh[4:], uint64(i))
		if _, err := w.Write(fh[:]); err != nil {
			return fmt.Errorf("write ivf frame %d: %w", i, err)
		}
		if _, err := w.Write(f); err != nil {
			return fmt.Errorf("write ivf frame %d: %w", i, err)
		}
	}
	return nil
}
