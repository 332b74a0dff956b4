package i18n

import (
	"testing"
	"time"
)

func TestDates(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// Monday 3 June 2024, 09:05 in Berlin (07:05 UTC).
	start := time.Date(2024, 6, 3, 7, 5, 0, 0, time.UTC).In(berlin)
	end := start.Add(30 * time.Minute)
	tests := []struct {
		lang                                           string
		date, noYear, monthYear, clock, span, dateTime string
		minutes                                        string
	}{
		{"de", "Montag, 3. Juni 2024", "Montag, 3. Juni", "Juni 2024", "09:05 Uhr", "09:05–09:35 Uhr", "Montag, 3. Juni 2024, 09:05 Uhr", "30 Minuten"},
		{"en", "Monday, 3 June 2024", "Monday, 3 June", "June 2024", "09:05", "09:05–09:35", "Monday, 3 June 2024, 09:05", "30 minutes"},
		{"tr", "3 Haziran 2024 Pazartesi", "3 Haziran Pazartesi", "Haziran 2024", "09:05", "09:05–09:35", "3 Haziran 2024 Pazartesi, 09:05", "30 dakika"},
		{"ar", "الاثنين، 3 يونيو 2024", "الاثنين، 3 يونيو", "يونيو 2024", "09:05", "09:05–09:35", "الاثنين، 3 يونيو 2024، الساعة 09:05", "30 دقيقة"},
		{"uk", "понеділок, 3 червня 2024 р.", "понеділок, 3 червня", "Червень 2024", "09:05", "09:05–09:35", "понеділок, 3 червня 2024 р., 09:05", "30 хвилин"},
		{"ru", "понедельник, 3 июня 2024 г.", "понедельник, 3 июня", "Июнь 2024", "09:05", "09:05–09:35", "понедельник, 3 июня 2024 г., 09:05", "30 минут"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			l := c.Localizer(tt.lang)
			check := func(what, got, want string) {
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("Date", l.Date(start), tt.date)
			check("DateNoYear", l.DateNoYear(start), tt.noYear)
			check("MonthYear", l.MonthYear(start), tt.monthYear)
			check("Time", l.Time(start), tt.clock)
			check("TimeRange", l.TimeRange(start, end), tt.span)
			check("DateTime", l.DateTime(start), tt.dateTime)
			check("Minutes", l.Minutes(30*time.Minute), tt.minutes)
		})
	}
	if got, want := c.Localizer("ar").DateTimeRange(start, end), "الاثنين، 3 يونيو 2024، الساعة 09:05–09:35"; got != want {
		t.Errorf("ar DateTimeRange = %q, want %q", got, want)
	}
	de := c.Localizer("de")
	for d := time.Sunday; d <= time.Saturday; d++ {
		if de.WeekdayShort(d) == "" || de.WeekdayName(d) == "" {
			t.Errorf("weekday %d has no name", d)
		}
	}
	if got := c.Localizer("ru").Minutes(time.Minute); got != "1 минута" {
		t.Errorf("ru 1 minute = %q", got)
	}
}
