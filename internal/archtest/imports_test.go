// Package archtest checks the import direction of DESIGN.md, so it is enforced, not remembered.
package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/nahbar/nahbar/"

// allowed lists, for each package of ours, the packages of ours it may import.
// A package missing from this table fails the test: its place must be decided.
var allowed = map[string][]string{
	"codec":                 {},
	"codec/framing":         {"codec"},
	"mixer":                 {"codec"},
	"storage":               {},
	"metrics":               {},
	"cluster":               {"storage"},
	"i18n":                  {},
	"notify":                {"i18n"},
	"rooms":                 {"mixer", "codec", "codec/framing", "storage", "cluster", "internal/pionlog"},
	"web":                   {"rooms", "mixer", "codec", "storage", "i18n", "notify", "cluster", "metrics"},
	"cmd/nahbar":            {"web", "rooms", "mixer", "codec", "storage", "bench", "i18n", "notify", "cluster", "metrics"},
	"bench":                 {"codec", "codec/framing", "internal/testpeer", "internal/pionlog"},
	"internal/testpeer":     {"codec", "codec/framing", "internal/pionlog"},
	"internal/archtest":     {},
	"internal/pionlog":      {},
	"internal/smtptest":     {},
	"e2e":                   {"web", "rooms", "mixer", "codec", "codec/framing", "storage", "internal/testpeer", "i18n", "notify", "metrics", "e2e/internal/netdelay"},
	"e2e/internal/netdelay": {},
}

// forbiddenThirdParty keeps network types out of the media core.
var forbiddenThirdParty = map[string][]string{
	"mixer": {"github.com/pion/", "net/http", "github.com/gin-gonic/", "gorm.io/"},
	"codec": {"github.com/pion/webrtc", "net/http", "gorm.io/"},
}

func TestImportDirection(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		isTest := strings.HasSuffix(path, "_test.go")
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		ok, known := allowed[rel]
		if !known {
			t.Errorf("%s: package %q has no place in the import table of internal/archtest", path, rel)
			return nil
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbiddenThirdParty[rel] {
				if strings.HasPrefix(p, bad) && !isTest {
					t.Errorf("%s imports %s: %s must not see network or storage types", path, p, rel)
				}
			}
			if !strings.HasPrefix(p, module) {
				continue
			}
			dep := strings.TrimPrefix(p, module)
			if isTest && (dep == "internal/testpeer" || dep == "internal/smtptest" || dep == rel) {
				continue // tests may drive a package with the test client and the test mail server
			}
			if !contains(ok, dep) {
				t.Errorf("%s imports %s: %s may import only %v", path, dep, rel, ok)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
