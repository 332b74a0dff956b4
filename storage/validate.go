package storage

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Validation of what reaches storage from forms. The web layer validates too, but the
// store never trusts it: bad input is a wrapped ErrInvalid naming the field.

func invalid(field, why string) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, field, why)
}

// cleanName trims and checks a display name: 1..max runes, printable, no control characters.
func cleanName(field, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", invalid(field, "empty")
	}
	if !utf8.ValidString(v) {
		return "", invalid(field, "not UTF-8")
	}
	if utf8.RuneCountInString(v) > max {
		return "", invalid(field, fmt.Sprintf("longer than %d characters", max))
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return "", invalid(field, "contains control characters")
		}
	}
	return v, nil
}

// cleanEmail accepts a bare address (no display name), lower-cases the domain part
// and bounds its length.
func cleanEmail(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 254 {
		return "", invalid(field, "empty or too long")
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return "", invalid(field, "not an e-mail address")
	}
	at := strings.LastIndexByte(v, '@')
	return v[:at] + strings.ToLower(v[at:]), nil
}

// cleanLang accepts a short BCP 47 tag such as "de", "ar" or "pt-BR", lower-casing the
// primary subtag.
func cleanLang(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if len(v) < 2 || len(v) > 16 {
		return "", invalid(field, "not a language tag")
	}
	for i, r := range v {
		ok := r < utf8.RuneSelf && (unicode.IsLetter(r) || (i > 0 && (r == '-' || unicode.IsDigit(r))))
		if !ok {
			return "", invalid(field, "not a language tag")
		}
	}
	primary, rest, _ := strings.Cut(v, "-")
	if len(primary) < 2 || len(primary) > 3 {
		return "", invalid(field, "not a language tag")
	}
	if rest != "" {
		return strings.ToLower(primary) + "-" + rest, nil
	}
	return strings.ToLower(primary), nil
}

// cleanKey accepts a topic key: 1..64 of a-z, 0-9, '-', '_'.
func cleanKey(field, v string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" || len(v) > 64 {
		return "", invalid(field, "empty or too long")
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", invalid(field, "only a-z, 0-9, '-' and '_' allowed")
		}
	}
	return v, nil
}

// cleanColor accepts "#rrggbb" and returns it lower-cased.
func cleanColor(field, v string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if len(v) != 7 || v[0] != '#' {
		return "", invalid(field, "not a #rrggbb colour")
	}
	for _, r := range v[1:] {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return "", invalid(field, "not a #rrggbb colour")
		}
	}
	return v, nil
}

func cleanZone(field, v string) (*time.Location, error) {
	if v == "" {
		return nil, invalid(field, "empty")
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		return nil, invalid(field, "unknown time zone")
	}
	return loc, nil
}

func cleanAnswer(field string, a Answer) error {
	switch a {
	case AnswerNone, AnswerYes, AnswerNo, AnswerUnsure:
		return nil
	}
	return invalid(field, "not yes, no or unsure")
}
