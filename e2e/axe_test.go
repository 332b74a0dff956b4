package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// axeViolation is one accessibility rule axe-core found broken on a page.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Nodes  int    `json:"nodes"`
	HTML   string `json:"html"`
}

func (v axeViolation) String() string {
	return fmt.Sprintf("%s (%s, %d elements, first: %s)", v.ID, v.Impact, v.Nodes, v.HTML)
}

// axePath is axe-core's browser bundle: NAHBAR_AXE_JS, or where
// scripts/install-deps.sh --test (make test-deps) puts it.
func axePath() string {
	if p := os.Getenv("NAHBAR_AXE_JS"); p != "" {
		return p
	}
	return filepath.Join("node_modules", "axe-core", "axe.min.js")
}

// axeSerious runs axe-core (WCAG 2.1 A/AA rules) on the browser's current
// page and returns the serious and critical violations.
func axeSerious(b *browser) ([]axeViolation, error) {
	src, err := os.ReadFile(axePath())
	if err != nil {
		return nil, fmt.Errorf("axe-core not found (run make test-deps or set NAHBAR_AXE_JS): %w", err)
	}
	if _, err := eval[any](b, string(src)); err != nil {
		return nil, fmt.Errorf("load axe-core: %w", err)
	}
	res, err := eval[string](b, `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
		.then((r) => JSON.stringify(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
			.map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.length, html: v.nodes[0].html}))))`)
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(res), &vs); err != nil {
		return nil, fmt.Errorf("axe-core result %q: %w", res, err)
	}
	return vs, nil
}
