package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// NewAdvisor is what an admin enters to create an advisor.
type NewAdvisor struct {
	TenantID   uint
	LocationID *uint
	Email      string
	Name       string
	Password   string
	Role       Role
	Languages  []string
	Topics     []string
}

// AdvisorUpdate replaces an advisor's editable fields (not the password).
type AdvisorUpdate struct {
	Name       string
	LocationID *uint
	Role       Role
	Active     bool
	Languages  []string
	Topics     []string
}

const minPasswordLen = 10

func cleanRole(r Role) (Role, error) {
	switch r {
	case "":
		return RoleAdvisor, nil
	case RoleAdvisor, RoleAdmin:
		return r, nil
	}
	return "", invalid("role", "not advisor or admin")
}

func cleanList(field string, in []string, clean func(string, string) (string, error)) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, v := range in {
		c, err := clean(field, v)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func advisorLists(id uint, langs, topics []string) ([]AdvisorLanguage, []AdvisorTopic) {
	ls := make([]AdvisorLanguage, len(langs))
	for i, l := range langs {
		ls[i] = AdvisorLanguage{AdvisorID: id, Language: l}
	}
	ts := make([]AdvisorTopic, len(topics))
	for i, t := range topics {
		ts[i] = AdvisorTopic{AdvisorID: id, Topic: t}
	}
	return ls, ts
}

// CreateAdvisor adds an advisor with an argon2id password hash. actorID is the admin
// doing it (0 for the command line and Seed; then nothing is audited).
func (s *Store) CreateAdvisor(ctx context.Context, actorID uint, n NewAdvisor) (Advisor, error) {
	var a Advisor
	email, err := cleanEmail("e-mail", n.Email)
	if err != nil {
		return a, fmt.Errorf("create advisor: %w", err)
	}
	email = strings.ToLower(email) // login e-mails compare case-insensitively
	name, err := cleanName("name", n.Name, 200)
	if err != nil {
		return a, fmt.Errorf("create advisor: %w", err)
	}
	role, err := cleanRole(n.Role)
	if err != nil {
		return a, fmt.Errorf("create advisor: %w", err)
	}
	langs, err := cleanList("language", n.Languages, cleanLang)
	if err != nil {
		return a, fmt.Errorf("create advisor: %w", err)
	}
	topics, err := cleanList("topic", n.Topics, cleanKey)
	if err != nil {
		return a, fmt.Errorf("create advisor: %w", err)
	}
	if len([]rune(n.Password)) < minPasswordLen {
		return a, fmt.Errorf("create advisor: %w", invalid("password", fmt.Sprintf("shorter than %d characters", minPasswordLen)))
	}
	hash, err := hashPassword(s.rnd, n.Password, s.cfg.Password)
	if err != nil {
		return a, fmt.Errorf("create advisor: %w", err)
	}
	a = Advisor{TenantID: n.TenantID, LocationID: n.LocationID, Email: email, Name: name,
		PasswordHash: hash, Role: role, Active: true}
	err = s.write(ctx, "create advisor", func(tx *gorm.DB) error {
		if err := tx.Omit("Languages", "Topics").Create(&a).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return invalid("e-mail", "already in use")
			}
			return err
		}
		a.Languages, a.Topics = advisorLists(a.ID, langs, topics)
		if err := createAll(tx, a.Languages, a.Topics); err != nil {
			return err
		}
		return s.audit(tx, a.TenantID, actorID, "advisor.create", "advisor", a.ID)
	})
	return a, err
}

func createAll(tx *gorm.DB, langs []AdvisorLanguage, topics []AdvisorTopic) error {
	if len(langs) > 0 {
		if err := tx.Create(&langs).Error; err != nil {
			return err
		}
	}
	if len(topics) > 0 {
		if err := tx.Create(&topics).Error; err != nil {
			return err
		}
	}
	return nil
}

