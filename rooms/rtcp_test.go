package rooms

import (
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/pion/rtcp"
)

func TestReceiverCodec(t *testing.T) {
	const head = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	tests := []struct {
		name, sdp string
		want      codec.Kind
	}{
		{"vp8 and h264", head + "m=video 9 UDP/TLS/RTP/SAVPF 96 102\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:102 H264/90000\r\n", codec.KindVP8},
		{"h264 only (Safari)", head + "m=video 9 UDP/TLS/RTP/SAVPF 102 103\r\na=rtpmap:102 H264/90000\r\na=rtpmap:103 rtx/90000\r\n", codec.KindH264},
		{"audio only", head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n", codec.KindVP8},
		{"garbage", "hello", codec.KindVP8},
	}
	for _, tt := range tests {
		if got := receiverCodec(tt.sdp); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestReceiverReportRTT(t *testing.T) {
	var l linkStats
	arrival := time.Unix(1_700_000_000, 0)
	sent := arrival.Add(-180 * time.Millisecond) // our SR went out 180 ms ago
	held := 30 * time.Millisecond                // the receiver held it this long
	l.onReceiverReport(rtcp.ReceptionReport{
		SSRC: 1, FractionLost: 64, Jitter: 900, // 10 ms at 90 kHz
		LastSenderReport: uint32(ntpTime(sent) >> 16),
		Delay:            uint32(held * 65536 / time.Second),
	}, 90000, arrival)
	if rtt := l.rtt(); rtt < 149*time.Millisecond || rtt > 151*time.Millisecond {
		t.Errorf("rtt %v, want 150 ms", rtt)
	}
	if loss := l.loss(); loss != 0.125 { // a quarter, smoothed by half from 0
		t.Errorf("loss %v, want 0.125", loss)
	}
	if j := l.jitter(); j != 10*time.Millisecond {
		t.Errorf("jitter %v, want 10 ms (900 ticks at 90 kHz)", j)
	}
	l.onReceiverReport(rtcp.ReceptionReport{SSRC: 1, Jitter: 240, LastSenderReport: uint32(ntpTime(arrival.Add(time.Second)) >> 16)}, 48000, arrival)
	if j := l.jitter(); j != 5*time.Millisecond {
		t.Errorf("audio jitter %v, want 5 ms (240 ticks at 48 kHz)", j)
	}
	if rtt := l.rtt(); rtt < 149*time.Millisecond || rtt > 151*time.Millisecond {
		t.Errorf("a report from the future changed the rtt to %v", rtt)
	}
}

// FuzzReceiverCodec: any offer picks a codec without panicking.
func FuzzReceiverCodec(f *testing.F) {
	f.Add("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=rtpmap:102 H264/90000\r\n")
	f.Add("v=0\r\nm=video 9 RTP 1\r\na=rtpmap:\r\na=rtpmap:1\r\na=rtpmap:1 /\r\n")
	f.Fuzz(func(t *testing.T, sdp string) {
		if k := receiverCodec(sdp); k != codec.KindVP8 && k != codec.KindH264 {
			t.Fatalf("codec %v", k)
		}
	})
}

// FuzzHandleRTCP: whatever RTCP a receiver sends, its link stats stay sane.
func FuzzHandleRTCP(f *testing.F) {
	rr, _ := (&rtcp.ReceiverReport{SSRC: 9, Reports: []rtcp.ReceptionReport{{SSRC: 42, FractionLost: 10, LastSenderReport: 5, Delay: 7}}}).Marshal()
	pli, _ := (&rtcp.PictureLossIndication{MediaSSRC: 42}).Marshal()
	f.Add(rr)
	f.Add(pli)
	f.Add(append(rr, pli...))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkts, err := rtcp.Unmarshal(b)
		if err != nil {
			return
		}
		p := &Participant{}
		p.handleRTCP(pkts, 42, 90000)
		if loss := p.link.loss(); loss < 0 || loss > 1 {
			t.Fatalf("loss %v", loss)
		}
		if p.link.rtt() < 0 {
			t.Fatalf("rtt %v", p.link.rtt())
		}
		if p.link.jitter() < 0 {
			t.Fatalf("jitter %v", p.link.jitter())
		}
	})
}
