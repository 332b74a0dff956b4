package rooms

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestDecodeMessageValid(t *testing.T) {
	const sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"
	tests := []struct {
		name string
		in   string
		want Message
	}{
		{"join", `{"type":"join","v":1,"token":"abc","client":{"agent":"test"}}`,
			Message{Type: TypeJoin, V: 1, Token: "abc", Client: &ClientInfo{Agent: "test"}}},
		{"joined", `{"type":"joined","participant_id":"p1","room_id":"r1","role":"citizen","name":"Ada"}`,
			Message{Type: TypeJoined, ParticipantID: "p1", RoomID: "r1", Role: RoleCitizen, Name: "Ada"}},
		{"offer", `{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}`, Message{Type: TypeOffer, SDP: sdp}},
		{"answer", `{"type":"answer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}`, Message{Type: TypeAnswer, SDP: sdp}},
		{"candidate", `{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`,
			Message{Type: TypeCandidate, Candidate: &Candidate{Candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", SDPMid: ptr("0"), SDPMLineIndex: ptr(uint16(0))}}},
		{"end of candidates null", `{"type":"candidate","candidate":null}`, Message{Type: TypeCandidate}},
		{"end of candidates empty", `{"type":"candidate","candidate":{"candidate":""}}`,
			Message{Type: TypeCandidate, Candidate: &Candidate{}}},
		{"mute video", `{"type":"mute","video":true}`, Message{Type: TypeMute, Video: ptr(true)}},
		{"mute both", `{"type":"mute","audio":false,"video":false}`, Message{Type: TypeMute, Audio: ptr(false), Video: ptr(false)}},
		{"leave", `{"type":"leave"}`, Message{Type: TypeLeave}},
		{"roster", `{"type":"roster","participants":[{"id":"p1","name":"Ada","role":"advisor","audio_muted":false,"video_muted":true}]}`,
			Message{Type: TypeRoster, Participants: []RosterEntry{{ID: "p1", Name: "Ada", Role: RoleAdvisor, VideoMuted: true}}}},
		{"empty roster", `{"type":"roster"}`, Message{Type: TypeRoster}},
		{"layout", `{"type":"layout","view":"all-but:p1","width":640,"height":360,"cells":[{"participant_id":"p2","x":0,"y":0,"w":0.5,"h":1}]}`,
			Message{Type: TypeLayout, View: "all-but:p1", Width: 640, Height: 360, Cells: []Cell{{ParticipantID: "p2", W: 0.5, H: 1}}}},
		{"error", `{"type":"error","code":"bad_media","message":"vp8: truncated"}`, Message{Type: TypeError, Code: CodeBadMedia, Message: "vp8: truncated"}},
		{"bye", `{"type":"bye","reason":"shutdown"}`, Message{Type: TypeBye, Reason: ByeShutdown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeMessage([]byte(tt.in))
			if err != nil {
				t.Fatalf("DecodeMessage: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			// What we encode, we decode to the same message.
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			again, err := DecodeMessage(b)
			if err != nil {
				t.Fatalf("decode own encoding %s: %v", b, err)
			}
			if !reflect.DeepEqual(again, tt.want) {
				t.Fatalf("round trip got %+v, want %+v", again, tt.want)
			}
		})
	}
}

func TestDecodeMessageRejects(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", ``, "not a JSON object"},
		{"array", `[1]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"no type", `{"token":"x"}`, "missing type"},
		{"type not string", `{"type":3}`, "type is not a string"},
		{"unknown type", `{"type":"hello"}`, "unknown type"},
		{"foreign field", `{"type":"leave","sdp":"v=0"}`, `field "sdp" not allowed in leave`},
		{"unknown field", `{"type":"join","v":1,"token":"t","admin":true}`, `field "admin" not allowed`},
		{"case folded field", `{"type":"offer","SDP":"v=0"}`, `field "SDP" not allowed`},
		{"unknown nested field", `{"type":"join","v":1,"token":"t","client":{"agent":"a","os":"x"}}`, "unknown field"},
		{"join without version", `{"type":"join","token":"t"}`, "missing v"},
		{"join version zero", `{"type":"join","v":0,"token":"t"}`, "not a protocol version"},
		{"join fractional version", `{"type":"join","v":1.5,"token":"t"}`, "join"},
		{"join without token", `{"type":"join","v":1}`, "missing token"},
		{"join long token", `{"type":"join","v":1,"token":"` + strings.Repeat("a", 2000) + `"}`, "token of 2000 bytes"},
		{"joined bad role", `{"type":"joined","participant_id":"p","room_id":"r","role":"king"}`, "unknown role"},
		{"offer without sdp", `{"type":"offer"}`, "missing sdp"},
		{"offer not sdp", `{"type":"offer","sdp":"hello"}`, "v=0"},
		{"offer too large", `{"type":"offer","sdp":"v=0` + strings.Repeat("a", MaxSDPSize) + `"}`, "exceeds the limit"},
		{"candidate missing", `{"type":"candidate"}`, "missing candidate"},
		{"candidate garbage", `{"type":"candidate","candidate":{"candidate":"rm -rf"}}`, "does not start with"},
		{"candidate wrong type", `{"type":"candidate","candidate":"candidate:1"}`, "candidate"},
		{"mute nothing", `{"type":"mute"}`, "neither audio nor video"},
		{"mute not bool", `{"type":"mute","audio":"yes"}`, "mute"},
		{"roster bad entry", `{"type":"roster","participants":[{"id":"","name":"x","role":"citizen"}]}`, "missing participants[0].id"},
		{"layout NaN-ish", `{"type":"layout","cells":[{"participant_id":"p","x":2,"y":0,"w":0.5,"h":0.5}]}`, "outside 0..1"},
		{"layout overflow", `{"type":"layout","cells":[{"participant_id":"p","x":0.8,"y":0,"w":0.5,"h":0.5}]}`, "beyond the picture"},
		{"layout huge", `{"type":"layout","width":100000,"height":1}`, "out of range"},
		{"error without code", `{"type":"error","message":"x"}`, "missing code"},
		{"trailing data", `{"type":"leave"} {"type":"leave"}`, "not a JSON object"},
		{"too large", `{"type":"leave","x":"` + strings.Repeat("a", MaxMessageSize) + `"}`, "exceeds the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeMessage([]byte(tt.in))
			if err == nil {
				t.Fatalf("DecodeMessage(%.60s) succeeded, want error containing %q", tt.in, tt.wantErr)
			}
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error %v does not wrap ErrBadMessage", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestMarshalEndOfCandidates(t *testing.T) {
	b, err := json.Marshal(Message{Type: TypeCandidate})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"type":"candidate","candidate":null}` {
		t.Fatalf("got %s", b)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	seeds := []string{
		`{"type":"join","v":1,"token":"abc","client":{"agent":"x","version":"1"}}`,
		`{"type":"offer","sdp":"v=0\r\n"}`,
		`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`,
		`{"type":"candidate","candidate":null}`,
		`{"type":"mute","audio":true}`,
		`{"type":"roster","participants":[{"id":"p","name":"n","role":"attendee","audio_muted":true,"video_muted":false}]}`,
		`{"type":"layout","view":"all","width":640,"height":360,"cells":[{"participant_id":"p","x":0,"y":0,"w":1,"h":1}]}`,
		`{"type":"error","code":"invalid_token","message":"no"}`,
		`{"type":"bye","reason":"left"}`,
		`{"type":"leave"}`,
		`{"type":"joined","participant_id":"p","room_id":"r","role":"advisor","name":"A"}`,
		`{"type":"layout","cells":[{"participant_id":"p","x":1e308,"y":-0,"w":0,"h":0}]}`,
		`{"type":"join","v":1e400}`,
		`{"type":"\u0000"}`,
		"\xff\xfe",
		`{"type":"quality","mode":"save_data","budget_mb_per_hour":50}`,
		`{"type":"usage","tier":"low","width":320,"height":180,"kbps":120.5,"mb_per_hour":54.2,"mode":"high"}`,
		`{"type":"video_paused","reason":"bandwidth"}`,
		`{"type":"publish_hint","max_width":480,"max_height":360,"max_fps":15,"max_kbps":600}`,
		`{"type":"device_status","camera":"ok","microphone":"denied","details":"USB"}`,
		`{"type":"screen","mid":"2"}`,
		`{"type":"chat","text":"Hallo\nWelt"}`,
		`{"type":"chat","id":"c1","participant_id":"p","name":"A","role":"advisor","text":"x","time":"2026-01-01T00:00:00.000Z"}`,
		`{"type":"chat_history","messages":[{"id":"c1","participant_id":"p","name":"A","role":"citizen","text":"x","time":"t"}]}`,
		`{"type":"hand","raised":false,"participant_id":"p"}`,
		`{"type":"promote","participant_id":"p"}`,
		`{"type":"status","connections":[{"participant_id":"p","name":"A","role":"citizen","tier":"high","down_kbps":1,"up_kbps":2,"rtt_ms":3.5,"loss_pct":0,"fps":15,"video_paused":false,"client":{"agent":"x"},"device":{"camera":"ok"}}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error %v does not wrap ErrBadMessage", err)
			}
			return
		}
		// A message that decodes re-encodes and decodes to the same thing.
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal decoded message: %v", err)
		}
		again, err := DecodeMessage(out)
		if err != nil {
			t.Fatalf("decode of re-encoded %s: %v", out, err)
		}
		if !reflect.DeepEqual(normalize(again), normalize(m)) {
			t.Fatalf("round trip differs:\n%+v\n%+v", again, m)
		}
	})
}

// normalize folds the differences JSON cannot carry through omitempty
// (an empty slice becomes absent).
func normalize(m Message) Message {
	if len(m.Participants) == 0 {
		m.Participants = nil
	}
	if len(m.Cells) == 0 {
		m.Cells = nil
	}
	if m.Client != nil && *m.Client == (ClientInfo{}) {
		m.Client = &ClientInfo{}
	}
	if len(m.Messages) == 0 {
		m.Messages = nil
	}
	if len(m.Connections) == 0 {
		m.Connections = nil
	}
	return m
}
