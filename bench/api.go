package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// API is a client of the server's REST API (docs/api.md): rooms and
// invitations, the way a booking system uses it.
type API struct {
	base string // http://host:port
	key  string
	http *http.Client
}

// NewAPI returns a client of the server at base with the bearer key.
func NewAPI(base, key string) (*API, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http(s)://host:port", base)
	}
	return &API{base: strings.TrimRight(base, "/"), key: key, http: &http.Client{Timeout: 15 * time.Second}}, nil
}

// WebSocketURL is the signalling endpoint of the server.
func (a *API) WebSocketURL() string {
	return "ws" + strings.TrimPrefix(a.base, "http") + "/ws"
}

// apiError is an error answer of the API.
type apiError struct {
	Status  int
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// errNoStats means the server has no statistics endpoint.
var errNoStats = errors.New("the server offers no statistics endpoint")

func (a *API) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{Status: resp.StatusCode}
		_ = json.Unmarshal(b, e)
		return fmt.Errorf("%s %s: %w", method, path, e)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// CreateRoom creates a room and returns its id.
func (a *API) CreateRoom(ctx context.Context, name string) (string, error) {
	var r struct {
		ID string `json:"id"`
	}
	if err := a.call(ctx, http.MethodPost, "/api/v1/rooms", map[string]string{"name": name}, &r); err != nil {
		return "", fmt.Errorf("create room %q: %w", name, err)
	}
	if r.ID == "" {
		return "", fmt.Errorf("create room %q: answer without an id", name)
	}
	return r.ID, nil
}

// Invite issues a join token for role in room.
func (a *API) Invite(ctx context.Context, room, role, name string) (string, error) {
	var r struct {
		Token string `json:"token"`
	}
	in := map[string]any{"role": role, "display_name": name, "expires_in": 3600}
	if err := a.call(ctx, http.MethodPost, "/api/v1/rooms/"+url.PathEscape(room)+"/participants", in, &r); err != nil {
		return "", fmt.Errorf("invite %s to %s: %w", name, room, err)
	}
	if r.Token == "" {
		return "", fmt.Errorf("invite %s to %s: answer without a token", name, room)
	}
	return r.Token, nil
}

// ServerStats is the server's own count of what runs, if it publishes one.
type ServerStats struct {
	Rooms         int `json:"rooms"`
	Participants  int `json:"participants"`
	VideoEncoders int `json:"video_encoders"`
	AudioEncoders int `json:"audio_encoders"`
	// Counters since the server started (0 from a server that does not send them).
	PacketsSent uint64 `json:"rtp_packets_sent"`
	HeapAllocs  uint64 `json:"heap_allocs"`
}

// Stats reads GET /api/v1/stats; errNoStats if the server has none.
func (a *API) Stats(ctx context.Context) (ServerStats, error) {
	var s ServerStats
	err := a.call(ctx, http.MethodGet, "/api/v1/stats", nil, &s)
	var ae *apiError
	if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed) {
		return s, errNoStats
	}
	return s, err
}

// Healthy reports whether /healthz answers 200.
func (a *API) Healthy(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
