package main

import (
	"bufio"
	"context"
	"fmt"
	"image/color"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// checkWaitingRoomAcrossNodes: a citizen of a stored appointment waits on
// one node (the waiting page's event stream), the advisor admits from the
// console of another, the page hears "admitted", and the citizen's call
// joins through a third node with the same link.
func checkWaitingRoomAcrossNodes(t *testing.T, ctx context.Context, db *storage.Store, waitOn, admitOn, joinVia *node) {
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
	jar, _ := cookiejar.New(nil)
	advisor := &http.Client{Jar: jar}
	r, err := advisor.Get(admitOn.url + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	u, _ := url.Parse(admitOn.url + "/console/login")
	var loginCSRF string
	for _, c := range jar.Cookies(u) {
		if c.Name == "nahbar_login" {
			loginCSRF = c.Value
		}
	}
	r, err = advisor.PostForm(admitOn.url+"/console/login", url.Values{"email": {storage.DemoAdvisorEmail},
		"password": {seeded.AdvisorPassword}, "csrf": {loginCSRF}})
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("console login on %s: %v %v", admitOn.id, r, err)
	}
	r.Body.Close()
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
	r, err = advisor.PostForm(page+"/admit", url.Values{"entry": {entry}, "csrf": {csrf}})
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
}
