package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Branding is the look and feel of an authority as the admin page edits it.
type Branding struct {
	Name         string
	LogoURL      string
	Logo         []byte // optional uploaded logo, served by web
	LogoType     string // its media type, e.g. "image/png"
	PrimaryColor string // #rrggbb
	AccentColor  string // #rrggbb
	Contact      string // optional: how citizens reach the authority, one line
}

const maxLogoBytes = 512 << 10

func (b Branding) clean() (Branding, error) {
	var err error
	if b.Name, err = cleanName("authority name", b.Name, 200); err != nil {
		return b, err
	}
	if b.PrimaryColor, err = cleanColor("primary colour", b.PrimaryColor); err != nil {
		return b, err
	}
	if b.AccentColor, err = cleanColor("accent colour", b.AccentColor); err != nil {
		return b, err
	}
	if b.Contact = strings.TrimSpace(b.Contact); b.Contact != "" {
		if b.Contact, err = cleanName("contact", b.Contact, 300); err != nil {
			return b, err
		}
	}
	if len(b.LogoURL) > 500 {
		return b, invalid("logo URL", "too long")
	}
	if len(b.Logo) > maxLogoBytes {
		return b, invalid("logo", fmt.Sprintf("larger than %d KiB", maxLogoBytes>>10))
	}
	if len(b.Logo) > 0 && b.LogoType == "" {
		return b, invalid("logo type", "empty")
	}
	return b, nil
}

// CreateTenant adds an authority. slug is its short stable key (e.g. for URLs).
func (s *Store) CreateTenant(ctx context.Context, slug, timeZone string, b Branding) (Tenant, error) {
	var t Tenant
	var err error
	if slug, err = cleanKey("tenant slug", slug); err != nil {
		return t, fmt.Errorf("create tenant: %w", err)
	}
	if _, err = cleanZone("time zone", timeZone); err != nil {
		return t, fmt.Errorf("create tenant: %w", err)
	}
	if b, err = b.clean(); err != nil {
		return t, fmt.Errorf("create tenant: %w", err)
	}
	t = Tenant{Slug: slug, TimeZone: timeZone, Name: b.Name, LogoURL: b.LogoURL, Logo: b.Logo,
		LogoType: b.LogoType, PrimaryColor: b.PrimaryColor, AccentColor: b.AccentColor, Contact: b.Contact}
	err = s.write(ctx, "create tenant", func(tx *gorm.DB) error { return tx.Create(&t).Error })
	return t, err
}

// Tenant loads one tenant with its branding.
func (s *Store) Tenant(ctx context.Context, id uint) (Tenant, error) {
	var t Tenant
	if err := s.read(ctx).Take(&t, id).Error; err != nil {
		return t, fmt.Errorf("load tenant %d: %w", id, notFound(err))
	}
	return t, nil
}

// TenantBySlug loads a tenant by its short key.
func (s *Store) TenantBySlug(ctx context.Context, slug string) (Tenant, error) {
	var t Tenant
	if err := s.read(ctx).Where("slug = ?", slug).Take(&t).Error; err != nil {
		return t, fmt.Errorf("load tenant %q: %w", slug, notFound(err))
	}
	return t, nil
}

// UpdateBranding changes an authority's look and feel and notes it in the audit log.
func (s *Store) UpdateBranding(ctx context.Context, actorID, tenantID uint, b Branding) error {
	b, err := b.clean()
	if err != nil {
		return fmt.Errorf("update branding: %w", err)
	}
	return s.write(ctx, "update branding", func(tx *gorm.DB) error {
		res := tx.Model(&Tenant{}).Where("id = ?", tenantID).Updates(map[string]any{
			"name": b.Name, "logo_url": b.LogoURL, "logo": b.Logo, "logo_type": b.LogoType,
			"primary_color": b.PrimaryColor, "accent_color": b.AccentColor, "contact": b.Contact,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("tenant %d: %w", tenantID, ErrNotFound)
		}
		return s.audit(tx, tenantID, actorID, "branding.update", "tenant", tenantID)
	})
}

// CreateLocation adds an office to a tenant.
func (s *Store) CreateLocation(ctx context.Context, tenantID uint, name, address string) (Location, error) {
	var l Location
	name, err := cleanName("location name", name, 200)
	if err != nil {
		return l, fmt.Errorf("create location: %w", err)
	}
	if len(address) > 500 {
		return l, fmt.Errorf("create location: %w", invalid("address", "too long"))
	}
	l = Location{TenantID: tenantID, Name: name, Address: address}
	err = s.write(ctx, "create location", func(tx *gorm.DB) error { return tx.Create(&l).Error })
	return l, err
}

// Locations lists a tenant's offices by name.
func (s *Store) Locations(ctx context.Context, tenantID uint) ([]Location, error) {
	var ls []Location
	if err := s.read(ctx).Where("tenant_id = ?", tenantID).Order("name, id").Find(&ls).Error; err != nil {
		return nil, fmt.Errorf("list locations of tenant %d: %w", tenantID, err)
	}
	return ls, nil
}

// notFound maps GORM's not-found to ErrNotFound and keeps other errors.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}
