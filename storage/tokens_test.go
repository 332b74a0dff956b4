package storage

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	tok, hash, err := newToken(rand.Reader)
	must(t, err)
	if len(tok) != 22 || len(hash) != 64 {
		t.Fatalf("token %q hash %q", tok, hash)
	}
	h2, err := tokenHash(tok)
	must(t, err)
	if !sameHash(hash, h2) {
		t.Fatal("hash of the token differs from the stored one")
	}
	if _, _, err := newToken(bytes.NewReader(nil)); err == nil {
		t.Fatal("token from an empty random source")
	}
	for _, bad := range []string{"", "short", strings.Repeat("A", 21), strings.Repeat("A", 23), "AAAAAAAAAAAAAAAAAAAA+/",
		"AAAAAAAAAAAAAAAAAAAA==", "ÄÄÄÄÄÄÄÄÄÄÄ"} {
		if _, err := tokenHash(bad); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("tokenHash(%q) = %v, want ErrInvalidToken", bad, err)
		}
	}
}

func FuzzTokenHash(f *testing.F) {
	for _, s := range []string{"", "AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAB", "-_-_-_-_-_-_-_-_-_-_-_", "' OR 1=1 --", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := tokenHash(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v is not ErrInvalidToken", err)
			}
			return
		}
		if len(h) != 64 {
			t.Fatalf("hash %q", h)
		}
	})
}
