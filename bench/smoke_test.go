package bench

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

func TestSmokeOneToOne(t *testing.T) {
	bin := os.Getenv("NAHBAR_BENCH_SERVER")
	if bin == "" {
		t.Skip("NAHBAR_BENCH_SERVER not set")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	srv, err := StartServer(ctx, []string{bin}, dir+"/data", dir+"/server.log", log)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Stop()
		b, _ := os.ReadFile(dir + "/server.log")
		t.Logf("server log:\n%s", b)
	}()
	api, _ := NewAPI(srv.URL, srv.Key)
	capi, err := newClientAPI(log)
	if err != nil {
		t.Fatal(err)
	}
	room, err := api.CreateRoom(ctx, "smoke")
	if err != nil {
		t.Fatal(err)
	}
	audio, err := NewAudioLoop()
	if err != nil {
		t.Fatal(err)
	}
	dir2 := &Directory{}
	var peers []*Peer
	var ans []*Analyser
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
		a := NewAnalyser(AnalyserConfig{Sources: dir2, PSNREvery: 15})
		defer a.Close()
		p, err := Dial(ctx, PeerConfig{URL: api.WebSocketURL(), Token: tok, API: capi, Publisher: pub, Analyser: a, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		dir2.Set(p.ID(), SourceInfo{Index: uint8(i), Live: true})
		peers = append(peers, p)
		ans = append(ans, a)
	}
	for _, p := range peers {
		if err := p.WaitConnected(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := p.WaitFirstFrame(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range ans {
		a.SetMeasuring(true)
	}
	time.Sleep(3 * time.Second)
	for i, a := range ans {
		r := a.Snapshot()
		l, _ := peers[i].Layout()
		t.Logf("peer %d: frames %d read %d unreadable %d mismatch %d fresh %d repeats %d p50 %v p95 %v psnr %.1f layout %+v track %s", i, r.Frames, r.StampsRead, r.Unreadable, r.LayoutMismatches, r.FreshFrames, r.Repeats,
			r.Latency.Percentile(50), r.Latency.Percentile(95), r.PSNRSum/float64(max(r.PSNRCount, 1)), l, peers[i].OutputTrack())
	}
	st, err := api.Stats(ctx)
	t.Logf("stats %+v %v", st, err)
}

// TestSmokeMain runs Main with the arguments in NAHBAR_BENCH_ARGS (space
// separated) against NAHBAR_BENCH_SERVER, for trying the tool before it is
// wired into the nahbar command.
func TestSmokeMain(t *testing.T) {
	bin, args := os.Getenv("NAHBAR_BENCH_SERVER"), os.Getenv("NAHBAR_BENCH_ARGS")
	if bin == "" || args == "" {
		t.Skip("NAHBAR_BENCH_SERVER or NAHBAR_BENCH_ARGS not set")
	}
	if code := Main(append([]string{"--nahbar", bin}, strings.Fields(args)...), os.Stdout, os.Stderr); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}
