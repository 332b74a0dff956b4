package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/color"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
)

// The helpers of the cluster integration test: node processes of the real
// binary, the REST API and pion participants that rejoin like app.js does.

const itAPIKey = "cluster-test-key-0123456789"

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// buildBinary compiles cmd/nahbar once for the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nahbar")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	t.Logf("built the nahbar binary in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// node is one nahbar process of the cluster.
type node struct {
	id   string
	url  string // http://127.0.0.1:port
	log  string
	cmd  *exec.Cmd
	exit chan error
}

func (n *node) wsURL() string { return "ws://" + strings.TrimPrefix(n.url, "http://") + "/ws" }

type clusterEnv struct {
	t        *testing.T
	bin      string
	dir      string
	redisURL string
	prefix   string
	dsn      string
}

func (e *clusterEnv) start(id, region string, units int) *node {
	t := e.t
	port, udp := freePort(t, "tcp"), freePort(t, "udp")
	n := &node{id: id, url: fmt.Sprintf("http://127.0.0.1:%d", port), log: filepath.Join(e.dir, id+".log"), exit: make(chan error, 1)}
	logf, err := os.Create(n.log)
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(e.bin, "serve",
		"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--node-url", n.url, "--node-id", id,
		"--region", region, "--capacity-units", strconv.Itoa(units),
		"--redis-url", e.redisURL, "--redis-prefix", e.prefix, "--database-url", e.dsn,
		"--data-dir", filepath.Join(e.dir, id), "--udp-port", strconv.Itoa(udp), "--public-ip", "127.0.0.1",
		"--drain-timeout", "1m", "--log-level", "info")
	n.cmd.Env = append(os.Environ(), "NAHBAR_API_KEY="+itAPIKey)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	go func() { n.exit <- n.cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		_ = n.cmd.Process.Kill()
		if t.Failed() {
			b, _ := os.ReadFile(n.log)
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			t.Logf("--- log of %s (tail) ---\n%s", id, b)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(n.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return n
			}
		}
		select {
		case err := <-n.exit:
			b, _ := os.ReadFile(n.log)
			t.Fatalf("node %s exited (%v):\n%s", id, err, b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s not healthy within 30s", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (n *node) kill(t *testing.T) {
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// api calls a node's REST API with the cluster's key.
func api(t *testing.T, method, url string, body, out any) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+itAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func createRoom(t *testing.T, n *node, name string) string {
	var r struct{ ID string }
	if code := api(t, "POST", n.url+"/api/v1/rooms", map[string]string{"name": name}, &r); code != http.StatusCreated {
		t.Fatalf("create room on %s: %d", n.id, code)
	}
	return r.ID
}

func invite(t *testing.T, n *node, room, role, name string) string {
	var r struct{ Token string }
	if code := api(t, "POST", n.url+"/api/v1/rooms/"+room+"/participants",
		map[string]string{"role": role, "display_name": name}, &r); code != http.StatusCreated {
		t.Fatalf("invite to %s on %s: %d", room, n.id, code)
	}
	return r.Token
}

// member is a pion participant that rejoins with its token when its
// signalling socket closes, trying the entry nodes in turn as a browser
// behind a load balancer would (app.js reconnects the same way, to its host).
type member struct {
	name    string
	token   string
	colour  color.RGBA
	entries []string // signalling URLs; the first that answers is used
	p       *testpeer.Peer
}

func (m *member) dial(ctx context.Context) error {
	var last error
	for ctx.Err() == nil {
		for _, u := range m.entries {
			p, err := testpeer.Dial(ctx, testpeer.Options{URL: u, Token: m.token, Publish: true, Colour: m.colour,
				Width: 160, Height: 120, FPS: 10})
			if err == nil {
				m.p = p
				return nil
			}
			last = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s could not join: %w", m.name, last)
}

func (m *member) close() {
	if m.p != nil {
		m.p.Close()
	}
}

// seesOthers reports whether m's composed picture shows every other member's
// colour in the cell the layout gives them (matched by display order: the
// layout names participant ids, which change on rejoin, so each cell other
// than m's own must show one of the others' colours).
func (m *member) seesOthers(others ...*member) (bool, string) {
	l, ok := m.p.Layout()
	if !ok {
		return false, "no layout"
	}
	pic := m.p.Picture()
	if pic == nil {
		return false, "no picture"
	}
	want := map[color.RGBA]bool{}
	for _, o := range others {
		want[o.colour] = false
	}
	for _, c := range l.Cells {
		if c.ParticipantID == m.p.ID() || c.Screen {
			continue
		}
		got := testpeer.MeanRGB(pic, testpeer.CellRect(pic, c, 0.3))
		for col := range want {
			if testpeer.Near(got, col, 40) {
				want[col] = true
			}
		}
	}
	for col, seen := range want {
		if !seen {
			return false, fmt.Sprintf("colour %v not in the picture", col)
		}
	}
	return true, ""
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	var why string
	for {
		ok, w := cond()
		if ok {
			return time.Since(start)
		}
		why = w
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v (%s)", what, within, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
