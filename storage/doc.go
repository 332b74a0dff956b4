// Package storage keeps nahbar's booking data: tenants and their branding, advisors,
// appointment types, availability, appointments with capacity-aware booking,
// participant invitations, group-session registrations, anonymous survey answers,
// call records and the audit log, on SQLite (embedded default) or PostgreSQL.
//
// storage owns the GORM structs; the web layer maps them to its own JSON and
// template shapes, and consumers declare the small interfaces they need.
//
// Privacy by design: tokens are 128-bit random and only their SHA-256 hashes are
// stored; survey answers carry no person, appointment or exact time; Purge deletes
// citizen contact data after a configured number of days.
//
// Race-free booking: on SQLite every write runs on one writer connection inside
// BEGIN IMMEDIATE, so writers are serialised; on PostgreSQL a booking takes
// transaction-scoped advisory locks on every hour bucket its interval touches (two
// overlapping intervals always share a bucket), so the capacity and double-booking
// checks and the insert happen as one serialised step per time bucket.
package storage
