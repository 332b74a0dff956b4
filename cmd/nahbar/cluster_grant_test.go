package main

import (
	"testing"
	"time"

	"github.com/nahbar/nahbar/rooms"
)

func TestPassedGrants(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	g := rooms.Grant{RoomID: "appt-7", DisplayName: "Erika", Role: rooms.Role("citizen")}
	var p passedGrants
	p.accept(grantHeader("tok", g).Get(grantHeaderName), now)
	if _, ok := p.take("other", now); ok {
		t.Fatal("a grant passed for one token admitted another")
	}
	got, ok := p.take("tok", now.Add(time.Second))
	if !ok || got != g {
		t.Fatalf("take = %+v, %v", got, ok)
	}
	if _, ok := p.take("tok", now); ok {
		t.Fatal("a passed grant was used twice")
	}
	p.accept(grantHeader("late", g).Get(grantHeaderName), now)
	if _, ok := p.take("late", now.Add(passedGrantTTL+time.Second)); ok {
		t.Fatal("an expired passed grant was used")
	}
	for _, bad := range []string{"", "!!!", "e30", "eyJoIjoiMTIzIiwiZyI6eyJSb29tSUQiOiJ4In19"} {
		p.accept(bad, now)
	}
	if len(p.m) != 0 {
		t.Fatalf("garbage headers stored: %v", p.m)
	}
}

func FuzzPassedGrantHeader(f *testing.F) {
	f.Add(grantHeader("tok", rooms.Grant{RoomID: "r", Role: "advisor"}).Get(grantHeaderName))
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, h string) {
		var p passedGrants
		p.accept(h, time.Unix(0, 0))
		for _, e := range p.m {
			if e.g.RoomID == "" {
				t.Fatal("a grant without a room was stored")
			}
		}
	})
}
