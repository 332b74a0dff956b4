package storage

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

// tokenBytes is the entropy of every link token: 128 bits.
const tokenBytes = 16

var tokenEncoding = base64.RawURLEncoding

// newToken returns a fresh URL-safe token and the hash that is stored for it.
func newToken(rnd io.Reader) (token, hash string, err error) {
	var b [tokenBytes]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", "", fmt.Errorf("new token: %w", err)
	}
	token = tokenEncoding.EncodeToString(b[:])
	return token, hashTokenBytes(b[:]), nil
}

// tokenHash validates the shape of a token from a URL and returns its stored hash.
// A malformed token never reaches the database.
func tokenHash(token string) (string, error) {
	if len(token) != tokenEncoding.EncodedLen(tokenBytes) {
		return "", fmt.Errorf("token: %w: wrong length", ErrInvalidToken)
	}
	b, err := tokenEncoding.DecodeString(token)
	if err != nil || len(b) != tokenBytes {
		return "", fmt.Errorf("token: %w: not base64url", ErrInvalidToken)
	}
	return hashTokenBytes(b), nil
}

func hashTokenBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sameHash compares two stored hashes in constant time. The lookup itself is by an
// index on the hash, which reveals nothing about the raw token: SHA-256 spreads any
// two tokens that share a prefix uniformly over the index.
func sameHash(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
