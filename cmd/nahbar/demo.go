package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// demoTTL keeps the demo links valid for a day of trying things out.
const demoTTL = 24 * time.Hour

// printDemo seeds the demo tenant with an advisor and an appointment that
// starts now, and prints the advisor's console login, the citizen's
// invitation link (device check, waiting room, call, survey) and an
// advisor join link for the same appointment, plus a plain API room, so a
// newcomer can hold a call in two browser tabs.
func printDemo(ctx context.Context, out io.Writer, store *web.Store, db *storage.Store, base string) error {
	seeded, err := db.Seed(ctx, storage.Demo{})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	roomID := web.AppointmentRoomID(seeded.Appointment.ID)
	if _, err := store.EnsureRoom(roomID, "Demo appointment"); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	apptAdvisor, err := store.Issue(roomID, rooms.RoleAdvisor, seeded.Advisor.Name, demoTTL)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	room, err := store.CreateRoom("Demo room")
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
Demo appointment (%s) is booked for now with %s.

  Advisor console login: %s  password: %s
  Citizen invitation:    %s
  Booking page:          %s/b/%s
  Advisor joins the call: %s
  (the citizen waits in the waiting room until the advisor lets them in)

Demo room %q without waiting room. Open each link in its own browser tab (or on two devices):

  Advisor: %s
  Citizen: %s

The links are valid until %s.
`, seeded.Tenant.Name, seeded.Advisor.Name,
		storage.DemoAdvisorEmail, seeded.AdvisorPassword,
		web.InvitationURL(base, seeded.JoinToken), strings.TrimRight(base, "/"), seeded.Tenant.Slug,
		web.JoinURL(base, apptAdvisor.Token),
		room.Name, web.JoinURL(base, advisor.Token), web.JoinURL(base, citizen.Token),
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
