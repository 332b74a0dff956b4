package notify

import (
	"testing"
	"time"

	"github.com/nahbar/nahbar/i18n"
)

var (
	testStart = time.Date(2024, 6, 3, 8, 30, 0, 0, time.UTC) // Monday 10:30 in Berlin
	testNow   = time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC)
)

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func newTestNotifier(t testing.TB, m Mailer) *Notifier {
	t.Helper()
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(Config{
		Catalog: cat,
		Mailer:  m,
		From:    Address{Name: "Terminservice", Email: "termine@amt.example"},
		Now:     func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func invitation(t testing.TB, lang string) Notice {
	return Notice{
		Kind:        KindInvitation,
		Brand:       Brand{Name: "Agentur für Arbeit Musterstadt", Color: "#004b87", LogoURL: "https://amt.example/logo.png"},
		To:          Address{Name: "Ayşe Yılmaz", Email: "ayse@example.org"},
		Language:    lang,
		Role:        "citizen",
		UID:         AppointmentUID(42, "termine.amt.example"),
		Start:       testStart,
		End:         testStart.Add(30 * time.Minute),
		TimeZone:    berlin(t),
		AdvisorName: "Jonas Weber",
		JoinURL:     "https://termine.amt.example/j/AbCdEfGhIjKlMnOpQrStUv",
		ManageURL:   "https://termine.amt.example/m/ZyXwVuTsRqPoNmLkJiHgFe",
	}
}
