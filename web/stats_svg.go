package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Charts of the statistics pages, drawn on the server as inline SVG: no
// script, no library, readable without CSS. Each has a <title> and <desc>
// (role="img"), and the page puts the same figures in a table beside it.
// Colours come from the Okabe–Ito palette, which stays distinct for the
// common colour-vision deficiencies; every series is also named in a legend.

var palette = []string{"#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9"}

// series is one named row of values over a chart's labels.
type series struct {
	Name   string
	Values []float64
}

const (
	chartW, chartH         = 720, 260
	padL, padR, padT, padB = 48, 12, 12, 56
)

// barChart draws stacked vertical bars, one per label; limit > 0 adds a
// dashed line (e.g. the capacity) named limitName.
func barChart(id, title, desc string, labels []string, ss []series, limit float64, limitName string) template.HTML {
	top := limit
	for i := range labels {
		sum := 0.0
		for _, s := range ss {
			if i < len(s.Values) {
				sum += s.Values[i]
			}
		}
		top = math.Max(top, sum)
	}
	top = niceCeil(top)
	var b strings.Builder
	svgOpen(&b, id, title, desc, chartW, chartH+24*((len(ss)+2)/3))
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	y := func(v float64) float64 { return padT + plotH - v/top*plotH }
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d6d9de"/>`, padL, chartW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="#333">%s</text>`, padL-4, y(v)+4, num(v))
	}
	n := max(len(labels), 1)
	slot := plotW / float64(n)
	bw := math.Max(slot*0.7, 1)
	every := int(math.Ceil(float64(n) / 16)) // at most ~16 labels under the axis
	for i, l := range labels {
		x := padL + float64(i)*slot + (slot-bw)/2
		base := 0.0
		for k, s := range ss {
			if i >= len(s.Values) || s.Values[i] <= 0 {
				continue
			}
			v := s.Values[i]
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>`,
				x, y(base+v), bw, y(base)-y(base+v), palette[k%len(palette)], esc(l), esc(s.Name), num(v))
			base += v
		}
		if i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" fill="#333" text-anchor="end" transform="rotate(-40 %.1f %d)">%s</text>`,
				x+bw/2, chartH-padB+14, x+bw/2, chartH-padB+14, esc(l))
		}
	}
	if limit > 0 {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#a11" stroke-width="2" stroke-dasharray="6 4"/>`,
			padL, chartW-padR, y(limit), y(limit))
	}
	legend(&b, ss, limitName, limit > 0, chartH)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// share is one horizontal bar of a share chart.
type share struct {
	Label string
	Value float64 // 0..1
	Note  string  // shown after the bar, e.g. "42 of 50"
}

// shareChart draws one horizontal bar per share, 0–100 %.
func shareChart(id, title, desc string, items []share) template.HTML {
	const rowH, labelW, barW = 34, 260, 300
	h := padT + rowH*len(items) + 8
	var b strings.Builder
	svgOpen(&b, id, title, desc, chartW, h)
	for i, it := range items {
		y := padT + i*rowH
		v := math.Min(math.Max(it.Value, 0), 1)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#1a1a1a" text-anchor="end">%s</text>`, labelW-8, y+17, esc(it.Label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="22" fill="#eef0f3" stroke="#d6d9de"/>`, labelW, y+2, barW)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="22" fill="%s"/>`, labelW, y+2, v*barW, palette[i%len(palette)])
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#1a1a1a">%s %s</text>`, labelW+barW+8, y+17, pct(v), esc(it.Note))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func svgOpen(b *strings.Builder, id, title, desc string, w, h int) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d">`,
		w, h, id, id)
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
}

func legend(b *strings.Builder, ss []series, limitName string, withLimit bool, y0 int) {
	x, y := padL, y0+8
	item := func(name, mark string) {
		if x > chartW-200 {
			x, y = padL, y+24
		}
		b.WriteString(mark)
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" fill="#1a1a1a">%s</text>`, x+20, y+11, esc(name))
		x += 20 + 8*len([]rune(name)) + 24
	}
	for k, s := range ss {
		item(s.Name, fmt.Sprintf(`<rect x="%d" y="%d" width="14" height="14" fill="%s"/>`, x, y, palette[k%len(palette)]))
	}
	if withLimit {
		item(limitName, fmt.Sprintf(`<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#a11" stroke-width="2" stroke-dasharray="6 4"/>`, x, x+14, y+7, y+7))
	}
}

// niceCeil rounds up to 1, 2, 2.5 or 5 times a power of ten (at least 1),
// so the grid lines fall on round numbers.
func niceCeil(v float64) float64 {
	if v <= 1 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func num(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + " %" }

func esc(s string) string { return template.HTMLEscapeString(s) }
