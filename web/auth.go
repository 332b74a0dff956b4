package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// requireAPIKey checks "Authorization: Bearer <key>" in constant time. Both
// sides are hashed first so the comparison does not even leak the key's
// length. An empty configured key rejects everything.
func requireAPIKey(key string) gin.HandlerFunc {
	want := sha256.Sum256([]byte(key))
	return func(c *gin.Context) {
		got, ok := bearer(c.GetHeader("Authorization"))
		if !ok {
			c.Header("WWW-Authenticate", `Bearer realm="nahbar"`)
			jsonError(c, http.StatusUnauthorized, "unauthorized", "missing bearer API key")
			return
		}
		sum := sha256.Sum256([]byte(got))
		if key == "" || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="nahbar", error="invalid_token"`)
			jsonError(c, http.StatusUnauthorized, "unauthorized", "invalid API key")
			return
		}
		c.Next()
	}
}

func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(prefix):])
	return tok, tok != ""
}
