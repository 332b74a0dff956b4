package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nahbar/nahbar/rooms"
)

// TestDeviceCheckTestCall: on the device check the citizen presses "Start
// test call" and sees their own camera come back from the MCU (their colour
// in the returned video), then ends the test call.
func TestDeviceCheckTestCall(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	srv := startJourneyServer(t)
	citizen := &participant{name: "Citizen", colour: "blue", rgb: [3]int{0, 0, 255}, tone: 550, role: rooms.RoleCitizen}
	parts := []*participant{citizen}
	startBrowsers(t, srv.server, parts...)
	check := srv.base + "/i/" + srv.seeded.JoinToken + "/check?lang=en"

	if err := citizen.b.do(20*time.Second, chromedp.Navigate(check), chromedp.WaitVisible(chromedp.ID("testcall"))); err != nil {
		fatal(t, srv.server, parts, "open the device check: %v", err)
	}
	err := poll(30*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		enabled, err := eval[bool](citizen.b, `!document.getElementById('testcall').disabled`)
		return enabled, "test call button disabled", err
	})
	if err != nil {
		fatal(t, srv.server, parts, "test call button: %v", err)
	}
	if err := citizen.b.do(10*time.Second, chromedp.Click(chromedp.ID("testcall"))); err != nil {
		fatal(t, srv.server, parts, "start the test call: %v", err)
	}

	// The returned picture is the citizen's own colour, composed and encoded by the server.
	var rgb [3]int
	err = poll(30*time.Second, 200*time.Millisecond, func() (bool, string, error) {
		got, err := eval[[]int](citizen.b, `(() => { const v = document.getElementById('testcall-video');
			if (v.hidden || !v.videoWidth) return [];
			const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
			const x = c.getContext('2d'); x.drawImage(v, 0, 0);
			const w = Math.max(1, c.width >> 3), h = Math.max(1, c.height >> 3);
			const d = x.getImageData((c.width - w) >> 1, (c.height - h) >> 1, w, h).data;
			const s = [0, 0, 0];
			for (let i = 0; i < d.length; i += 4) { s[0] += d[i]; s[1] += d[i + 1]; s[2] += d[i + 2]; }
			const n = d.length / 4; return s.map((v) => Math.round(v / n)); })()`)
		if err != nil || len(got) != 3 {
			return false, "no returned video yet", err
		}
		rgb = [3]int{got[0], got[1], got[2]}
		return close3(rgb, citizen.rgb), fmt.Sprintf("centre of the returned video %v, want %v", rgb, citizen.rgb), nil
	})
	if err != nil {
		fatal(t, srv.server, parts, "test call does not show the citizen: %v", err)
	}
	status, err := eval[string](citizen.b, `document.getElementById('testcall-status').textContent`)
	if err != nil || !strings.Contains(status, "test call is running") {
		fatal(t, srv.server, parts, "test call status %q (%v)", status, err)
	}
	t.Logf("returned picture %v; status %q", rgb, status)

	if err := citizen.b.do(10*time.Second, chromedp.Click(chromedp.ID("testcall-stop")), chromedp.WaitVisible(chromedp.ID("testcall"))); err != nil {
		fatal(t, srv.server, parts, "end the test call: %v", err)
	}
	status, err = eval[string](citizen.b, `document.getElementById('testcall-status').textContent`)
	if err != nil || !strings.Contains(status, "was successful") {
		fatal(t, srv.server, parts, "after ending, status %q (%v)", status, err)
	}
}
