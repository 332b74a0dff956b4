package web

import "strconv"

// admitTimed admits a waiting person like Lobby.Admit and records how long
// they waited (for the admission-wait histogram of /metrics).
func (c *console) admitTimed(roomID, id string) error {
	e, ok := c.lobby.State(id)
	if err := c.lobby.Admit(roomID, id); err != nil {
		return err
	}
	if ok && e.State == LobbyWaiting {
		c.cfg.Events.Admitted(c.cc.Now().Sub(e.Since))
	}
	return nil
}

// AppointmentOfRoom is the appointment whose call a room is (the inverse of
// AppointmentRoomID), so call records can be counted per location and type;
// rooms made through the API belong to no appointment.
func AppointmentOfRoom(roomID string) (uint, bool) {
	prefix := AppointmentRoomID(0)
	prefix = prefix[:len(prefix)-1]
	if len(roomID) <= len(prefix) || roomID[:len(prefix)] != prefix {
		return 0, false
	}
	n, err := strconv.ParseUint(roomID[len(prefix):], 10, 32)
	if err != nil || n == 0 || AppointmentRoomID(uint(n)) != roomID {
		return 0, false
	}
	return uint(n), true
}
