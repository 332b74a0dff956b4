package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startServer runs execute in the background on 127.0.0.1:0 and returns the
// base URL it printed plus the lines after it, a stop function and the exit code.
func startServer(t *testing.T, args ...string) (base string, lines <-chan string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	env := envOf(map[string]string{"NAHBAR_DATA_DIR": t.TempDir(), "NAHBAR_UDP_PORT": "0"})
	code := make(chan int, 1)
	go func() {
		code <- execute(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), env, pw, io.Discard)
		pw.Close()
	}()
	out := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out <- sc.Text()
		}
		close(out)
	}()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.After(20 * time.Second)
	for base == "" {
		select {
		case l, ok := <-out:
			if !ok {
				t.Fatalf("server exited before listening (code %d)", <-code)
			}
			if m := re.FindStringSubmatch(l); m != nil {
				base = m[1]
			}
		case <-deadline:
			cancel()
			t.Fatal("server did not say where it listens")
		}
	}
	var once bool
	stop = func() int {
		if once {
			return 0
		}
		once = true
		cancel()
		select {
		case c := <-code:
			return c
		case <-time.After(20 * time.Second):
			t.Fatal("server did not shut down")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	return base, out, stop
}

func TestServeHealthzAndShutdown(t *testing.T) {
	base, _, stop := startServer(t, "--api-key", "0123456789abcdef0123")
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Status string }
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || body.Status != "ok" {
		t.Fatalf("healthz: %d %+v %v", resp.StatusCode, body, err)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d after shutdown, want 0", code)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

func TestServeDemoPrintsWorkingLinks(t *testing.T) {
	_, lines, stop := startServer(t, "--demo")
	links := map[string]string{}
	re := regexp.MustCompile(`^\s+(Advisor|Citizen|Citizen invitation|Advisor console login): +(http://localhost:\d+/[ij]/\S+|\S+@\S+  password: \S+)$`)
	deadline := time.After(10 * time.Second)
	for len(links) < 4 {
		select {
		case l := <-lines:
			if m := re.FindStringSubmatch(l); m != nil {
				links[m[1]] = m[2]
			}
		case <-deadline:
			t.Fatalf("demo links not printed; got %v", links)
		}
	}
	if !strings.HasPrefix(links["Advisor console login"], "demo@nahbar.local  password: ") {
		t.Errorf("advisor login line %q", links["Advisor console login"])
	}
	delete(links, "Advisor console login")
	invitation := links["Citizen invitation"]
	delete(links, "Citizen invitation")
	resp, err := http.Get(strings.Replace(invitation, "localhost", "127.0.0.1", 1) + "?lang=de")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Demo Bürgerin") {
		t.Errorf("citizen invitation %s: %d, page does not greet the demo citizen", invitation, resp.StatusCode)
	}
	for who, link := range links {
		resp, err := http.Get(strings.Replace(link, "localhost", "127.0.0.1", 1))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "Demo "+who) {
			t.Errorf("%s link: %d, page does not greet %q", who, resp.StatusCode, "Demo "+who)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
}

func TestExecuteCommands(t *testing.T) {
	var out, errOut strings.Builder
	if code := execute(context.Background(), []string{"version"}, envOf(nil), &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "nahbar ") {
		t.Errorf("version: code %d, output %q", code, out.String())
	}
	if code := execute(context.Background(), []string{"frobnicate"}, envOf(nil), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Errorf("unknown command: code %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := execute(context.Background(), nil, envOf(nil), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "NAHBAR_API_KEY is required") {
		t.Errorf("serve without key: code %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	code := execute(context.Background(), []string{"--listen", "256.0.0.1:1"},
		envOf(map[string]string{"NAHBAR_API_KEY": "0123456789abcdef0123", "NAHBAR_UDP_PORT": "0", "NAHBAR_DATA_DIR": t.TempDir()}), &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "listen on") {
		t.Errorf("unusable listen address: code %d, stderr %q", code, errOut.String())
	}
}

// TestSignalShutdown runs the real binary entry point, run, in a child
// process and stops it with SIGTERM as an init system would.
func TestSignalShutdown(t *testing.T) {
	if os.Getenv("NAHBAR_TEST_CHILD") == "1" {
		os.Exit(run([]string{"serve", "--listen", "127.0.0.1:0"}))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalShutdown$")
	cmd.Env = append(os.Environ(), "NAHBAR_TEST_CHILD=1", "NAHBAR_API_KEY=0123456789abcdef0123",
		"NAHBAR_UDP_PORT=0", "NAHBAR_DATA_DIR="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	base := ""
	re := regexp.MustCompile(`listening on (http://\S+)`)
	for base == "" && sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("child never listened; stderr:\n%s", stderr.String())
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child after SIGTERM: %v; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "nahbar stopped") {
		t.Errorf("child did not log a clean stop:\n%s", stderr.String())
	}
}
