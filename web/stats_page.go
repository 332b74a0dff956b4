package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nahbar/nahbar/storage"
)

// registerStats mounts the admins' statistics (/console/stats) and the live
// operations view (/console/stats/live); g already requires an admin session.
func registerStats(g *gin.RouterGroup, c *console) {
	g.GET("", c.statsPage)
	g.GET("/live", c.livePage)
}

// capacityDays is how far ahead the capacity table looks.
const capacityDays = 14

// statTable is one table of the statistics page. The HTML table and its CSV
// export are made from the same value, so they always agree; cells hold
// counts and names of locations, types and languages, never a person.
type statTable struct {
	ID      string // the table's name in ?table= of the CSV export
	Caption string
	Head    []string
	Rows    [][]string
}

// statsSection is one chart with its table.
type statsSection struct {
	ID, Title string
	Chart     template.HTML
	Table     statTable
	Notes     []string
	CSV       string // link to the table's CSV
}

type statsOption struct {
	Value, Label string
	Selected     bool
}

type statsFact struct{ Label, Value string }

type statsData struct {
	From, To  string
	Pers      []statsOption
	Locations []statsOption
	Facts     []statsFact
	Sections  []statsSection
}

// statsFilter is the period (whole days in the tenant's zone), bucket width
// and location the admin asked for.
type statsFilter struct {
	FromDay, ToDay string    // inclusive, YYYY-MM-DD
	From, To       time.Time // [From, To): To is the start of the day after ToDay
	Per            storage.Period
	Location       uint
}

var errStatsFilter = errors.New("bad statistics filter")

// parseStatsFilter reads from, to (YYYY-MM-DD), per and location. Missing
// values default to the last 30 days, a bucket width that suits the length,
// and all locations.
func parseStatsFilter(q url.Values, now time.Time, zone *time.Location) (statsFilter, error) {
	today := now.In(zone)
	f := statsFilter{FromDay: today.AddDate(0, 0, -29).Format(time.DateOnly), ToDay: today.Format(time.DateOnly)}
	if v := q.Get("from"); v != "" {
		f.FromDay = v
	}
	if v := q.Get("to"); v != "" {
		f.ToDay = v
	}
	from, err1 := time.ParseInLocation(time.DateOnly, f.FromDay, zone)
	to, err2 := time.ParseInLocation(time.DateOnly, f.ToDay, zone)
	if err1 != nil || err2 != nil || to.Before(from) || to.Sub(from) > 3*365*24*time.Hour {
		return f, fmt.Errorf("%w: period %q to %q", errStatsFilter, f.FromDay, f.ToDay)
	}
	f.From, f.To = from, to.AddDate(0, 0, 1)
	switch p := storage.Period(q.Get("per")); {
	case p.Valid():
		f.Per = p
	case p != "":
		return f, fmt.Errorf("%w: bucket %q", errStatsFilter, p)
	case f.To.Sub(f.From) <= 62*24*time.Hour:
		f.Per = storage.PerDay
	case f.To.Sub(f.From) <= 366*24*time.Hour:
		f.Per = storage.PerWeek
	default:
		f.Per = storage.PerMonth
	}
	if v := q.Get("location"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return f, fmt.Errorf("%w: location %q", errStatsFilter, v)
		}
		f.Location = uint(n)
	}
	return f, nil
}

func (f statsFilter) query(tenantID uint) storage.StatsQuery {
	return storage.StatsQuery{TenantID: tenantID, LocationID: f.Location, From: f.From, To: f.To, Per: f.Per}
}

// values is the filter as query parameters, for the CSV links.
func (f statsFilter) values() url.Values {
	v := url.Values{"from": {f.FromDay}, "to": {f.ToDay}, "per": {string(f.Per)}}
	if f.Location != 0 {
		v.Set("location", strconv.FormatUint(uint64(f.Location), 10))
	}
	return v
}

// statsPage shows the statistics, or with ?format=csv&table=… one table as CSV.
func (c *console) statsPage(ctx *gin.Context) {
	s := current(ctx)
	rc := ctx.Request.Context()
	tr := c.text(ctx)
	t, err := c.st.Tenant(rc, s.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	zone := c.tenantZone(t)
	f, ferr := parseStatsFilter(ctx.Request.URL.Query(), c.cc.Now(), zone)
	if ferr != nil {
		f, _ = parseStatsFilter(url.Values{}, c.cc.Now(), zone)
	}
	locs, err := c.st.Locations(rc, s.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	sections, facts, err := c.statsSections(ctx, s.TenantID, f, zone)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if ctx.Query("format") == "csv" {
		if ferr != nil {
			ctx.Data(http.StatusBadRequest, "text/plain; charset=utf-8", []byte(ferr.Error()+"\n"))
			return
		}
		for _, sec := range sections {
			if sec.Table.ID == ctx.Query("table") {
				writeCSV(ctx, "nahbar-"+sec.Table.ID+"-"+f.FromDay+"-"+f.ToDay+".csv", sec.Table)
				return
			}
		}
		ctx.Data(http.StatusNotFound, "text/plain; charset=utf-8", []byte("no such table\n"))
		return
	}
	d := statsData{From: f.FromDay, To: f.ToDay, Facts: facts, Sections: sections}
	for _, p := range []storage.Period{storage.PerDay, storage.PerWeek, storage.PerMonth} {
		d.Pers = append(d.Pers, statsOption{Value: string(p), Label: tr.T("console.stats.per." + string(p)), Selected: p == f.Per})
	}
	d.Locations = append(d.Locations, statsOption{Value: "", Label: tr.T("console.stats.alllocations"), Selected: f.Location == 0})
	for _, l := range locs {
		d.Locations = append(d.Locations, statsOption{Value: strconv.FormatUint(uint64(l.ID), 10), Label: l.Name, Selected: l.ID == f.Location})
	}
	v := c.view(ctx, "console.stats.title", d)
	status := http.StatusOK
	if ferr != nil {
		v.Error = tr.T("console.stats.badfilter")
		status = http.StatusBadRequest
	}
	c.render(ctx, status, "stats", v)
}

// writeCSV sends a table as RFC 4180 CSV with a UTF-8 byte order mark (so
// spreadsheet programs read umlauts right). Cells that a spreadsheet would
// take for a formula get a leading apostrophe.
func writeCSV(ctx *gin.Context, name string, t statTable) {
	var b strings.Builder
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	_ = w.Write(t.Head)
	for _, r := range t.Rows {
		safe := make([]string, len(r))
		for i, cell := range r {
			safe[i] = csvCell(cell)
		}
		_ = w.Write(safe)
	}
	w.Flush()
	ctx.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	ctx.Data(http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}

func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}
	return s
}
