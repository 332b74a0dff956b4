// Package cluster lets several nahbar nodes serve one service: a node
// registry with heartbeats, atomic room placement on the least-loaded live
// node, re-placement when a host dies, draining for upgrades and the booking
// capacity of the live nodes. Routing sits behind one interface, Router, with
// an in-process implementation for a single node (the default) and a Redis
// implementation beside it, the way LiveKit separates its local and Redis
// routers. Placement policies are small functions, one per file.
package cluster
