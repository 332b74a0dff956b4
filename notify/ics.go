package notify

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	ical "github.com/arran4/golang-ical"

	"github.com/nahbar/nahbar/i18n"
)

// prodID names the producer in every calendar object.
const prodID = "-//nahbar//video appointments//EN"

// buildICS makes the iCalendar object of an invitation, reschedule (METHOD:REQUEST) or
// cancellation (METHOD:CANCEL). Times are UTC, so no VTIMEZONE is needed and every
// client shows them in its own zone. UID and SEQUENCE come from the notice: the same UID
// with a higher SEQUENCE updates or removes the entry an earlier e-mail created.
func buildICS(loc *i18n.Localizer, from Address, now time.Time, n Notice) ([]byte, string, error) {
	method, status := ical.MethodRequest, ical.ObjectStatusConfirmed
	if n.Kind == KindCancellation {
		method, status = ical.MethodCancel, ical.ObjectStatusCancelled
	}
	cal := ical.NewCalendarFor("nahbar")
	cal.SetProductId(prodID)
	cal.SetMethod(method)
	cal.SetCalscale("GREGORIAN")

	ev := cal.AddEvent(n.UID)
	ev.SetDtStampTime(now)
	ev.SetSequence(n.Sequence)
	ev.SetStartAt(n.Start)
	ev.SetEndAt(n.End)
	ev.SetStatus(status)
	ev.SetSummary(cleanLine(loc.T("mail_ics_summary", map[string]any{"Tenant": n.Brand.Name}), 250))
	ev.SetOrganizer("mailto:"+from.Email, ical.WithCN(paramText(n.Brand.Name)))
	attendee := []ical.PropertyParameter{
		ical.CalendarUserTypeIndividual,
		ical.ParticipationRoleReqParticipant,
		ical.ParticipationStatusNeedsAction,
		ical.WithRSVP(false),
	}
	if n.To.Name != "" {
		attendee = append(attendee, ical.WithCN(paramText(n.To.Name)))
	}
	ev.AddAttendee("mailto:"+n.To.Email, attendee...)

	var desc []string
	if n.Kind == KindCancellation {
		start := n.Start.In(n.TimeZone)
		desc = append(desc, loc.T("mail_cancel_intro", map[string]any{"Tenant": n.Brand.Name, "Date": loc.Date(start), "Time": loc.Time(start)}))
	} else {
		desc = append(desc, loc.T("mail_join_link_text", nil)+"\n"+n.JoinURL)
		ev.SetLocation(n.JoinURL)
		ev.SetURL(n.JoinURL)
		if n.ManageURL != "" {
			desc = append(desc, loc.T("mail_manage", nil)+":\n"+n.ManageURL)
		}
		desc = append(desc, loc.T("mail_recording_notice", nil))
	}
	ev.SetDescription(strings.Join(desc, "\n\n"))

	var b bytes.Buffer
	if err := cal.SerializeTo(&b, ical.WithNewLineWindows); err != nil {
		return nil, "", fmt.Errorf("serialize %s calendar object: %w", n.Kind, err)
	}
	return b.Bytes(), string(method), nil
}

// paramText makes a name fit a calendar parameter (CN=…). RFC 5545 would quote values
// with , ; : but the library escapes them with backslashes that clients show literally,
// so those characters are replaced instead; a name is only a label here.
var paramReplacer = strings.NewReplacer(`"`, "", `\`, "", ",", " ", ";", " ", ":", " ", "'", "’")

func paramText(s string) string {
	return cleanLine(paramReplacer.Replace(s), 200)
}
