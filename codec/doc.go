// Package codec wraps FFmpeg (through go-astiav v0.16.0) into the few media tools the MCU
// needs: VP8/H.264 video decoders and encoders, an Opus decoder and encoder, a YUV420
// scaler and picture pools. Pictures are Go-owned *image.YCbCr (4:2:0) and audio is 48 kHz
// mono int16, so nothing outside this package touches cgo.
//
// go-astiav sets the codecs up (finding them, configuring and opening the contexts, with
// every option checked to have been consumed). The per-frame work runs through a small C
// layer (nbav.c) that sends, receives and copies planes and packets between FFmpeg and Go
// memory in one cgo call, so the hot paths allocate nothing on the Go heap in steady state
// (TestHotPathsDoNotAllocate, and the -benchmem benchmarks in bench_test.go).
//
// Every type here is owned by one goroutine at a time (FFmpeg contexts are not safe to
// share) and frees its C objects in Close, which is idempotent. FFmpeg's own log lines go
// to stderr unless SetLogger routes them.
package codec
