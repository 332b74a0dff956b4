package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image/color"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// checkWaitingRoomAcrossNodes: a citizen of a stored appointment waits on
// one node (the waiting page's event stream), the advisor admits from the
// console of another, the page hears "admitted", and the citizen's call
// joins through a third node with the same link.
func checkWaitingRoomAcrossNodes(t *testing.T, ctx context.Context, db *storage.Store, waitOn, admitOn, joinVia *node, hostOf func(room string) string) {
	t.Helper()
	seeded, err := db.Seed(ctx, storage.Demo{Password: "cluster-demo-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	inv, _, err := db.InvitationByToken(ctx, seeded.JoinToken)
	if err != nil {
		t.Fatal(err)
	}
	// 1. The citizen's waiting page on waitOn: its event stream arrives in the lobby.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, _ := http.NewRequestWithContext(sctx, "GET", waitOn.url+"/i/"+seeded.JoinToken+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("waiting room events on %s: %v %v", waitOn.id, resp, err)
	}
	defer resp.Body.Close()
	states := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if s, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				states <- s
			}
		}
		close(states)
	}()
	// 2. The advisor logs in on admitOn and admits the citizen there.
	advisor := consoleLogin(t, admitOn, seeded.AdvisorPassword)
	page := fmt.Sprintf("%s/console/appointments/%d", admitOn.url, seeded.Appointment.ID)
	entry := web.InvitationLobbyID(inv.ID)
	var csrf string
	waitFor(t, 10*time.Second, "the console on "+admitOn.id+" lists the citizen waiting on "+waitOn.id, func() (bool, string) {
		r, err := advisor.Get(page)
		if err != nil {
			return false, err.Error()
		}
		defer r.Body.Close()
		var sb strings.Builder
		_, _ = bufio.NewReader(r.Body).WriteTo(&sb)
		html := sb.String()
		if m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(html); m != nil {
			csrf = m[1]
		}
		return strings.Contains(html, entry) && csrf != "", "entry " + entry + " not on the page"
	})
	r, err := advisor.PostForm(page+"/admit", url.Values{"entry": {entry}, "csrf": {csrf}})
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("admit on %s: %v %v", admitOn.id, r, err)
	}
	r.Body.Close()
	// 3. The waiting page on waitOn hears it.
	deadline := time.After(10 * time.Second)
	for admitted := false; !admitted; {
		select {
		case s, ok := <-states:
			if !ok {
				t.Fatal("the waiting room's event stream ended")
			}
			admitted = strings.Contains(s, web.LobbyAdmitted)
		case <-deadline:
			t.Fatal("the waiting page was not told of the admission")
		}
	}
	// 4. The call page joins through joinVia with the same link.
	citizen := &member{name: "citizen", token: seeded.JoinToken, colour: color.RGBA{40, 180, 60, 255}, entries: []string{joinVia.wsURL()}}
	if err := citizen.dial(ctx); err != nil {
		t.Fatalf("admitted citizen joining through %s: %v", joinVia.id, err)
	}
	defer citizen.close()
	t.Logf("waiting room: citizen waited on %s, admitted on %s's console, joined through %s", waitOn.id, admitOn.id, joinVia.id)

	// 5. The advisor ends the call on admitOn's console: the citizen, whose
	// room any node may host, hears bye{ended} and its link joins nowhere.
	// A console on another node than the room's host, so the end travels.
	host := hostOf(web.AppointmentRoomID(seeded.Appointment.ID))
	endOn := admitOn
	for _, n := range []*node{admitOn, waitOn, joinVia} {
		if n.id != host {
			endOn = n
			break
		}
	}
	endClient, endPage := advisor, page
	if endOn != admitOn {
		endClient = consoleLogin(t, endOn, seeded.AdvisorPassword)
		endPage = fmt.Sprintf("%s/console/appointments/%d", endOn.url, seeded.Appointment.ID)
	}
	endCSRF := consoleCSRF(t, endClient, endPage)
	r, err = endClient.PostForm(endPage+"/end", url.Values{"csrf": {endCSRF}})
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("end on %s: %v %v", endOn.id, r, err)
	}
	r.Body.Close()
	if err := citizen.p.Wait(ctx, func() bool { reason, closed := citizen.p.Bye(); return reason != "" && closed }); err != nil {
		t.Fatalf("the citizen was not told the call ended: %v", err)
	}
	if reason, _ := citizen.p.Bye(); reason != rooms.ByeEnded {
		t.Fatalf("citizen's bye %q, want %q", reason, rooms.ByeEnded)
	}
	for _, via := range []*node{waitOn, admitOn, joinVia} {
		p, err := testpeer.Dial(ctx, testpeer.Options{URL: via.wsURL(), Token: seeded.JoinToken})
		if err == nil {
			p.Close()
			t.Fatalf("the citizen rejoined through %s after the end", via.id)
		}
		if em := (testpeer.ErrorMessage{}); !errors.As(err, &em) || em.Code != string(rooms.CodeRoomEnded) {
			t.Errorf("rejoin through %s: %v, want %s", via.id, err, rooms.CodeRoomEnded)
		}
	}
	t.Logf("end: ended on %s's console, the citizen's call hosted by %s got bye{ended}", endOn.id, host)
}

// consoleLogin logs the demo advisor in to n's console like a browser.
func consoleLogin(t *testing.T, n *node, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	r, err := c.Get(n.url + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	u, _ := url.Parse(n.url + "/console/login")
	var loginCSRF string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "nahbar_login" {
			loginCSRF = ck.Value
		}
	}
	r, err = c.PostForm(n.url+"/console/login", url.Values{"email": {storage.DemoAdvisorEmail},
		"password": {password}, "csrf": {loginCSRF}})
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("console login on %s: %v %v", n.id, r, err)
	}
	r.Body.Close()
	return c
}

// consoleCSRF reads the session's CSRF token from a console page.
func consoleCSRF(t *testing.T, c *http.Client, page string) string {
	t.Helper()
	r, err := c.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var sb strings.Builder
	_, _ = bufio.NewReader(r.Body).WriteTo(&sb)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(sb.String())
	if m == nil {
		t.Fatalf("no CSRF token on %s", page)
	}
	return m[1]
}
