package cluster

// LeastLoaded picks the node with the most free units among those that take
// new rooms (not draining, not full); ties go to the lower load, then the
// lower id, so the choice is deterministic. ok is false when none fits.
func LeastLoaded(nodes []Node) (best Node, ok bool) {
	for _, n := range nodes {
		if n.Draining || n.Free() == 0 {
			continue
		}
		if !ok || better(n, best) {
			best, ok = n, true
		}
	}
	return best, ok
}

func better(a, b Node) bool {
	if a.Free() != b.Free() {
		return a.Free() > b.Free()
	}
	if a.Load != b.Load {
		return a.Load < b.Load
	}
	return a.ID < b.ID
}
