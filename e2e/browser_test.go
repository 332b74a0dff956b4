package e2e

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

//go:embed testdata/probe.js
var probeJS string

// browser is one headless Chromium process with its own profile, fake
// camera file and fake microphone file.
type browser struct {
	name    string
	ctx     context.Context
	console *lines
	output  *syncBuffer
}

// lines collects a page's console messages for failure reports.
type lines struct {
	mu sync.Mutex
	l  []string
}

func (c *lines) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.l = append(c.l, s)
}

func (c *lines) last(n int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.l) > n {
		return append([]string(nil), c.l[len(c.l)-n:]...)
	}
	return append([]string(nil), c.l...)
}

// launch starts Chromium with the flags of shared/BROWSER-TESTING.md. Its
// profile directory is a t.TempDir, removed after the browser has been
// stopped, also when the test fails.
func launch(t *testing.T, name, video, audio, origin string) (*browser, error) {
	profile := t.TempDir()
	out := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video),
		chromedp.Flag("use-file-for-fake-audio-capture", audio),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// The server is on the namespace's address, not localhost; let the
		// page use camera and microphone over plain http there.
		chromedp.Flag("unsafely-treat-insecure-origin-as-secure", origin),
		chromedp.CombinedOutput(out),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{name: name, ctx: ctx, console: &lines{}, output: out}
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // closes the browser and waits for it
		cancel()
		acancel()
	})
	messages := chromedp.Console(ctx) // starts the browser and opens the tab
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.console.add(m.Time.Format("15:04:05.000") + " " + m.String())
		}
	}()
	if err := chromedp.Do(ctx); err != nil {
		return nil, fmt.Errorf("start chromium for %s: %w\n%s", name, err, out.tail(20))
	}
	return b, nil
}

// do runs steps with a deadline (the browser's own context has none).
func (b *browser) do(timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// eval evaluates a JavaScript expression (awaiting a promise) in the page.
func eval[T any](b *browser, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil && pageChanging(err) {
		err = fmt.Errorf("%w: %v", errPageChanging, err)
	}
	return v, err
}

// errPageChanging marks an evaluation that met a page being replaced by the
// next one (a click that navigates): poll asks again instead of failing.
var errPageChanging = errors.New("page is navigating")

func pageChanging(err error) bool {
	msg := err.Error()
	for _, s := range []string{"navigated or closed", "Execution context was destroyed", "Cannot find context with specified id"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// diagnose describes the browser for a failure message: recent console
// lines, a screenshot kept on disk, and Chromium's own output.
func (b *browser) diagnose() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n--- browser %s ---\n", b.name)
	if state, err := eval[string](b, `JSON.stringify({state: window.nahbar && window.nahbar.state, status: document.getElementById('status') && document.getElementById('status').textContent, layout: window.nahbar && window.nahbar.layout})`); err == nil {
		fmt.Fprintf(&sb, "page: %s\n", state)
	}
	dir, err := os.MkdirTemp("", "nahbar-e2e-")
	if err == nil {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err == nil {
			path := filepath.Join(dir, b.name+".png")
			if os.WriteFile(path, png, 0o644) == nil {
				fmt.Fprintf(&sb, "screenshot: %s\n", path)
			}
		} else {
			fmt.Fprintf(&sb, "screenshot failed: %v\n", err)
		}
	}
	fmt.Fprintf(&sb, "console:\n  %s\n", strings.Join(b.console.last(40), "\n  "))
	fmt.Fprintf(&sb, "chromium output (tail):\n%s\n", b.output.tail(15))
	return sb.String()
}

// poll calls f every interval until it reports done, returns an error, or
// the deadline passes; the last non-nil detail explains a timeout.
func poll(timeout, interval time.Duration, f func() (done bool, detail string, err error)) error {
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		done, detail, err := f()
		if errors.Is(err, errPageChanging) {
			done, detail = false, err.Error()
		} else if err != nil {
			return err
		}
		if done {
			return nil
		}
		if detail != "" {
			last = detail
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not reached within %v; last: %s", timeout, last)
		}
		time.Sleep(interval)
	}
}
