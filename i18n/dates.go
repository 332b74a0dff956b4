package i18n

import (
	"strconv"
	"time"
)

// Date formats the calendar day of t (in t's own location) with the weekday, e.g.
// "Montag, 3. Juni 2024" or "понеділок, 3 червня 2024 р.". Convert t to the tenant's
// zone first.
func (l *Localizer) Date(t time.Time) string {
	return l.T("format_date", l.dateParts(t))
}

// DateNoYear formats t's day without the year, for week-view column headings.
func (l *Localizer) DateNoYear(t time.Time) string {
	return l.T("format_date_no_year", l.dateParts(t))
}

// MonthYear formats t's month and year for a month-view heading ("Juni 2024").
func (l *Localizer) MonthYear(t time.Time) string {
	return l.T("format_month_year", map[string]any{
		"Month": l.MonthName(t.Month()),
		"Year":  strconv.Itoa(t.Year()),
	})
}

// Time formats t's wall-clock time on the 24-hour clock ("14:05 Uhr", "14:05").
func (l *Localizer) Time(t time.Time) string {
	return l.T("format_time", map[string]any{"Hour": twoDigits(t.Hour()), "Minute": twoDigits(t.Minute())})
}

// TimeRange formats a start and end time of the same day ("10:00–10:30 Uhr").
func (l *Localizer) TimeRange(start, end time.Time) string {
	return l.T("format_time_range", map[string]any{
		"Start": twoDigits(start.Hour()) + ":" + twoDigits(start.Minute()),
		"End":   twoDigits(end.Hour()) + ":" + twoDigits(end.Minute()),
	})
}

// DateTime formats day and time together ("Montag, 3. Juni 2024, 10:30 Uhr").
func (l *Localizer) DateTime(t time.Time) string {
	return l.T("format_datetime", map[string]any{"Date": l.Date(t), "Time": l.Time(t)})
}

// DateTimeRange formats a day with a start and end time ("Montag, 3. Juni 2024,
// 10:30–11:00 Uhr"), as an appointment is shown.
func (l *Localizer) DateTimeRange(start, end time.Time) string {
	return l.T("format_datetime", map[string]any{"Date": l.Date(start), "Time": l.TimeRange(start, end)})
}

// Minutes renders a duration in whole minutes with the right plural ("30 Minuten").
func (l *Localizer) Minutes(d time.Duration) string {
	return l.T("duration_minutes", map[string]any{"Count": int(d / time.Minute)})
}

// MonthName is the month's standalone name, as in a calendar heading.
func (l *Localizer) MonthName(m time.Month) string {
	return l.T("month_"+strconv.Itoa(int(m)), nil)
}

// WeekdayName is the weekday's full name.
func (l *Localizer) WeekdayName(d time.Weekday) string {
	return l.T("weekday_"+strconv.Itoa(int(d)), nil)
}

// WeekdayShort is the weekday's abbreviation for calendar column headings.
func (l *Localizer) WeekdayShort(d time.Weekday) string {
	return l.T("weekday_short_"+strconv.Itoa(int(d)), nil)
}

func (l *Localizer) dateParts(t time.Time) map[string]any {
	return map[string]any{
		"Weekday": l.WeekdayName(t.Weekday()),
		"Day":     strconv.Itoa(t.Day()),
		"Month":   l.T("month_in_date_"+strconv.Itoa(int(t.Month())), nil),
		"Year":    strconv.Itoa(t.Year()),
	}
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
