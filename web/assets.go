package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed assets
var assetFS embed.FS

// assets are the embedded static files, served under /static/<version>/
// where version is a hash of their content: a new release changes the URL,
// so browsers may cache a version forever.
type assets struct {
	version string
	files   map[string]asset
}

type asset struct {
	body        []byte
	contentType string
	etag        string
}

func loadAssets() (*assets, error) { return loadAssetDir("assets/static") }

// loadAssetDir loads the files under dir (e.g. the citizen pages' own
// static files) with their own content version.
func loadAssetDir(dir string) (*assets, error) {
	a := &assets{files: make(map[string]asset)}
	var names []string
	err := fs.WalkDir(assetFS, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static assets: %w", err)
	}
	sort.Strings(names)
	all := sha256.New()
	for _, p := range names {
		body, err := assetFS.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("load static asset %s: %w", p, err)
		}
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, dir+"/")
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.files[name] = asset{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		all.Write([]byte(name))
		all.Write(sum[:])
	}
	a.version = hex.EncodeToString(all.Sum(nil)[:6])
	return a, nil
}

// serve answers /static/:version/*file. The current version is cached for
// a year; any other version (a page from before an upgrade) gets the current
// file but must revalidate.
func (a *assets) serve(c *gin.Context) {
	f, ok := a.files[strings.TrimPrefix(c.Param("file"), "/")]
	if !ok {
		jsonError(c, http.StatusNotFound, "not_found", "no such file")
		return
	}
	h := c.Writer.Header()
	if c.Param("version") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", f.etag)
	if match := c.GetHeader("If-None-Match"); match != "" && match == f.etag {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, f.contentType, f.body)
}
