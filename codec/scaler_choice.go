package codec

// #cgo pkg-config: libswscale
// #include <libswscale/swscale.h>
import "C"

// scaleFlagChoices are the swscale filters compared by TestScaleQuality and
// BenchmarkScaleFlags, the measurement behind defaultScaleFlags.
var scaleFlagChoices = []struct {
	name  string
	flags C.int
}{
	{"fast-bilinear", C.SWS_FAST_BILINEAR},
	{"bilinear", C.SWS_BILINEAR},
	{"area", C.SWS_AREA},
	{"bicubic", C.SWS_BICUBIC},
}

// scaleReferenceFlags is the slow, high-quality filter TestScaleQuality compares against.
const scaleReferenceFlags = C.SWS_LANCZOS | C.SWS_ACCURATE_RND | C.SWS_FULL_CHR_H_INT
