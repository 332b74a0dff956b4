package storage

import (
	"crypto/rand"
	"errors"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := hashPassword(rand.Reader, "correct horse battery", testPassword)
	must(t, err)
	ok, err := verifyPassword(h, "correct horse battery")
	must(t, err)
	if !ok {
		t.Fatal("right password refused")
	}
	if ok, _ := verifyPassword(h, "correct horse batterY"); ok {
		t.Fatal("wrong password accepted")
	}
	h2, _ := hashPassword(rand.Reader, "correct horse battery", testPassword)
	if h == h2 {
		t.Fatal("same hash twice: salt not random")
	}
	// The default cost is the real one and still verifies.
	hd, err := hashPassword(rand.Reader, "pw", DefaultPasswordParams)
	must(t, err)
	if p, err := parsePasswordHash(hd); err != nil || p.params != DefaultPasswordParams {
		t.Fatalf("default params round trip: %+v %v", p.params, err)
	}
	for _, bad := range []string{
		"", "plaintext", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=0,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1000,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ",
	} {
		if _, err := verifyPassword(bad, "x"); !errors.Is(err, ErrInvalid) {
			t.Errorf("verify against %q: %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := hashPassword(rand.Reader, "x", PasswordParams{}); err == nil {
		t.Fatal("hash with zero parameters")
	}
}

func FuzzParsePasswordHash(f *testing.F) {
	good, _ := hashPassword(rand.Reader, "pw", testPassword)
	for _, s := range []string{good, "", "$argon2id$v=19$m=64,t=1,p=1$$", "$argon2id$v=19$m=64,t=1,p=255$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePasswordHash(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if h.params.MemoryKiB > argonMaxMemoryKiB || h.params.Time > argonMaxTime || len(h.key) < 16 {
			t.Fatalf("accepted out-of-range hash %q", s)
		}
	})
}
