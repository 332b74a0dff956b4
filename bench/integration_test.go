package bench

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
)

// These tests run against a real nahbar binary named by NAHBAR_BENCH_SERVER
// (e.g. after `make build`: NAHBAR_BENCH_SERVER=$PWD/bin/nahbar go test ./bench);
// without it they are skipped, so `go test ./bench` stays fast and needs no
// server.

// TestOneToOneAgainstServer joins an advisor and a citizen through the REST
// API and WebRTC and checks what each of them sees: frames, the other's stamp
// in the one cell the layout names, the right participant in it.
func TestOneToOneAgainstServer(t *testing.T) {
	bin := os.Getenv("NAHBAR_BENCH_SERVER")
	if bin == "" {
		t.Skip("NAHBAR_BENCH_SERVER not set")
	}
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	srv, err := StartServer(ctx, []string{bin}, dir+"/data", dir+"/server.log", "warn", log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	api, err := NewAPI(srv.URL, srv.Key)
	if err != nil {
		t.Fatal(err)
	}
	capi, err := testpeer.NewSharedAPI(log)
	if err != nil {
		t.Fatal(err)
	}
	room, err := api.CreateRoom(ctx, "integration")
	if err != nil {
		t.Fatal(err)
	}
	audio, err := NewAudioLoop()
	if err != nil {
		t.Fatal(err)
	}
	sources := &Directory{}
	var peers []*testpeer.Peer
	var analysers []*Analyser
	for i, role := range []string{"advisor", "citizen"} {
		tok, err := api.Invite(ctx, room, role, role)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := NewLivePublisher(NewSource(uint8(i)), 500, audio, WallClock())
		if err != nil {
			t.Fatal(err)
		}
		defer pub.Close()
		a := NewAnalyser(AnalyserConfig{Sources: sources, PSNREvery: 5})
		defer a.Close()
		p, err := Dial(ctx, PeerConfig{URL: api.WebSocketURL(), Token: tok, API: capi, Publisher: pub, Analyser: a, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		sources.Set(p.ID(), SourceInfo{Index: uint8(i), Live: true, EncodeMs: pub.EncodeMs})
		peers = append(peers, p)
		analysers = append(analysers, a)
	}
	for _, p := range peers {
		if err := waitConnected(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := waitFirstFrame(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range analysers {
		a.SetMeasuring(true)
	}
	// Wait for two seconds of pictures (the analysers count them).
	for _, a := range analysers {
		for a.Snapshot().Frames < 30 {
			select {
			case <-ctx.Done():
				t.Fatalf("analysed %d pictures before the deadline", a.Snapshot().Frames)
			case <-time.After(50 * time.Millisecond):
			}
		}
		a.SetMeasuring(false)
	}
	for i, a := range analysers {
		r := a.Snapshot()
		other := peers[1-i].ID()
		l, _ := peers[i].Layout()
		if len(l.Cells) != 1 || l.Cells[0].ParticipantID != other {
			t.Errorf("peer %d: layout %+v, want one cell of %s", i, l, other)
		}
		if r.LayoutMismatches != 0 {
			t.Errorf("peer %d: %d cells showed another source (%s)", i, r.LayoutMismatches, r.LastMismatch)
		}
		if r.StampsRead < r.Frames*9/10 {
			t.Errorf("peer %d: read %d stamps in %d pictures", i, r.StampsRead, r.Frames)
		}
		if r.Latency.Count() == 0 || r.PSNRCount == 0 {
			t.Errorf("peer %d: no latency (%d) or PSNR (%d) measured", i, r.Latency.Count(), r.PSNRCount)
		}
		t.Logf("peer %d: %d pictures, latency p50 %v ms p95 %v ms (from send p50 %v), PSNR %.1f dB, track %s",
			i, r.Frames, r.Latency.Percentile(50), r.Latency.Percentile(95), r.FromSend.Percentile(50), r.PSNRSum/float64(r.PSNRCount), peers[i].VideoTrack())
	}
}

// TestMainAgainstServer runs Main with the arguments in NAHBAR_BENCH_ARGS
// (space separated), for trying the tool before it is wired into nahbar.
func TestMainAgainstServer(t *testing.T) {
	bin, args := os.Getenv("NAHBAR_BENCH_SERVER"), os.Getenv("NAHBAR_BENCH_ARGS")
	if bin == "" || args == "" {
		t.Skip("NAHBAR_BENCH_SERVER or NAHBAR_BENCH_ARGS not set")
	}
	if code := Main(append([]string{"--nahbar", bin}, strings.Fields(args)...), os.Stdout, os.Stderr); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}
