package web

import (
	"sort"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nahbar/nahbar/storage"
)

// statsSections builds every chart and table of the statistics page from
// storage's figures for the filter, plus the headline facts.
func (c *console) statsSections(ctx *gin.Context, tenantID uint, f statsFilter, zone *time.Location) ([]statsSection, []statsFact, error) {
	rc := ctx.Request.Context()
	tr := c.text(ctx)
	q := f.query(tenantID)
	as, err := c.st.AppointmentStats(rc, q)
	if err != nil {
		return nil, nil, err
	}
	cs, err := c.st.CallStats(rc, q)
	if err != nil {
		return nil, nil, err
	}
	sv, err := c.st.Survey(rc, tenantID, f.FromDay, f.ToDay)
	if err != nil {
		return nil, nil, err
	}
	caps, err := c.st.CapacityUse(rc, tenantID, c.cc.Now().In(zone), capacityDays)
	if err != nil {
		return nil, nil, err
	}
	itoa := strconv.Itoa
	T := tr.T
	link := func(table string) string {
		v := f.values()
		v.Set("format", "csv")
		v.Set("table", table)
		return "/console/stats?" + v.Encode()
	}
	var secs []statsSection

	// Outcomes over time.
	held, noShow, cancelled, open := make([]float64, len(as.Buckets)), make([]float64, len(as.Buckets)),
		make([]float64, len(as.Buckets)), make([]float64, len(as.Buckets))
	ot := statTable{ID: "outcomes", Caption: T("console.stats.outcomes.title"),
		Head: []string{T("console.stats.col.period"), T("console.stats.col.total"), T("console.stats.col.held"),
			T("console.stats.col.noshow"), T("console.stats.col.cancelled"), T("console.stats.col.open")}}
	for i, b := range as.Buckets {
		o := as.ByTime[b]
		held[i], noShow[i], cancelled[i], open[i] = float64(o.Held), float64(o.NoShow), float64(o.Cancelled), float64(o.Booked)
		ot.Rows = append(ot.Rows, []string{b, itoa(o.Total), itoa(o.Held), itoa(o.NoShow), itoa(o.Cancelled), itoa(o.Booked)})
	}
	secs = append(secs, statsSection{ID: "outcomes", Title: ot.Caption, Table: ot, CSV: link("outcomes"),
		Chart: barChart("chart-outcomes", ot.Caption, T("console.stats.outcomes.desc"), as.Buckets, []series{
			{T("console.stats.col.held"), held}, {T("console.stats.col.noshow"), noShow},
			{T("console.stats.col.cancelled"), cancelled}, {T("console.stats.col.open"), open}}, 0, "")})

	// Rates.
	tot := as.Totals
	rt := statTable{ID: "rates", Caption: T("console.stats.rates.title"),
		Head: []string{T("console.stats.col.outcome"), T("console.stats.col.count"), T("console.stats.col.share")}}
	var rates []share
	for _, r := range []struct {
		id string
		n  int
	}{{"held", tot.Held}, {"noshow", tot.NoShow}, {"cancelled", tot.Cancelled}, {"open", tot.Booked}} {
		name := T("console.stats.col." + r.id)
		rt.Rows = append(rt.Rows, []string{name, itoa(r.n), pct(tot.Share(r.n))})
		rates = append(rates, share{Label: name, Value: tot.Share(r.n), Note: "(" + itoa(r.n) + " / " + itoa(tot.Total) + ")"})
	}
	secs = append(secs, statsSection{ID: "rates", Title: rt.Caption, Table: rt, CSV: link("rates"),
		Chart: shareChart("chart-rates", rt.Caption, T("console.stats.rates.desc"), rates)})

	// Appointments by location, type and language.
	at := statTable{ID: "appointments", Caption: T("console.stats.appointments.title"),
		Head: []string{T("console.stats.col.period"), T("console.stats.col.location"), T("console.stats.col.type"),
			T("console.stats.col.language"), T("console.stats.col.total"), T("console.stats.col.held"),
			T("console.stats.col.noshow"), T("console.stats.col.cancelled"), T("console.stats.col.open")}}
	byType := map[string][]float64{}
	bucketIndex := map[string]int{}
	for i, b := range as.Buckets {
		bucketIndex[b] = i
	}
	for _, r := range as.Rows {
		loc := r.Location
		if loc == "" {
			loc = T("console.stats.nolocation")
		}
		at.Rows = append(at.Rows, []string{r.Bucket, loc, r.Type, r.Language, itoa(r.Total), itoa(r.Held),
			itoa(r.NoShow), itoa(r.Cancelled), itoa(r.Booked)})
		if byType[r.Type] == nil {
			byType[r.Type] = make([]float64, len(as.Buckets))
		}
		if i, ok := bucketIndex[r.Bucket]; ok {
			byType[r.Type][i] += float64(r.Total)
		}
	}
	var typeSeries []series
	for name, vs := range byType {
		typeSeries = append(typeSeries, series{name, vs})
	}
	sort.Slice(typeSeries, func(i, j int) bool { return typeSeries[i].Name < typeSeries[j].Name })
	secs = append(secs, statsSection{ID: "appointments", Title: at.Caption, Table: at, CSV: link("appointments"),
		Chart: barChart("chart-appointments", at.Caption, T("console.stats.appointments.desc"), as.Buckets, typeSeries, 0, "")})

	// Call minutes.
	mt := statTable{ID: "minutes", Caption: T("console.stats.minutes.title"),
		Head: []string{T("console.stats.col.period"), T("console.stats.col.minutes")}}
	mins := make([]float64, len(cs.Buckets))
	for i, b := range cs.Buckets {
		mins[i] = float64(cs.MinutesByBucket[b])
		mt.Rows = append(mt.Rows, []string{b, itoa(cs.MinutesByBucket[b])})
	}
	secs = append(secs, statsSection{ID: "minutes", Title: mt.Caption, Table: mt, CSV: link("minutes"),
		Chart: barChart("chart-minutes", mt.Caption, T("console.stats.minutes.desc"), cs.Buckets,
			[]series{{T("console.stats.col.minutes"), mins}}, 0, "")})

	// Survey: the three shares the authority reports.
	st := statTable{ID: "survey", Caption: T("console.stats.survey.title"),
		Head: []string{T("console.stats.col.question"), T("console.stats.col.yes"), T("console.stats.col.no"),
			T("console.stats.col.unsure"), T("console.stats.col.answered"), T("console.stats.col.share")}}
	var shares []share
	for _, q := range []struct {
		id   string
		a    map[storage.Answer]int
		open bool // "not sure" counts as open to it
	}{{"easy", sv.EasyToUse, false}, {"recommend", sv.WouldRecommend, false}, {"video", sv.NextByVideo, true}} {
		yes, no, unsure := q.a[storage.AnswerYes], q.a[storage.AnswerNo], q.a[storage.AnswerUnsure]
		answered := yes + no + unsure
		pos := yes
		if q.open {
			pos += unsure
		}
		v := 0.0
		if answered > 0 {
			v = float64(pos) / float64(answered)
		}
		name := T("console.stats.survey." + q.id)
		st.Rows = append(st.Rows, []string{name, itoa(yes), itoa(no), itoa(unsure), itoa(answered), pct(v)})
		shares = append(shares, share{Label: name, Value: v, Note: "(" + itoa(pos) + " / " + itoa(answered) + ")"})
	}
	secs = append(secs, statsSection{ID: "survey", Title: st.Caption, Table: st, CSV: link("survey"),
		Notes: []string{T("console.stats.survey.note")},
		Chart: shareChart("chart-survey", st.Caption, T("console.stats.survey.desc"), shares)})

	// Connection quality.
	qt := statTable{ID: "quality", Caption: T("console.stats.quality.title"),
		Head: []string{T("console.stats.col.measure"), T("console.stats.col.value")}}
	var tiers []share
	for _, tier := range []string{"high", "medium", "low", "audio", "interrupted"} {
		name := T("console.stats.tier." + tier)
		qt.Rows = append(qt.Rows, []string{name, pct(cs.TierShares[tier])})
		tiers = append(tiers, share{Label: name, Value: cs.TierShares[tier]})
	}
	qt.Rows = append(qt.Rows,
		[]string{T("console.stats.quality.calls"), itoa(cs.Calls)},
		[]string{T("console.stats.quality.reconnects"), itoa(cs.Reconnects)},
		[]string{T("console.stats.quality.withreconnects"), itoa(cs.CallsWithReconnects)},
		[]string{T("console.stats.quality.rtt"), itoa(cs.MedianWorstRTTMillis)},
		[]string{T("console.stats.quality.loss"), strconv.FormatFloat(cs.MedianWorstLossPct, 'f', 1, 64)})
	secs = append(secs, statsSection{ID: "quality", Title: qt.Caption, Table: qt, CSV: link("quality"),
		Chart: shareChart("chart-quality", qt.Caption, T("console.stats.quality.desc"), tiers)})

	// Capacity of the next days.
	ct := statTable{ID: "capacity", Caption: T("console.stats.capacity.title"),
		Head: []string{T("console.stats.col.day"), T("console.stats.col.appointments"), T("console.stats.col.peak"),
			T("console.stats.col.capacity"), T("console.stats.col.use"), T("console.stats.col.unithours")}}
	days := make([]string, len(caps))
	peaks := make([]float64, len(caps))
	capUnits := 0
	for i, d := range caps {
		days[i], peaks[i], capUnits = d.Day, float64(d.PeakUnits), d.Capacity
		use := 0.0
		if d.Capacity > 0 {
			use = float64(d.PeakUnits) / float64(d.Capacity)
		}
		ct.Rows = append(ct.Rows, []string{d.Day, itoa(d.Appointment), itoa(d.PeakUnits), itoa(d.Capacity), pct(use),
			strconv.FormatFloat(d.UnitHours, 'f', 1, 64)})
	}
	secs = append(secs, statsSection{ID: "capacity", Title: ct.Caption, Table: ct, CSV: link("capacity"),
		Notes: []string{T("console.stats.capacity.note")},
		Chart: barChart("chart-capacity", ct.Caption, T("console.stats.capacity.desc"), days,
			[]series{{T("console.stats.col.peak"), peaks}}, float64(capUnits), T("console.stats.col.capacity"))})

	facts := []statsFact{
		{T("console.stats.fact.appointments"), itoa(tot.Total)},
		{T("console.stats.fact.held"), pct(tot.Share(tot.Held))},
		{T("console.stats.fact.noshow"), pct(tot.Share(tot.NoShow))},
		{T("console.stats.fact.calls"), itoa(cs.Calls)},
		{T("console.stats.fact.minutes"), itoa(cs.Minutes)},
		{T("console.stats.fact.audio"), pct(cs.AudioOnlyShare())},
		{T("console.stats.fact.responses"), itoa(sv.Responses)},
	}
	return secs, facts, nil
}
