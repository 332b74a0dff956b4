package storage

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestAdvisorsAndLogin(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s, deJob())
		ctx := context.Background()
		admin, err := s.CreateAdvisor(ctx, 0, NewAdvisor{TenantID: f.tenant.ID, Email: " Admin@Agency.EXAMPLE ",
			Name: "Admin", Password: "a long admin password", Role: RoleAdmin,
			Languages: []string{"DE", "ar", "de"}, Topics: []string{"benefits"}})
		must(t, err)
		if admin.Email != "admin@agency.example" || len(admin.Languages) != 2 || !strings.HasPrefix(admin.PasswordHash, "$argon2id$v=19$") {
			t.Fatalf("created %+v", admin)
		}
		for _, tc := range []struct {
			name string
			n    NewAdvisor
		}{
			{"duplicate e-mail", NewAdvisor{TenantID: f.tenant.ID, Email: "admin@agency.example", Name: "X", Password: "0123456789"}},
			{"short password", NewAdvisor{TenantID: f.tenant.ID, Email: "x@agency.example", Name: "X", Password: "short"}},
			{"bad role", NewAdvisor{TenantID: f.tenant.ID, Email: "y@agency.example", Name: "X", Password: "0123456789", Role: "root"}},
			{"bad language", NewAdvisor{TenantID: f.tenant.ID, Email: "z@agency.example", Name: "X", Password: "0123456789", Languages: []string{"deutsch!"}}},
		} {
			if _, err := s.CreateAdvisor(ctx, 0, tc.n); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: got %v, want ErrInvalid", tc.name, err)
			}
		}

		got, err := s.Authenticate(ctx, "admin@AGENCY.example", "a long admin password")
		must(t, err)
		if got.ID != admin.ID || got.Role != RoleAdmin || len(got.Topics) != 1 {
			t.Fatalf("authenticated %+v", got)
		}
		for _, tc := range []struct{ email, pw string }{
			{"admin@agency.example", "wrong password"},
			{"nobody@agency.example", "a long admin password"},
			{"", ""},
		} {
			if _, err := s.Authenticate(ctx, tc.email, tc.pw); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("login %q/%q: got %v, want ErrBadCredentials", tc.email, tc.pw, err)
			}
		}

		// Deactivated advisors cannot log in and are not offered.
		must(t, s.UpdateAdvisor(ctx, admin.ID, f.advisors[0].ID, AdvisorUpdate{Name: "Advisor 0", Role: RoleAdvisor,
			Active: false, Languages: []string{"de"}, Topics: []string{"jobsearch"}}))
		if _, err := s.Authenticate(ctx, f.advisors[0].Email, "correct horse battery"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("inactive advisor logged in: %v", err)
		}
		slots, err := s.FreeSlots(ctx, SlotQuery{TypeID: f.oneToOne.ID, Topic: "jobsearch", Language: "de",
			From: monday(0, 0), To: monday(24, 0)})
		must(t, err)
		if len(slots) != 0 {
			t.Fatalf("inactive advisor offered: %d slots", len(slots))
		}

		must(t, s.SetPassword(ctx, admin.ID, admin.ID, "another long password"))
		if _, err := s.Authenticate(ctx, "admin@agency.example", "another long password"); err != nil {
			t.Fatalf("login after password change: %v", err)
		}
		list, err := s.Advisors(ctx, f.tenant.ID)
		must(t, err)
		if len(list) != 2 {
			t.Fatalf("%d advisors", len(list))
		}
		log, err := s.AuditLog(ctx, f.tenant.ID, 0)
		must(t, err)
		if len(log) != 2 || log[0].Action != "advisor.password" || log[1].Action != "advisor.update" {
			t.Fatalf("audit log %+v", log)
		}
	})
}

