package web

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/nahbar/nahbar/metrics"
)

// liveNode is one row of the live view's node table.
type liveNode struct {
	ID              string
	Rooms, Capacity int
	Load            string // rooms of capacity, as a percentage
	Draining, Self  bool
}

// liveRoom is one call on this node: counts only (a room id names an
// appointment number, never a person).
type liveRoom struct {
	ID        string
	ByRole    string
	Encoders  string
	Receivers string
}

type liveData struct {
	Wired        bool
	Node         string
	Totals       metrics.Totals
	Roles        []liveCount
	Tiers        []liveCount
	Nodes        []liveNode
	Rooms        []liveRoom
	Capacity     int
	Load         string
	EncoderTotal int
}

type liveCount struct {
	Name string
	N    int
}

// livePage is the operators' view of now: rooms, participants by role,
// encoders and receivers per tier on this node, and every node's load
// against its capacity. It reads the same snapshot as /metrics.
func (c *console) livePage(ctx *gin.Context) {
	d := liveData{}
	if c.cfg.Live != nil {
		d = liveView(c.cfg.Live.Snapshot())
	}
	c.render(ctx, http.StatusOK, "live", c.view(ctx, "console.live.title", d))
}

// liveView arranges a snapshot for the page.
func liveView(s metrics.Snapshot) liveData {
	t := s.Sum()
	d := liveData{Wired: true, Node: s.Node, Totals: t, Capacity: s.CapacityRooms, EncoderTotal: t.VideoEncoders + t.AudioEncoders}
	d.Load = load(t.Rooms, s.CapacityRooms)
	for _, r := range metrics.Roles {
		d.Roles = append(d.Roles, liveCount{r, t.ByRole[r]})
	}
	for _, tier := range metrics.Tiers {
		d.Tiers = append(d.Tiers, liveCount{tier, t.ReceiversByTier[tier]})
	}
	for _, n := range s.Nodes {
		d.Nodes = append(d.Nodes, liveNode{ID: n.ID, Rooms: n.Rooms, Capacity: n.Capacity, Load: load(n.Rooms, n.Capacity),
			Draining: n.Draining, Self: n.Self})
	}
	if len(d.Nodes) == 0 {
		d.Nodes = []liveNode{{ID: s.Node, Rooms: t.Rooms, Capacity: s.CapacityRooms, Load: d.Load, Self: true}}
	}
	for _, r := range s.Rooms {
		roles := map[string]int{}
		recv := map[string]int{}
		for _, p := range r.Participants {
			roles[p.Role]++
			if p.Tier != "" {
				recv[p.Tier]++
			}
		}
		enc := map[string]int{}
		for _, e := range r.Encoders {
			enc[e.Tier+"/"+e.Codec]++
		}
		d.Rooms = append(d.Rooms, liveRoom{ID: r.ID, ByRole: counts(roles, metrics.Roles), Receivers: counts(recv, metrics.Tiers),
			Encoders: counts(enc, nil)})
	}
	sort.Slice(d.Rooms, func(i, j int) bool { return d.Rooms[i].ID < d.Rooms[j].ID })
	return d
}

func load(n, capacity int) string {
	if capacity <= 0 {
		return "–"
	}
	return pct(float64(n) / float64(capacity))
}

// counts writes "advisor 1, citizen 2" in the given order, or sorted.
func counts(m map[string]int, order []string) string {
	if order == nil {
		for k := range m {
			order = append(order, k)
		}
		sort.Strings(order)
	}
	var parts []string
	for _, k := range order {
		if m[k] > 0 {
			parts = append(parts, k+" "+strconv.Itoa(m[k]))
		}
	}
	return strings.Join(parts, ", ")
}
