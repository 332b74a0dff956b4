// Package codec wraps FFmpeg (through go-astiav v0.16.0) into the few media tools the MCU
// needs: VP8/H.264 video decoders and encoders, an Opus decoder and encoder, a YUV420
// scaler and picture pools. Pictures are Go-owned *image.YCbCr (4:2:0) and audio is 48 kHz
// mono int16, so nothing outside this package touches cgo. The per-frame paths reuse their
// C objects and Go buffers and allocate nothing in steady state.
//
// Every type here is owned by one goroutine at a time (FFmpeg contexts are not safe to
// share) and frees its C objects in Close, which is idempotent.
package codec
