package rooms

import (
	"context"
	"errors"
)

// Role is what a participant is in a call. It decides whether the participant
// publishes camera and microphone or only receives the composed call.
type Role string

// The roles of a video appointment. Every role except RoleAttendee publishes.
const (
	RoleAdvisor     Role = "advisor"
	RoleCitizen     Role = "citizen"
	RoleInterpreter Role = "interpreter"
	RoleGuardian    Role = "guardian"
	RoleCounsel     Role = "counsel"
	RoleAttendee    Role = "attendee" // receive-only, e.g. group information sessions
	// RoleSelfTest publishes and receives the view of everyone including itself:
	// the device-check page's test call loops the citizen's own media through the MCU.
	RoleSelfTest Role = "selftest"
)

// Valid reports whether r is one of the known roles, so that a grant or a
// message naming an unknown role is rejected instead of silently accepted.
func (r Role) Valid() bool {
	switch r {
	case RoleAdvisor, RoleCitizen, RoleInterpreter, RoleGuardian, RoleCounsel, RoleAttendee, RoleSelfTest:
		return true
	}
	return false
}

// Publishes reports whether participants of this role send camera and
// microphone; attendees only receive, so the server offers them recvonly media.
func (r Role) Publishes() bool {
	return r.Valid() && r != RoleAttendee
}

// SeesSelf reports whether participants of this role receive their own
// picture and sound back (the test call), so their view is mixer.ViewAll.
func (r Role) SeesSelf() bool { return r == RoleSelfTest }

// Grant is what a valid token entitles its bearer to: which room, under which
// name and in which role.
type Grant struct {
	RoomID      string
	DisplayName string
	Role        Role
}

// Authorizer turns a join token into a Grant. The consumer (rooms) declares it;
// web (later storage) implements it and keeps tokens hashed at rest.
type Authorizer interface {
	Authorize(ctx context.Context, token string) (Grant, error)
}

// ErrInvalidToken is returned (possibly wrapped) by an Authorizer for a
// forged, unknown or expired token; the client then gets error{invalid_token}.
var ErrInvalidToken = errors.New("invalid or expired token")

// ErrRoomEnded is returned (possibly wrapped) by an Authorizer for a valid
// token whose call has been ended (its appointment is done); the client then
// gets error{room_ended} and can say so instead of "invalid link". It does
// not wrap ErrInvalidToken, so no fallback lookup treats it as "unknown here".
var ErrRoomEnded = errors.New("the call has ended")
