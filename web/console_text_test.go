package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nahbar/nahbar/i18n"
)

// TestConsoleMessagesExist checks that every message id the console's
// templates and code use is in the catalogue (and so, by i18n's own test,
// in all six languages), including the ids built from a status or kind.
func TestConsoleMessagesExist(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	tmplRE := regexp.MustCompile(`\.T "([^"]+)"`)
	err = fs.WalkDir(assetFS, consoleAssetRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, _ := assetFS.ReadFile(p)
		for _, m := range tmplRE.FindAllStringSubmatch(string(b), -1) {
			ids[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	codeRE := regexp.MustCompile(`"(console\.[a-zA-Z_.]+[a-zA-Z_])"`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || !(strings.HasPrefix(f, "console") || strings.HasPrefix(f, "admin")) {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range codeRE.FindAllStringSubmatch(string(b), -1) {
			switch m[1] {
			case "console.css", "console.js", "console.login", "console.logout", "console.x.y": // files, audit actions, a comment
				continue
			}
			if !strings.HasSuffix(m[1], ".") {
				ids[m[1]] = true
			}
		}
	}
	for _, s := range []string{"booked", "cancelled", "done", "no_show"} {
		ids["console.status."+s] = true
	}
	for _, s := range []string{"ok", "denied", "missing", "unknown"} {
		ids["console.device."+s] = true
	}
	for _, s := range []string{LobbyWaiting, LobbyAdmitted, LobbyDeclined} {
		ids["console.lobby."+s] = true
	}
	for _, s := range []string{"off", "extra"} {
		ids["console.availability.kind."+s] = true
	}
	for _, s := range []string{"one_to_one", "group"} {
		ids["console.types.kind."+s] = true
	}
	for _, s := range []string{"citizen", "interpreter", "guardian", "counsel", "attendee", "advisor"} {
		ids["role_"+s] = true
	}
	if len(ids) < 100 {
		t.Fatalf("found only %d ids; the scan is broken", len(ids))
	}
	for id := range ids {
		if !cat.Has(strings.ReplaceAll(id, ".", "_")) {
			t.Errorf("message %q is not in the catalogue", id)
		}
	}
}
