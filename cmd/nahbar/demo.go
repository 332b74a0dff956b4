package main

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/web"
)

// demoTTL keeps the demo links valid for a day of trying things out.
const demoTTL = 24 * time.Hour

// printDemo creates a room with an advisor and a citizen invitation and
// prints both links, so a newcomer can hold a call in two browser tabs.
func printDemo(out io.Writer, store *web.Store, base string) error {
	room, err := store.CreateRoom("Demo appointment")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	advisor, err := store.Issue(room.ID, rooms.RoleAdvisor, "Demo Advisor", demoTTL)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	citizen, err := store.Issue(room.ID, rooms.RoleCitizen, "Demo Citizen", demoTTL)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(out, `
Demo room %q is ready. Open each link in its own browser tab (or on two devices):

  Advisor: %s
  Citizen: %s

The links are valid until %s.
`, room.Name, web.JoinURL(base, advisor.Token), web.JoinURL(base, citizen.Token),
		advisor.ExpiresAt.Local().Format("2006-01-02 15:04"))
	return nil
}

// demoBase is where a browser on this machine reaches the server. Browsers
// allow camera and microphone only on https or on localhost, so a local
// demo uses http://localhost:PORT rather than the listen address.
func demoBase(publicURL string, addr *net.TCPAddr) string {
	if publicURL != "" {
		return publicURL
	}
	return "http://localhost:" + strconv.Itoa(addr.Port)
}
