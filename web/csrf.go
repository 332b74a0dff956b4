package web

import (
	"crypto/sha256"
	"crypto/subtle"
)

// csrfField is the form field (and X-CSRF-Token the header) that carries the
// synchroniser token of the console session.
const csrfField = "csrf"

// csrfEqual compares two tokens in constant time. Both sides are hashed first
// so neither the content nor the length leaks; an empty token never matches.
func csrfEqual(got, want string) bool {
	if got == "" || want == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
