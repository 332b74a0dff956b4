package cluster

// RegionAware picks the least-loaded node of region when one there can take
// the room, else the least-loaded node anywhere: media stays close to the
// user unless the region is full or down.
func RegionAware(nodes []Node, region string) (Node, bool) {
	if region != "" {
		local := make([]Node, 0, len(nodes))
		for _, n := range nodes {
			if n.Region == region {
				local = append(local, n)
			}
		}
		if n, ok := LeastLoaded(local); ok {
			return n, true
		}
	}
	return LeastLoaded(nodes)
}
