package codec

// #include <stdint.h>
import "C"

import "image"

// picturePtrs returns the addresses of pic's top-left Y, Cb and Cr samples (pic may be a
// sub-image). Callers have checked the planes with checkPlanes.
func picturePtrs(pic *image.YCbCr) (y, u, v *C.uint8_t) {
	yo := pic.YOffset(pic.Rect.Min.X, pic.Rect.Min.Y)
	co := pic.COffset(pic.Rect.Min.X, pic.Rect.Min.Y)
	return planePtr(pic.Y, yo), planePtr(pic.Cb, co), planePtr(pic.Cr, co)
}
