package bench

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// series is one line of a chart.
type series struct {
	name string
	xs   []float64
	ys   []float64
}

var chartColours = []color.RGBA{{0x1f, 0x77, 0xb4, 255}, {0xd6, 0x27, 0x28, 255}, {0x2c, 0xa0, 0x2c, 255}, {0x94, 0x67, 0xbd, 255}, {0x8c, 0x56, 0x4b, 255}}

// lineChart draws series against a shared x axis into path.
func lineChart(path, title, x, y string, ss []series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	for i, s := range ss {
		pts := make(plotter.XYs, len(s.xs))
		for j := range s.xs {
			pts[j].X, pts[j].Y = s.xs[j], s.ys[j]
		}
		l, sc, err := plotterLinePoints(pts)
		if err != nil {
			return fmt.Errorf("chart %s: %w", title, err)
		}
		c := chartColours[i%len(chartColours)]
		l.Color, sc.Color = c, c
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	if err := p.Save(16*vg.Centimeter, 9*vg.Centimeter, path); err != nil {
		return fmt.Errorf("save chart %s: %w", path, err)
	}
	return nil
}

func plotterLinePoints(pts plotter.XYs) (*plotter.Line, *plotter.Scatter, error) {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, nil, err
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, nil, err
	}
	return l, s, nil
}

// barChart draws pairs of bars (a and b per label) into path.
func barChart(path, title, y string, labels []string, aName string, a []float64, bName string, b []float64) error {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = y
	w := vg.Points(18)
	ba, err := plotter.NewBarChart(plotter.Values(a), w)
	if err != nil {
		return fmt.Errorf("chart %s: %w", title, err)
	}
	bb, err := plotter.NewBarChart(plotter.Values(b), w)
	if err != nil {
		return fmt.Errorf("chart %s: %w", title, err)
	}
	ba.Color, bb.Color = chartColours[0], chartColours[1]
	ba.Offset, bb.Offset = -w/2, w/2
	p.Add(ba, bb)
	p.Legend.Add(aName, ba)
	p.Legend.Add(bName, bb)
	p.Legend.Top = true
	p.NominalX(labels...)
	if err := p.Save(16*vg.Centimeter, 9*vg.Centimeter, path); err != nil {
		return fmt.Errorf("save chart %s: %w", path, err)
	}
	return nil
}

// rampSeries extracts one figure of every step of a ramp.
func rampSeries(r *RampResult, name string, f func(Window) float64) series {
	s := series{name: name}
	for _, w := range r.Steps {
		s.xs = append(s.xs, float64(w.Load))
		s.ys = append(s.ys, f(w))
	}
	return s
}

