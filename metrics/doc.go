// Package metrics exposes nahbar's Prometheus metrics: the media side's load,
// read at scrape time from a snapshot (so the media path makes no metric calls),
// and the few facts that exist only as events (bookings, failed logins, the
// wait before admission). It is a leaf: what it reads it declares as small
// interfaces and types, and cmd/nahbar adapts rooms to them.
package metrics
