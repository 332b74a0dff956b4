package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/nahbar/nahbar/i18n"
)

// BenchmarkWaitingHTML is the work of one live update of the console: the
// waiting list of an appointment with five people waiting, rendered for one
// advisor's event stream.
func BenchmarkWaitingHTML(b *testing.B) {
	clk := &consoleClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	cat, err := i18n.New()
	if err != nil {
		b.Fatal(err)
	}
	c := &console{cc: ConsoleConfig{Now: clk.now}, lobby: NewLobby(clk.now), cat: cat}
	if err := c.loadTemplates(); err != nil {
		b.Fatal(err)
	}
	for i := range 5 {
		c.lobby.Arrive(roomID(7), WaitingEntry{Name: fmt.Sprintf("Person %d", i), Role: "citizen", Device: DeviceStatus{
			Browser: "Firefox 128", OS: "Android", Camera: DeviceOK, Microphone: DeviceOK, Connection: "good 2.1 Mbit/s 45 ms", CheckPassed: true}})
	}
	tr := &consoleText{loc: cat.Localizer("en"), lang: "en", dir: "ltr"}
	b.ReportAllocs()
	for b.Loop() {
		if _, n, err := c.waitingHTML(tr, "csrf-token", 7); err != nil || n != 5 {
			b.Fatal(n, err)
		}
	}
}
