package web

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/storage"
)

// calendar is the month or week of free slots as the booking template shows
// it: rows of seven days, Monday first, in the tenant's time zone.
type calendar struct {
	View                string // "month" or "week"
	Title               string
	Prev, Next, Today   string // links
	ViewMonth, ViewWeek string
	Weekdays            []weekdayHead
	Weeks               [][]calDay
	Day                 *calDay // the chosen day with its times (month view)
	Empty               bool    // no free slot in the period
}

type weekdayHead struct{ Short, Long string }

type calDay struct {
	Date    string // YYYY-MM-DD
	Label   string // long date for screen readers
	Num     int
	InRange bool // belongs to the shown month (month view)
	Free    int
	Link    string // ?day=… (month view)
	Chosen  bool
	Times   []calTime
}

type calTime struct {
	Label string // "10:30"
	Aria  string // "10:30, free, select"
	Link  string
	Start int64 // unix seconds
}

// slotQuery is the citizen's choice in the booking form.
type slotQuery struct {
	TypeID   uint
	Topic    string
	Language string
}

func (q slotQuery) values() url.Values {
	v := url.Values{}
	v.Set("type", strconv.FormatUint(uint64(q.TypeID), 10))
	v.Set("topic", q.Topic)
	v.Set("lang_conv", q.Language)
	return v
}

// parseDay reads a YYYY-MM-DD in loc; an empty or bad value gives def.
func parseDay(s string, loc *time.Location, def time.Time) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil || d.Year() < 2000 || d.Year() > 2200 {
		return def
	}
	return d
}

// period is the time range a view shows around anchor.
func period(view string, anchor time.Time) (from, to time.Time) {
	y, m, d := anchor.Date()
	loc := anchor.Location()
	if view == "week" {
		start := time.Date(y, m, d, 0, 0, 0, 0, loc)
		offset := (int(start.Weekday()) + 6) % 7 // Monday = 0
		start = start.AddDate(0, 0, -offset)
		return start, start.AddDate(0, 0, 7)
	}
	start := time.Date(y, m, 1, 0, 0, 0, 0, loc)
	return start, start.AddDate(0, 1, 0)
}

// buildCalendar lays the slots of [from, to) out as the view's grid. base is
// the page's path with the citizen's choice; bookBase leads to the form.
func buildCalendar(loc *i18n.Localizer, tz *time.Location, view string, from, to time.Time, chosen string,
	slots []storage.Slot, base url.Values, path, bookPath string) calendar {
	byDay := make(map[string][]storage.Slot)
	for _, s := range slots {
		k := s.Start.In(tz).Format(time.DateOnly)
		byDay[k] = append(byDay[k], s)
	}
	link := func(extra ...string) string {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return path + "?" + v.Encode()
	}
	timeLink := func(s storage.Slot) calTime {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		v.Set("start", strconv.FormatInt(s.Start.Unix(), 10))
		label := loc.Time(s.Start.In(tz))
		return calTime{Label: label, Aria: loc.T("book_slot_label", map[string]any{"Time": label}), Link: bookPath + "?" + v.Encode()}
	}

	c := calendar{View: view, Empty: len(slots) == 0}
	for i := 1; i <= 7; i++ {
		wd := time.Weekday(i % 7)
		c.Weekdays = append(c.Weekdays, weekdayHead{Short: loc.WeekdayShort(wd), Long: loc.WeekdayName(wd)})
	}
	gridFrom, _ := period("week", from)
	gridTo := to
	if view == "month" {
		c.Title = loc.MonthYear(from)
		c.Prev = link("view", "month", "from", from.AddDate(0, -1, 0).Format(time.DateOnly))
		c.Next = link("view", "month", "from", to.Format(time.DateOnly))
		// Complete the last week.
		for (int(gridTo.Weekday())+6)%7 != 0 {
			gridTo = gridTo.AddDate(0, 0, 1)
		}
	} else {
		c.Title = loc.DateNoYear(from) + " – " + loc.DateNoYear(to.AddDate(0, 0, -1))
		c.Prev = link("view", "week", "from", from.AddDate(0, 0, -7).Format(time.DateOnly))
		c.Next = link("view", "week", "from", to.Format(time.DateOnly))
	}
	c.ViewMonth = link("view", "month", "from", from.Format(time.DateOnly))
	c.ViewWeek = link("view", "week", "from", from.Format(time.DateOnly))
	c.Today = link("view", view)

	var week []calDay
	for d := gridFrom; d.Before(gridTo); d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		day := calDay{Date: key, Label: loc.Date(d), Num: d.Day(), InRange: !d.Before(from) && d.Before(to),
			Free: len(byDay[key]), Chosen: key == chosen}
		if day.InRange && day.Free > 0 {
			day.Link = link("view", view, "from", from.Format(time.DateOnly), "day", key)
			if view == "week" || day.Chosen {
				for _, s := range byDay[key] {
					day.Times = append(day.Times, timeLink(s))
				}
			}
		}
		if day.Chosen {
			cd := day
			c.Day = &cd
		}
		week = append(week, day)
		if len(week) == 7 {
			c.Weeks = append(c.Weeks, week)
			week = nil
		}
	}
	return c
}

// freeLabel is "3 free times" / "fully booked" for a day cell.
func freeLabel(loc *i18n.Localizer, d calDay) string {
	if d.Free == 0 {
		return loc.T("book_none", nil)
	}
	return loc.T("book_free_count", map[string]any{"Count": d.Free})
}

// dayAria is a day cell's full accessible name.
func dayAria(loc *i18n.Localizer, d calDay) string {
	return fmt.Sprintf("%s, %s", d.Label, freeLabel(loc, d))
}