// UpdateAdvisor replaces name, location, role, active flag, languages and topics.
func (s *Store) UpdateAdvisor(ctx context.Context, actorID, id uint, u AdvisorUpdate) error {
	name, err := cleanName("name", u.Name, 200)
	if err != nil {
		return fmt.Errorf("update advisor %d: %w", id, err)
	}
	role, err := cleanRole(u.Role)
	if err != nil {
		return fmt.Errorf("update advisor %d: %w", id, err)
	}
	langs, err := cleanList("language", u.Languages, cleanLang)
	if err != nil {
		return fmt.Errorf("update advisor %d: %w", id, err)
	}
	topics, err := cleanList("topic", u.Topics, cleanKey)
	if err != nil {
		return fmt.Errorf("update advisor %d: %w", id, err)
	}
	return s.write(ctx, fmt.Sprintf("update advisor %d", id), func(tx *gorm.DB) error {
		var a Advisor
		if err := tx.Take(&a, id).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Model(&a).Select("name", "location_id", "role", "active").Updates(Advisor{
			Name: name, LocationID: u.LocationID, Role: role, Active: u.Active}).Error; err != nil {
			return err
		}
		if err := tx.Where("advisor_id = ?", id).Delete(&AdvisorLanguage{}).Error; err != nil {
			return err
		}
		if err := tx.Where("advisor_id = ?", id).Delete(&AdvisorTopic{}).Error; err != nil {
			return err
		}
		ls, ts := advisorLists(id, langs, topics)
		if err := createAll(tx, ls, ts); err != nil {
			return err
		}
		return s.audit(tx, a.TenantID, actorID, "advisor.update", "advisor", id)
	})
}

// SetPassword replaces an advisor's password hash.
func (s *Store) SetPassword(ctx context.Context, actorID, id uint, password string) error {
	if len([]rune(password)) < minPasswordLen {
		return fmt.Errorf("set password of advisor %d: %w", id, invalid("password", fmt.Sprintf("shorter than %d characters", minPasswordLen)))
	}
	hash, err := hashPassword(s.rnd, password, s.cfg.Password)
	if err != nil {
		return fmt.Errorf("set password of advisor %d: %w", id, err)
	}
	return s.write(ctx, fmt.Sprintf("set password of advisor %d", id), func(tx *gorm.DB) error {
		var a Advisor
		if err := tx.Take(&a, id).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Model(&a).Update("password_hash", hash).Error; err != nil {
			return err
		}
		return s.audit(tx, a.TenantID, actorID, "advisor.password", "advisor", id)
	})
}

// Authenticate checks an advisor's e-mail and password. Unknown e-mails, inactive
// advisors and wrong passwords all return ErrBadCredentials after the same argon2id
// work, so the answer time does not tell which e-mails exist. Rate limiting is web's.
func (s *Store) Authenticate(ctx context.Context, email, password string) (Advisor, error) {
	var a Advisor
	hash := s.dummyHash()
	email = strings.ToLower(strings.TrimSpace(email))
	err := s.read(ctx).Preload("Languages").Preload("Topics").Where("email = ?", email).Take(&a).Error
	found := err == nil
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return Advisor{}, fmt.Errorf("authenticate: %w", err)
	}
	if found {
		hash = a.PasswordHash
	}
	ok, verr := verifyPassword(hash, password)
	if verr != nil && found {
		return Advisor{}, fmt.Errorf("authenticate advisor %d: stored hash: %w", a.ID, verr)
	}
	if !found || !ok || !a.Active {
		return Advisor{}, fmt.Errorf("authenticate: %w", ErrBadCredentials)
	}
	return a, nil
}

// dummyHash is a hash of no one's password with the configured cost, verified when
// the e-mail is unknown.
func (s *Store) dummyHash() string {
	s.dummyOnce.Do(func() {
		s.dummy, _ = hashPassword(s.rnd, "no such advisor", s.cfg.Password)
	})
	return s.dummy
}

// Advisor loads one advisor with languages and topics.
func (s *Store) Advisor(ctx context.Context, id uint) (Advisor, error) {
	var a Advisor
	if err := s.read(ctx).Preload("Languages").Preload("Topics").Take(&a, id).Error; err != nil {
		return a, fmt.Errorf("load advisor %d: %w", id, notFound(err))
	}
	return a, nil
}

// Advisors lists a tenant's advisors with languages and topics, by name.
func (s *Store) Advisors(ctx context.Context, tenantID uint) ([]Advisor, error) {
	var as []Advisor
	err := s.read(ctx).Preload("Languages").Preload("Topics").
		Where("tenant_id = ?", tenantID).Order("name, id").Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("list advisors of tenant %d: %w", tenantID, err)
	}
	return as, nil
}
