package framing

import "errors"

// Errors returned (wrapped, with the packet's sequence number or the frame's size) by
// Assembler.Push and Packetizer.Packetize. Test with errors.Is.
var (
	// ErrUnsupportedCodec: the Codec given to the constructor cannot be used there.
	ErrUnsupportedCodec = errors.New("unsupported codec")
	// ErrShortPayload: the payload ends before the header it announces.
	ErrShortPayload = errors.New("payload too short")
	// ErrBadPayload: the payload header is malformed or uses a feature nahbar does not negotiate.
	ErrBadPayload = errors.New("malformed payload")
	// ErrPacketTooLarge: an RTP payload larger than MaxPacketPayload.
	ErrPacketTooLarge = errors.New("packet payload too large")
	// ErrFrameTooLarge: a frame grew beyond MaxFrameSize; it is dropped.
	ErrFrameTooLarge = errors.New("frame too large")
	// ErrEmptyFrame: Packetize was given nothing to send.
	ErrEmptyFrame = errors.New("empty frame")
)