func TestTenantBranding(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		f := newFixture(t, s)
		ctx := context.Background()
		if f.tenant.PrimaryColor != "#004b87" || f.tenant.TimeZone != "Europe/Berlin" {
			t.Fatalf("tenant %+v", f.tenant)
		}
		logo := []byte("\x89PNG\r\n\x1a\n....")
		must(t, s.UpdateBranding(ctx, 0, f.tenant.ID, Branding{Name: "Jobcenter Musterstadt", Logo: logo,
			LogoType: "image/png", PrimaryColor: "#112233", AccentColor: "#AABBCC", Contact: "  Tel. 0800 123 (Mo–Fr)  "}))
		got, err := s.TenantBySlug(ctx, "agency")
		must(t, err)
		if got.Name != "Jobcenter Musterstadt" || string(got.Logo) != string(logo) || got.AccentColor != "#aabbcc" ||
			got.Contact != "Tel. 0800 123 (Mo–Fr)" {
			t.Fatalf("branding %+v", got)
		}
		for _, b := range []Branding{
			{Name: "", PrimaryColor: "#000000", AccentColor: "#000000"},
			{Name: "X", PrimaryColor: "red", AccentColor: "#000000"},
			{Name: "X", PrimaryColor: "#000000", AccentColor: "#00000g"},
			{Name: "X", PrimaryColor: "#000000", AccentColor: "#000000", Logo: []byte("x")},
			{Name: "X", PrimaryColor: "#000000", AccentColor: "#000000", Contact: "line\nbreak"},
			{Name: "X", PrimaryColor: "#000000", AccentColor: "#000000", Contact: strings.Repeat("ü", 301)},
		} {
			if err := s.UpdateBranding(ctx, 0, f.tenant.ID, b); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: got %v, want ErrInvalid", b, err)
			}
		}
		if err := s.UpdateBranding(ctx, 0, 999, Branding{Name: "X", PrimaryColor: "#000000", AccentColor: "#000000"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown tenant: %v", err)
		}
		if _, err := s.CreateTenant(ctx, "x", "Mars/Olympus", Branding{Name: "X", PrimaryColor: "#000000", AccentColor: "#000000"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("unknown zone: %v", err)
		}
	})
}

func TestSeed(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store, clk *clock) {
		ctx := context.Background()
		clk.Set(monday(22, 17)) // outside working hours: the demo still works
		first, err := s.Seed(ctx, Demo{})
		must(t, err)
		if first.AdvisorPassword == "" || first.Advisor.Email != DemoAdvisorEmail || first.Advisor.Role != RoleAdmin {
			t.Fatalf("seeded %+v", first)
		}
		if _, err := s.Authenticate(ctx, DemoAdvisorEmail, first.AdvisorPassword); err != nil {
			t.Fatalf("demo login: %v", err)
		}
		inv, a, err := s.AuthorizeInvitation(ctx, first.JoinToken)
		must(t, err)
		if inv.Role != InviteCitizen || a.ID != first.Appointment.ID || !a.Start.Equal(monday(22, 17)) {
			t.Fatalf("demo invitation %+v for %+v", inv, a)
		}
		// A second run reuses the tenant and advisor, sets the given password and
		// replaces the running demo appointment.
		second, err := s.Seed(ctx, Demo{Password: "demo-password-42"})
		must(t, err)
		if second.Tenant.ID != first.Tenant.ID || second.Advisor.ID != first.Advisor.ID || second.Type.ID != first.Type.ID {
			t.Fatal("second seed created new demo identities")
		}
		if _, err := s.Authenticate(ctx, DemoAdvisorEmail, "demo-password-42"); err != nil {
			t.Fatalf("demo login with the given password: %v", err)
		}
		if _, _, err := s.AuthorizeInvitation(ctx, second.JoinToken); err != nil {
			t.Fatalf("second demo link: %v", err)
		}
		if _, _, err := s.AuthorizeInvitation(ctx, first.JoinToken); !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("replaced demo link: %v", err)
		}
	})
}
