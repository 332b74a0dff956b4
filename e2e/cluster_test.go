package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"
)

// TestClusterFailoverInBrowsers: two Chromium participants open their links
// on node n2 of a two-node cluster (the real binary, a private Redis, all in
// the test's network namespace); their call is hosted by n1. n1 is killed
// (SIGKILL): the pages say they are reconnecting, rejoin through n2 with
// their same links, and each sees the other's colour again, composed by n2.
func TestClusterFailoverInBrowsers(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "nahbar")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/nahbar").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A Redis of this test alone, inside the namespace.
	redisSrv := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", "6399", "--save", "", "--appendonly", "no")
	if err := redisSrv.Start(); err != nil {
		unavailable(t, "redis-server not available: %v", err)
	}
	t.Cleanup(func() { _ = redisSrv.Process.Kill(); _ = redisSrv.Wait() })
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6399"})
	defer rdb.Close()
	if err := poll(10*time.Second, 50*time.Millisecond, func() (bool, string, error) {
		return rdb.Ping(context.Background()).Err() == nil, "redis not up", nil
	}); err != nil {
		t.Fatal(err)
	}

	const key = "e2e-cluster-key-0123456789"
	type node struct {
		id, url string
		cmd     *exec.Cmd
		log     *syncBuffer
	}
	start := func(id string, port int) *node {
		n := &node{id: id, url: fmt.Sprintf("http://%s:%d", serverIP, port), log: &syncBuffer{}}
		n.cmd = exec.Command(bin, "serve", "--listen", fmt.Sprintf("%s:%d", serverIP, port), "--node-url", n.url,
			"--node-id", id, "--redis-url", "redis://127.0.0.1:6399/0", "--data-dir", filepath.Join(dir, id),
			"--udp-port", fmt.Sprint(port+100), "--public-ip", serverIP, "--audio-processing=false")
		n.cmd.Env = append(os.Environ(), "NAHBAR_API_KEY="+key)
		n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
		if err := n.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = n.cmd.Process.Kill()
			_ = n.cmd.Wait()
			if t.Failed() {
				t.Logf("--- %s log (tail) ---\n%s", id, n.log.tail(30))
			}
		})
		if err := poll(30*time.Second, 100*time.Millisecond, func() (bool, string, error) {
			resp, err := http.Get(n.url + "/healthz")
			if err != nil {
				return false, err.Error(), nil
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, resp.Status, nil
		}); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return n
	}
	n1 := start("n1", 8101)
	n2 := start("n2", 8102)

	post := func(path string, body any, out any) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", n2.url+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST %s: %s", path, resp.Status)
		}
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	var room struct{ ID string }
	post("/api/v1/rooms", map[string]string{"name": "failover"}, &room)

	parts := []*participant{
		{name: "A", colour: "red", rgb: [3]int{255, 0, 0}, tone: 440, role: "advisor"},
		{name: "B", colour: "blue", rgb: [3]int{0, 0, 255}, tone: 880, role: "citizen"},
	}
	media := t.TempDir()
	for _, p := range parts {
		if err := makeMedia(media, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := each(parts, func(p *participant) error {
		var err error
		p.b, err = launch(t, p.name, filepath.Join(media, p.colour+".y4m"), filepath.Join(media, fmt.Sprint(p.tone)+".wav"), n2.url)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		var sb strings.Builder
		fmt.Fprintf(&sb, format, args...)
		for _, p := range parts {
			sb.WriteString(p.b.diagnose())
		}
		t.Fatal(sb.String())
	}
	for _, p := range parts {
		var inv struct{ Token string }
		post("/api/v1/rooms/"+room.ID+"/participants", map[string]string{"role": string(p.role), "display_name": p.name}, &inv)
		if err := p.b.do(20*time.Second, chromedp.Navigate(n2.url+"/j/"+inv.Token), chromedp.WaitEnabled(chromedp.ID("join"))); err != nil {
			fail("%s: open join page: %v", p.name, err)
		}
		if _, err := eval[bool](p.b, probeJS); err != nil {
			fail("%s: probe: %v", p.name, err)
		}
		if err := p.b.do(5*time.Second, chromedp.Click(chromedp.ID("join"))); err != nil {
			fail("%s: click join: %v", p.name, err)
		}
	}
	// seesOther: every cell but one's own shows the other's colour.
	seesOther := func(p, other *participant) (bool, string, error) {
		pic, err := eval[*picture](p.b, `window.__probe.picture()`)
		if err != nil || pic == nil {
			return false, "no picture", nil
		}
		self, _ := eval[string](p.b, `window.nahbar.participantId`)
		n := 0
		for _, c := range pic.Cells {
			if c.ID == self {
				continue
			}
			if len(c.RGB) != 3 || !close3([3]int{c.RGB[0], c.RGB[1], c.RGB[2]}, other.rgb) {
				return false, fmt.Sprintf("%s: cell %s shows %v", p.name, c.ID, c.RGB), nil
			}
			n++
		}
		return n == 1, fmt.Sprintf("%s: %d cells of others", p.name, n), nil
	}
	for i, p := range parts {
		if err := poll(30*time.Second, 100*time.Millisecond, func() (bool, string, error) { return seesOther(p, parts[1-i]) }); err != nil {
			fail("before the kill: %v", err)
		}
	}
	if host, _ := rdb.Get(context.Background(), "nahbar:room:"+room.ID).Result(); host != "n1" {
		t.Fatalf("the call is hosted by %q; the test kills n1 and keeps the pages' node n2", host)
	}

	killed := time.Now()
	if err := n1.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	var sawReconnecting [2]bool
	var back [2]time.Duration
	err := each(parts, func(p *participant) error {
		i := 0
		if p == parts[1] {
			i = 1
		}
		return poll(20*time.Second, 50*time.Millisecond, func() (bool, string, error) {
			if st, _ := eval[string](p.b, `window.nahbar.state`); st == "reconnecting" {
				sawReconnecting[i] = true
			}
			ok, why, err := seesOther(p, parts[1-i])
			if ok && sawReconnecting[i] {
				back[i] = time.Since(killed)
				return true, "", nil
			}
			return false, why, err
		})
	})
	if err != nil {
		fail("after the kill of n1: %v", err)
	}
	host, _ := rdb.Get(context.Background(), "nahbar:room:"+room.ID).Result()
	t.Logf("browsers: SIGKILL of n1 → both pages said 'reconnecting' and saw each other again on %s after %v and %v",
		host, back[0].Round(time.Millisecond), back[1].Round(time.Millisecond))
	if host != "n2" {
		t.Errorf("room placed on %q after the failover, want n2", host)
	}
}
