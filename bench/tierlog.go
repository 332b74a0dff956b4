package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// TierChanges summarises the server's "tier changed" log lines (rooms logs
// one at info level per receiver switch, with GCC's estimate and the loss the
// receiver reported). On loopback no link limits anything, so a switch down
// with no loss says that delay from CPU contention read as congestion.
type TierChanges struct {
	Down, Up        int
	DownEstimateP50 float64 // kbit/s at the switches down
	DownEstimateMax float64
	DownLossMax     float64 // fraction
}

var tierRank = map[string]int{"high": 0, "medium": 1, "low": 2, "audio": 3}

// ReadTierChanges reads a server log written with slog's text handler.
func ReadTierChanges(r io.Reader) (TierChanges, error) {
	var t TierChanges
	var est []float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `msg="tier changed"`) {
			continue
		}
		f := logFields(line)
		from, ok1 := tierRank[f["from"]]
		to, ok2 := tierRank[f["to"]]
		if !ok1 || !ok2 || from == to {
			continue
		}
		if to < from {
			t.Up++
			continue
		}
		t.Down++
		if v, err := strconv.ParseFloat(f["estimate_kbps"], 64); err == nil {
			est = append(est, v)
			t.DownEstimateMax = max(t.DownEstimateMax, v)
		}
		if v, err := strconv.ParseFloat(f["loss"], 64); err == nil {
			t.DownLossMax = max(t.DownLossMax, v)
		}
	}
	t.DownEstimateP50 = percentile(est, 50)
	if err := sc.Err(); err != nil {
		return t, fmt.Errorf("read server log: %w", err)
	}
	return t, nil
}

// ReadTierChangesFile is ReadTierChanges of a file.
func ReadTierChangesFile(path string) (TierChanges, error) {
	f, err := os.Open(path)
	if err != nil {
		return TierChanges{}, fmt.Errorf("read server log: %w", err)
	}
	defer f.Close()
	return ReadTierChanges(f)
}

// logFields splits a slog text line into key=value pairs (values may be quoted).
func logFields(line string) map[string]string {
	m := map[string]string{}
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		k, rest, ok := strings.Cut(line, "=")
		if !ok || strings.ContainsRune(k, ' ') {
			// Not a key=value token: skip to the next space.
			_, line, _ = strings.Cut(line, " ")
			continue
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			if u, err := strconv.QuotedPrefix(rest); err == nil {
				v, _ = strconv.Unquote(u)
				rest = rest[len(u):]
			} else {
				v, rest, _ = strings.Cut(rest, " ")
			}
		} else {
			v, rest, _ = strings.Cut(rest, " ")
		}
		m[k] = v
		line = rest
	}
	return m
}
