package storage

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams is the argon2id cost. Hashes carry their own parameters, so raising
// the cost later does not invalidate existing passwords.
type PasswordParams struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultPasswordParams is RFC 9106's second recommended option (64 MiB, t=3, p=4).
var DefaultPasswordParams = PasswordParams{MemoryKiB: 64 * 1024, Time: 3, Threads: 4}

const (
	argonSaltLen = 16
	argonKeyLen  = 32
	// Bounds for parsing stored hashes, so a corrupted row cannot make Verify
	// allocate gigabytes or spin for minutes.
	argonMaxMemoryKiB = 1 << 21
	argonMaxTime      = 64
)

var b64 = base64.RawStdEncoding

// hashPassword returns a PHC-format argon2id string:
// $argon2id$v=19$m=65536,t=3,p=4$<salt>$<key>.
func hashPassword(rnd io.Reader, password string, p PasswordParams) (string, error) {
	if p.MemoryKiB == 0 || p.Time == 0 || p.Threads == 0 {
		return "", fmt.Errorf("hash password: %w: zero argon2 parameter", ErrInvalid)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

type parsedHash struct {
	params    PasswordParams
	salt, key []byte
}

// parsePasswordHash reads a PHC argon2id string; anything else is an error.
func parsePasswordHash(encoded string) (parsedHash, error) {
	var h parsedHash
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, fmt.Errorf("parse password hash: %w: not an argon2id PHC string", ErrInvalid)
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return h, fmt.Errorf("parse password hash: %w: unsupported version %q", ErrInvalid, parts[2])
	}
	var m, t uint32
	var p uint8
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || n != 3 {
		return h, fmt.Errorf("parse password hash: %w: bad parameters %q", ErrInvalid, parts[3])
	}
	if m == 0 || m > argonMaxMemoryKiB || t == 0 || t > argonMaxTime || p == 0 {
		return h, fmt.Errorf("parse password hash: %w: parameters out of range %q", ErrInvalid, parts[3])
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return h, fmt.Errorf("parse password hash: %w: bad salt", ErrInvalid)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return h, fmt.Errorf("parse password hash: %w: bad key", ErrInvalid)
	}
	h.params = PasswordParams{MemoryKiB: m, Time: t, Threads: p}
	h.salt, h.key = salt, key
	return h, nil
}

// verifyPassword reports whether password matches encoded, comparing in constant time.
func verifyPassword(encoded, password string) (bool, error) {
	h, err := parsePasswordHash(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.MemoryKiB,
		h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}
