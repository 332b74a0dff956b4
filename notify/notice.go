package notify

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Kind says which e-mail of an appointment's life a Notice is.
type Kind int

// The e-mails of an appointment.
const (
	KindInvitation   Kind = iota + 1 // booked or invited: join link, .ics METHOD:REQUEST
	KindReminder                     // shortly before: join link, no .ics (the calendar has it)
	KindCancellation                 // cancelled: .ics METHOD:CANCEL, same UID, higher SEQUENCE
	KindReschedule                   // moved: .ics METHOD:REQUEST, same UID, higher SEQUENCE
)

func (k Kind) String() string {
	switch k {
	case KindInvitation:
		return "invitation"
	case KindReminder:
		return "reminder"
	case KindCancellation:
		return "cancellation"
	case KindReschedule:
		return "reschedule"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ErrInvalidNotice is wrapped by every error about a Notice the caller filled wrongly
// (bad address, missing link, end before start). Such a notice will never send: do not retry.
var ErrInvalidNotice = errors.New("invalid notice")

// Address is a display name and an e-mail address.
type Address struct {
	Name  string
	Email string
}

// Brand is the authority's look and feel in an e-mail (storage.Tenant's fields).
type Brand struct {
	Name    string // shown in subject lines, the header and the footer
	Color   string // primary colour "#rrggbb"; anything else gives the default blue
	LogoURL string // absolute http(s) URL of the logo; anything else shows the name only
}

// Notice is everything one e-mail says about one appointment to one recipient.
type Notice struct {
	Kind     Kind
	Brand    Brand
	To       Address
	Language string // the recipient's language (e.g. storage.Appointment.CitizenLanguage); unsupported → German
	// Role is the recipient's part ("citizen", "interpreter", "guardian", "counsel",
	// "attendee"); for anyone but the citizen who booked, the e-mail names the role.
	Role string
	// UID identifies the appointment in calendars and must stay the same for all its
	// e-mails: use AppointmentUID.
	UID string
	// Sequence orders the versions of the appointment in calendars: 0 for the first
	// invitation, higher for every change. Reschedules and cancellations need > 0; use
	// SequenceAt(appointment.UpdatedAt).
	Sequence    int
	Start, End  time.Time
	TimeZone    *time.Location // how times are shown (the tenant's zone); nil = UTC
	AdvisorName string         // optional
	JoinURL     string         // the personal join link; required except for cancellations
	ManageURL   string         // optional cancel/reschedule link (only the citizen who booked)
	BookURL     string         // optional "book a new appointment" link in cancellations
	// PreviousStart is the old time of a rescheduled appointment (zero: not shown).
	PreviousStart time.Time
	// JoinEarly is how long before the start the link opens, for the hint (default 30 min).
	JoinEarly time.Duration
}

// AppointmentUID is the iCalendar UID of an appointment: stable for its whole life, so a
// reschedule or cancellation updates the same calendar entry. domain is the service's host.
func AppointmentUID(appointmentID uint, domain string) string {
	return fmt.Sprintf("appointment-%d@%s", appointmentID, cleanLine(domain, 200))
}

// sequenceEpoch is the origin of SequenceAt.
var sequenceEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// SequenceAt turns a change time (e.g. storage.Appointment.UpdatedAt) into an iCalendar
// SEQUENCE: seconds since 2024, so every later change of an appointment gets a higher
// number without storing a counter. It fits a 32-bit integer until 2092.
func SequenceAt(t time.Time) int {
	s := int(t.Sub(sequenceEpoch) / time.Second)
	if s < 1 {
		return 1
	}
	return s
}

var colorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

const defaultColor = "#004b87"

// validate checks a notice and returns a copy with every text cleaned for use in
// headers and calendars.
func (n Notice) validate() (Notice, error) {
	if n.Kind < KindInvitation || n.Kind > KindReschedule {
		return n, fmt.Errorf("%w: unknown kind %d", ErrInvalidNotice, int(n.Kind))
	}
	to, err := cleanAddress(n.To)
	if err != nil {
		return n, fmt.Errorf("%w: recipient: %v", ErrInvalidNotice, err)
	}
	n.To = to
	n.Brand.Name = cleanLine(n.Brand.Name, 200)
	if n.Brand.Name == "" {
		return n, fmt.Errorf("%w: brand name is empty", ErrInvalidNotice)
	}
	if !colorRE.MatchString(n.Brand.Color) {
		n.Brand.Color = defaultColor
	}
	if _, err := httpURL(n.Brand.LogoURL); err != nil {
		n.Brand.LogoURL = ""
	}
	n.UID = cleanLine(n.UID, 255)
	if n.UID == "" {
		return n, fmt.Errorf("%w: UID is empty", ErrInvalidNotice)
	}
	if n.Start.IsZero() || !n.End.After(n.Start) {
		return n, fmt.Errorf("%w: end %v is not after start %v", ErrInvalidNotice, n.End, n.Start)
	}
	if n.Sequence < 0 || ((n.Kind == KindReschedule || n.Kind == KindCancellation) && n.Sequence == 0) {
		return n, fmt.Errorf("%w: %s needs a SEQUENCE above the invitation's 0, got %d", ErrInvalidNotice, n.Kind, n.Sequence)
	}
	switch {
	case n.Kind == KindCancellation:
		n.JoinURL = "" // the link no longer opens anything
	case n.Kind == KindReminder && n.JoinURL == "":
		// The reminder then points to the invitation e-mail's link.
	default:
		if n.JoinURL, err = httpURL(n.JoinURL); err != nil {
			return n, fmt.Errorf("%w: join link: %v", ErrInvalidNotice, err)
		}
	}
	for _, u := range []*string{&n.ManageURL, &n.BookURL} {
		if *u == "" {
			continue
		}
		if *u, err = httpURL(*u); err != nil {
			return n, fmt.Errorf("%w: link: %v", ErrInvalidNotice, err)
		}
	}
	if n.TimeZone == nil {
		n.TimeZone = time.UTC
	}
	if n.JoinEarly <= 0 {
		n.JoinEarly = 30 * time.Minute
	}
	n.AdvisorName = cleanLine(n.AdvisorName, 200)
	n.Role = cleanLine(n.Role, 32)
	return n, nil
}

// cleanAddress flattens the display name to one line and requires the address to be a
// single plain addr-spec, so neither can add a header or a recipient.
func cleanAddress(a Address) (Address, error) {
	a.Name = cleanLine(a.Name, 200)
	email := strings.TrimSpace(a.Email)
	if email == "" {
		return a, errors.New("no e-mail address")
	}
	if len(email) > 254 || strings.ContainsAny(email, "\r\n<>\",;") {
		return a, errors.New("e-mail address is not a plain address")
	}
	p, err := mail.ParseAddress(email)
	if err != nil || p.Address != email || p.Name != "" {
		return a, errors.New("e-mail address does not parse")
	}
	a.Email = email
	return a, nil
}

// cleanLine makes s safe for a header, a calendar property or a one-line label: every
// control or separator character becomes a space, runs of spaces collapse, invalid UTF-8
// is replaced, and the result is cut at max runes.
func cleanLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' {
			space = b.Len() > 0
			continue
		}
		if n >= max {
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func httpURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty")
	}
	if len(s) > 2048 || strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r == 0x7f }) >= 0 {
		return "", errors.New("not a plain URL")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("does not parse") // the parse error would repeat the URL and its token
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("not an absolute http(s) URL")
	}
	return u.String(), nil
}
