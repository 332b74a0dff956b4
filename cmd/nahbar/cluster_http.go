package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/nahbar/nahbar/rooms"
)

// handler adds the node's own routes to the web application: the internal
// signalling endpoint other nodes relay to (bearer API key) and the node
// API (GET /api/v1/node, POST /api/v1/node/drain).
func (n *clusterNode) handler(next http.Handler, mgr *rooms.Manager) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", next)
	mux.HandleFunc("GET /ws/node", func(w http.ResponseWriter, r *http.Request) {
		if !n.clustered() || !n.authorized(r) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		n.passed.accept(r.Header.Get(grantHeaderName), time.Now())
		mgr.ServeWS(w, r)
	})
	mux.HandleFunc("GET /api/v1/node", func(w http.ResponseWriter, r *http.Request) {
		if !n.authorized(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		st, err := n.agent.Status(ctx)
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		nodes, _ := n.router.Nodes(ctx)
		writeJSON(w, http.StatusOK, map[string]any{"node": st.Node.ID, "region": st.Node.Region,
			"capacity_units": st.Node.Capacity, "rooms": st.Rooms, "draining": st.Draining,
			"bookable_units": st.Capacity, "nodes": nodes})
	})
	mux.HandleFunc("POST /api/v1/node/drain", func(w http.ResponseWriter, r *http.Request) {
		if !n.authorized(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		deadline := time.Now().Add(n.cfg.DrainTimeout)
		n.agent.Drain(deadline)
		writeJSON(w, http.StatusAccepted, map[string]any{"draining": true, "deadline": deadline.UTC()})
	})
	return mux
}

func (n *clusterNode) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && n.apiKey != "" && subtle.ConstantTimeCompare([]byte(got), []byte(n.apiKey)) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
