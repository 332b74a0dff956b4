// Package bench is nahbar's load generator and benchmark report: synthetic
// publishers whose frames carry a machine-readable stamp, receive-only
// attendees, scenarios (1:1 calls, rooms, group sessions, ramps) and side-by-side
// baselines (the ffmpeg command line, SFU-style forwarding). It talks to the
// server only through its public interfaces — the REST API, the signalling
// WebSocket and WebRTC — as a browser does, and reads the server process's CPU
// and memory from /proc. `nahbar bench` runs Main.
package bench
