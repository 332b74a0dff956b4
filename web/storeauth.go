package web

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
)

// AppointmentRoomID is the media room of an appointment.
func AppointmentRoomID(appointmentID uint) string {
	return "appt-" + strconv.FormatUint(uint64(appointmentID), 10)
}

// InvitationLobbyID is the lobby entry of an invitation. It is derived from
// the invitation, so a citizen who reloads the waiting room or reconnects
// after the call dropped keeps the advisor's decision; the page never sees
// it (it speaks with its token).
func InvitationLobbyID(invitationID uint) string {
	return "inv-" + strconv.FormatUint(uint64(invitationID), 10)
}

// Invitations is what the authorizer and the citizen pages need from
// storage; *storage.Store implements it.
type Invitations interface {
	InvitationByToken(ctx context.Context, token string) (storage.Invitation, storage.Appointment, error)
	AuthorizeInvitation(ctx context.Context, token string) (storage.Invitation, storage.Appointment, error)
	Appointment(ctx context.Context, id uint) (storage.Appointment, error)
}

// StoreAuthorizer is the rooms.Authorizer of a server with storage: a token
// is first looked up among the API's in-memory invitations (Store), then
// among the stored appointment invitations. Citizens and the people who
// come with them (interpreter, guardian, counsel) pass only once the Lobby
// says the advisor admitted them; group attendees pass once the session has
// started. The appointment's time window is enforced by storage.
type StoreAuthorizer struct {
	mem   *Store
	inv   Invitations
	lobby *Lobby
	now   func() time.Time
}

var _ rooms.Authorizer = (*StoreAuthorizer)(nil)

// NewStoreAuthorizer chains mem (may be nil) and the stored invitations.
func NewStoreAuthorizer(mem *Store, inv Invitations, lobby *Lobby, now func() time.Time) *StoreAuthorizer {
	if now == nil {
		now = time.Now
	}
	return &StoreAuthorizer{mem: mem, inv: inv, lobby: lobby, now: now}
}

// ErrNotAdmitted means the invitation is fine but the advisor has not let
// its holder in yet; it wraps rooms.ErrInvalidToken so the page hears
// invalid_token and goes back to the waiting room.
var ErrNotAdmitted = fmt.Errorf("not admitted from the waiting room yet: %w", rooms.ErrInvalidToken)

// Authorize implements rooms.Authorizer.
func (a *StoreAuthorizer) Authorize(ctx context.Context, token string) (rooms.Grant, error) {
	if a.mem != nil {
		g, err := a.mem.Authorize(ctx, token)
		if err == nil {
			// The advisor's link of an appointment: only while it is booked.
			if err := a.CheckRoom(ctx, g.RoomID); err != nil {
				return rooms.Grant{}, err
			}
			return g, nil
		}
		if !errors.Is(err, rooms.ErrInvalidToken) {
			return g, err
		}
	}
	inv, appt, err := a.inv.AuthorizeInvitation(ctx, token)
	if err != nil {
		if errors.Is(err, storage.ErrTokenExpired) && a.endedAppointment(ctx, token) {
			return rooms.Grant{}, fmt.Errorf("authorize stored invitation: %v: %w", err, rooms.ErrRoomEnded)
		}
		if isTokenError(err) {
			return rooms.Grant{}, fmt.Errorf("authorize stored invitation: %v: %w", err, rooms.ErrInvalidToken)
		}
		return rooms.Grant{}, fmt.Errorf("authorize stored invitation: %w", err)
	}
	grant := rooms.Grant{RoomID: AppointmentRoomID(appt.ID), DisplayName: inv.DisplayName, Role: rooms.Role(inv.Role)}
	switch inv.Role {
	case storage.InviteAttendee:
		if a.now().Before(appt.Start) {
			return rooms.Grant{}, fmt.Errorf("authorize invitation %d: the session starts at %s: %w",
				inv.ID, appt.Start.UTC().Format(time.RFC3339), ErrNotAdmitted)
		}
		return grant, nil
	default:
		e, ok := a.lobby.State(InvitationLobbyID(inv.ID))
		if !ok || e.State != LobbyAdmitted || e.RoomID != grant.RoomID {
			return rooms.Grant{}, fmt.Errorf("authorize invitation %d: %w", inv.ID, ErrNotAdmitted)
		}
		return grant, nil
	}
}

// CheckRoom refuses joins of a room whose call is over: an API room ended
// with EndRoom, or an appointment's room once the appointment is done or a
// no-show (rooms.ErrRoomEnded), or cancelled (rooms.ErrInvalidToken). Other
// rooms pass. A cluster calls it for grants it got from another node.
func (a *StoreAuthorizer) CheckRoom(ctx context.Context, roomID string) error {
	if a.mem != nil && a.mem.Ended(roomID) {
		return fmt.Errorf("room %s: %w", roomID, rooms.ErrRoomEnded)
	}
	id, ok := appointmentOfRoom(roomID)
	if !ok {
		return nil
	}
	appt, err := a.inv.Appointment(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("room %s: no such appointment: %w", roomID, rooms.ErrInvalidToken)
	case err != nil:
		return fmt.Errorf("check room %s: %w", roomID, err)
	}
	switch appt.Status {
	case storage.StatusBooked:
		return nil
	case storage.StatusDone, storage.StatusNoShow:
		return fmt.Errorf("room %s: appointment is %s: %w", roomID, appt.Status, rooms.ErrRoomEnded)
	default:
		return fmt.Errorf("room %s: appointment is %s: %w", roomID, appt.Status, rooms.ErrInvalidToken)
	}
}

// endedAppointment reports whether token is a real invitation whose
// appointment has been held and closed (done or no-show): its holder hears
// "the call has ended" rather than "invalid link".
func (a *StoreAuthorizer) endedAppointment(ctx context.Context, token string) bool {
	_, appt, err := a.inv.InvitationByToken(ctx, token)
	return err == nil && (appt.Status == storage.StatusDone || appt.Status == storage.StatusNoShow)
}

// appointmentOfRoom is the inverse of AppointmentRoomID.
func appointmentOfRoom(roomID string) (uint, bool) {
	rest, ok := strings.CutPrefix(roomID, "appt-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 0)
	if err != nil || n == 0 || strconv.FormatUint(n, 10) != rest {
		return 0, false
	}
	return uint(n), true
}

// isTokenError reports whether err is one of storage's answers about the
// link itself (as opposed to a database failure).
func isTokenError(err error) bool {
	for _, target := range []error{storage.ErrInvalidToken, storage.ErrTokenExpired, storage.ErrTokenNotYetValid,
		storage.ErrCancelled, storage.ErrNotFound} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// EnsureRoom registers a room under a known id (an appointment's room) so
// that in-memory tokens can be issued for it, e.g. the advisor's link from
// the console or the demo. An existing room keeps its name.
func (s *Store) EnsureRoom(id, name string) (Room, error) {
	if id == "" {
		return Room{}, errors.New("ensure room: empty id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.rooms[id]; ok {
		return r, nil
	}
	r := Room{ID: id, Name: name}
	if err := s.addRoomLocked(r, s.now()); err != nil {
		return Room{}, fmt.Errorf("ensure room %q: %w", id, err)
	}
	return r, nil
}

// InvitationURL is the link in a stored appointment's invitation: it opens
// the citizen's journey (device check, waiting room, call).
func InvitationURL(base, token string) string {
	return strings.TrimRight(base, "/") + "/i/" + token
}
