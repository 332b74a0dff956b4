package cluster

// BookableUnits is the capacity the calendar may book: the units of the live
// nodes that take new rooms plus the planned units of nodes not yet running.
// A draining node does not count: it is about to go away.
func BookableUnits(nodes []Node, planned int) int {
	total := planned
	for _, n := range nodes {
		if !n.Draining {
			total += n.Capacity
		}
	}
	return total
}

// capacityLeader reports whether self is the live node that writes the
// capacity (the lowest id), so one write follows a change, not one per node.
func capacityLeader(nodes []Node, self string) bool {
	for _, n := range nodes {
		if n.ID < self {
			return false
		}
	}
	return true
}
