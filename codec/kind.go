package codec

// Kind names a media codec the MCU speaks. It is shared by the decoders, encoders and the
// RTP (de)packetizers in codec/framing so they agree on what a payload is.
type Kind int

// The codecs WebRTC browsers offer and the MCU supports.
const (
	KindVP8 Kind = iota + 1
	KindH264
	KindOpus
)

// String returns the lower-case codec name ("vp8", "h264", "opus"), as used in logs.
func (k Kind) String() string {
	switch k {
	case KindVP8:
		return "vp8"
	case KindH264:
		return "h264"
	case KindOpus:
		return "opus"
	default:
		return "unknown"
	}
}
