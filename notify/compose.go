package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"math"
	"strconv"
	texttemplate "text/template"
	"time"

	"github.com/nahbar/nahbar/i18n"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var (
	htmlTmpl = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/mail.html.tmpl"))
	textTmpl = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/mail.txt.tmpl"))
)

// Email is a composed message, ready for a Mailer. Every field is already safe: names
// and the subject are single lines, addresses are plain.
type Email struct {
	Kind      Kind
	From, To  Address
	Subject   string
	Lang, Dir string // BCP 47 tag and "ltr"/"rtl" of the text
	Date      time.Time
	Text      string // text/plain body
	HTML      string // text/html body
	ICS       []byte // iCalendar object; nil when the kind carries none
	ICSMethod string // "REQUEST" or "CANCEL"
}

// view is what both templates render; the HTML one escapes every field.
type view struct {
	Lang, Dir       string
	Align, Start    string // "left" or "right": where lines start, for clients without dir support
	LabelPad        string // padding of detail labels, the gap on the side the text runs to
	Subject         string
	Brand           brandView
	Greeting        string
	Intro           []string
	Details         []detail
	Action          *link // the big button: join the call
	LinkLabel       string
	Notes           []string
	Important       string // the recording prohibition, set apart
	Links           []link
	Signoff, Footer string
}

type brandView struct{ Name, Color, TextColor, LogoURL string }

type detail struct{ Label, Value string }

type link struct{ Label, URL string }

// compose renders n (already validated) in the recipient's language.
func compose(cat *i18n.Catalog, from Address, now time.Time, n Notice) (*Email, error) {
	loc := cat.Localizer(n.Language)
	start := n.Start.In(n.TimeZone)
	end := n.End.In(n.TimeZone)
	when := map[string]any{"Date": loc.Date(start), "Time": loc.Time(start), "Tenant": n.Brand.Name}
	tenant := map[string]any{"Tenant": n.Brand.Name}

	v := view{
		Lang: loc.Lang(), Dir: loc.Dir(), Align: "left", Start: "left", LabelPad: "4px 16px 4px 0",
		Brand: brandView{
			Name: n.Brand.Name, Color: n.Brand.Color, TextColor: textColorOn(n.Brand.Color), LogoURL: n.Brand.LogoURL,
		},
		Greeting:  loc.T("mail_greeting_anonymous", nil),
		LinkLabel: loc.T("mail_join_link_text", nil),
		Signoff:   loc.T("mail_signoff", nil),
		Footer:    loc.T("mail_footer", tenant),
	}
	if v.Dir == "rtl" {
		v.Align, v.Start, v.LabelPad = "right", "right", "4px 0 4px 16px"
	}
	if n.To.Name != "" {
		v.Greeting = loc.T("mail_greeting", map[string]any{"Name": n.To.Name})
	}
	details := []detail{
		{loc.T("mail_when", nil), loc.DateTimeRange(start, end)},
		{loc.T("mail_duration", nil), loc.Minutes(n.End.Sub(n.Start))},
	}
	if n.AdvisorName != "" {
		details = append(details, detail{loc.T("invite_advisor", nil), n.AdvisorName})
	}
	if n.Role != "" && n.Role != "citizen" {
		details = append(details, detail{loc.T("invite_role", nil), roleName(loc, n.Role)})
	}
	joinHint := loc.T("mail_join_hint", map[string]any{"Count": int(n.JoinEarly / time.Minute)})

	switch n.Kind {
	case KindInvitation:
		v.Subject = loc.T("mail_invite_subject", when)
		if n.Role == "" || n.Role == "citizen" {
			v.Intro = []string{loc.T("mail_invite_intro", tenant)}
		} else {
			v.Intro = []string{loc.T("mail_invite_intro_role", map[string]any{"Tenant": n.Brand.Name, "Role": roleName(loc, n.Role)})}
		}
		v.Details = details
		v.Action = &link{loc.T("mail_join", nil), n.JoinURL}
		v.Notes = []string{joinHint, loc.T("mail_link_private", nil), loc.T("mail_calendar_hint", nil)}
		v.Important = loc.T("mail_recording_notice", nil)
	case KindReminder:
		v.Subject = loc.T("mail_reminder_subject", when)
		v.Intro = []string{loc.T("mail_reminder_intro", tenant)}
		v.Details = details
		if n.JoinURL != "" {
			v.Action = &link{loc.T("mail_join", nil), n.JoinURL}
			v.Notes = []string{joinHint, loc.T("mail_link_private", nil)}
		} else {
			v.Notes = []string{loc.T("mail_reminder_use_invitation", nil), joinHint}
		}
		v.Important = loc.T("mail_recording_notice", nil)
	case KindCancellation:
		v.Subject = loc.T("mail_cancel_subject", when)
		v.Intro = []string{loc.T("mail_cancel_intro", when)}
		if n.BookURL != "" {
			v.Links = append(v.Links, link{loc.T("mail_cancel_rebook", nil), n.BookURL})
		}
	case KindReschedule:
		v.Subject = loc.T("mail_reschedule_subject", when)
		v.Intro = []string{loc.T("mail_reschedule_intro", tenant)}
		v.Details = details
		if !n.PreviousStart.IsZero() {
			prev := n.PreviousStart.In(n.TimeZone)
			v.Intro = append(v.Intro, loc.T("mail_reschedule_previous", map[string]any{"Date": loc.Date(prev), "Time": loc.Time(prev)}))
		}
		v.Action = &link{loc.T("mail_join", nil), n.JoinURL}
		v.Notes = []string{joinHint, loc.T("mail_link_private", nil), loc.T("mail_calendar_hint", nil)}
		v.Important = loc.T("mail_recording_notice", nil)
	}
	if n.ManageURL != "" && n.Kind != KindCancellation {
		v.Links = append(v.Links, link{loc.T("mail_manage", nil), n.ManageURL})
	}
	v.Subject = cleanLine(v.Subject, 250)

	var html, text bytes.Buffer
	if err := htmlTmpl.Execute(&html, v); err != nil {
		return nil, fmt.Errorf("render %s html: %w", n.Kind, err)
	}
	if err := textTmpl.Execute(&text, v); err != nil {
		return nil, fmt.Errorf("render %s text: %w", n.Kind, err)
	}
	e := &Email{
		Kind: n.Kind, From: from, To: n.To, Subject: v.Subject, Lang: v.Lang, Dir: v.Dir, Date: now,
		Text: text.String(), HTML: html.String(),
	}
	if n.Kind != KindReminder {
		ics, method, err := buildICS(loc, from, now, n)
		if err != nil {
			return nil, err
		}
		e.ICS, e.ICSMethod = ics, method
	}
	return e, nil
}

func roleName(loc *i18n.Localizer, role string) string {
	switch role {
	case "citizen", "interpreter", "guardian", "counsel", "attendee", "advisor":
		return loc.T("role_"+role, nil)
	}
	return role
}

// textColorOn picks black or white text for a background colour "#rrggbb", whichever
// has the higher WCAG contrast, so a tenant's light brand colour keeps the button legible.
func textColorOn(bg string) string {
	if !colorRE.MatchString(bg) {
		return "#ffffff"
	}
	var lum float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		c, _ := strconv.ParseUint(bg[1+2*i:3+2*i], 16, 8)
		lum += w * linear(float64(c)/255)
	}
	// Contrast with white is 1.05/(L+0.05), with black (L+0.05)/0.05; they are equal at L≈0.179.
	if lum > 0.179 {
		return "#000000"
	}
	return "#ffffff"
}

func linear(c float64) float64 {
	if c <= 0.03928 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}