// charts draws the report's charts into dir and returns their file names.
func (r *Report) charts(dir string) ([]string, error) {
	var files []string
	add := func(name string, err error) error {
		if err != nil {
			return err
		}
		files = append(files, name)
		return nil
	}
	target := func(r *RampResult) series {
		s := series{name: "90 % of 15 fps"}
		for _, w := range r.Steps {
			s.xs = append(s.xs, float64(w.Load))
			s.ys = append(s.ys, 0.9*SourceFPS)
		}
		return s
	}
	if c := r.Calls; c != nil && len(c.Steps) > 0 {
		if err := add("calls_cpu.png", lineChart(filepath.Join(dir, "calls_cpu.png"), "1:1 calls: CPU", "concurrent 1:1 calls", "% of one core", []series{
			rampSeries(c, "server", func(w Window) float64 { return w.ServerCPU }),
			rampSeries(c, "load generator", func(w Window) float64 { return w.BenchCPU }),
			rampSeries(c, "other processes", func(w Window) float64 { return w.OtherCPU }),
		})); err != nil {
			return files, err
		}
		if err := add("calls_fps.png", lineChart(filepath.Join(dir, "calls_fps.png"), "1:1 calls: delivered frame rate", "concurrent 1:1 calls", "fps per receiver", []series{
			rampSeries(c, "10th percentile", func(w Window) float64 { return w.FPSP10 }),
			rampSeries(c, "mean", func(w Window) float64 { return w.FPSMean }),
			target(c),
		})); err != nil {
			return files, err
		}
	}
	if g := r.Group; g != nil && len(g.Steps) > 0 {
		if err := add("group_cpu.png", lineChart(filepath.Join(dir, "group_cpu.png"), "Group session: CPU and encoders", "receive-only attendees", "% of one core / count ×10", []series{
			rampSeries(g, "server CPU %", func(w Window) float64 { return w.ServerCPU }),
			rampSeries(g, "video encoders ×10", func(w Window) float64 { return 10 * float64(w.VideoEncoders) }),
			rampSeries(g, "load generator CPU %", func(w Window) float64 { return w.BenchCPU }),
			rampSeries(g, "other processes CPU %", func(w Window) float64 { return w.OtherCPU }),
		})); err != nil {
			return files, err
		}
		if err := add("group_memory.png", lineChart(filepath.Join(dir, "group_memory.png"), "Group session: server memory", "receive-only attendees", "RSS, MB", []series{
			rampSeries(g, "server RSS", func(w Window) float64 { return w.ServerRSSMB }),
		})); err != nil {
			return files, err
		}
		if err := add("group_fps.png", lineChart(filepath.Join(dir, "group_fps.png"), "Group session: delivered frame rate", "receive-only attendees", "fps per attendee", []series{
			rampSeries(g, "10th percentile", func(w Window) float64 { return w.FPSP10 }),
			rampSeries(g, "mean", func(w Window) float64 { return w.FPSMean }),
			target(g),
		})); err != nil {
			return files, err
		}
	}
	if len(r.Rooms) > 1 {
		rooms := &RampResult{Steps: r.Rooms}
		if err := add("rooms_cpu.png", lineChart(filepath.Join(dir, "rooms_cpu.png"), "Rooms: server CPU by size", "publishers in the room", "% of one core", []series{
			rampSeries(rooms, "server", func(w Window) float64 { return w.ServerCPU }),
			rampSeries(rooms, "load generator", func(w Window) float64 { return w.BenchCPU }),
			rampSeries(rooms, "other processes", func(w Window) float64 { return w.OtherCPU }),
		})); err != nil {
			return files, err
		}
	}
	var labels []string
	var nb, sfu, lat50, lat95 []float64
	for _, w := range r.Rooms {
		labels = append(labels, w.Label)
		nb, sfu = append(nb, w.DownKbpsMean), append(sfu, w.SFUDownKbpsMean)
		lat50, lat95 = append(lat50, w.LatencyP50), append(lat95, w.LatencyP95)
	}
	if g := r.Group; g != nil && len(g.Steps) > 0 {
		w := g.Steps[len(g.Steps)-1]
		for _, s := range g.Steps {
			if s.Label == r.Headlines.GroupBandwidthFrom {
				w = s // the step the headline takes its bandwidth from
			}
		}
		labels = append(labels, "group, "+w.Label)
		nb, sfu = append(nb, w.DownKbpsMean), append(sfu, w.SFUDownKbpsMean)
		lat50, lat95 = append(lat50, w.LatencyP50), append(lat95, w.LatencyP95)
	}
	if len(labels) > 0 {
		if err := add("bandwidth.png", barChart(filepath.Join(dir, "bandwidth.png"), "Downstream per receiver", "kbit/s", labels, "nahbar (composed)", nb, "SFU (every stream forwarded)", sfu)); err != nil {
			return files, err
		}
		if err := add("latency.png", barChart(filepath.Join(dir, "latency.png"), "End-to-end latency (camera stamp → decoded composite)", "ms", labels, "p50", lat50, "p95", lat95)); err != nil {
			return files, err
		}
	}
	if f := r.FFmpeg; f != nil && f.CPUPerFrame > 0 && r.Headlines.RoomCPUPerFrame > 0 {
		l := []string{fmt.Sprintf("room of %d", f.Publishers)}
		if err := add("cpu_ratio.png", barChart(filepath.Join(dir, "cpu_ratio.png"), "CPU per composed output frame: nahbar vs ffmpeg", "ms of CPU", l,
			"nahbar server (everything)", []float64{r.Headlines.RoomCPUPerFrame}, "ffmpeg command line (video only)", []float64{f.CPUPerFrame})); err != nil {
			return files, err
		}
	}
	return files, nil
}
