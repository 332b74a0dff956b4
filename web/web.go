package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/metrics"
	"github.com/nahbar/nahbar/storage"
)

// Signaller is what web needs from the media side: the signalling
// WebSocket. *rooms.Manager implements it; declaring it here keeps the
// handler testable with the real manager or without one.
type Signaller interface {
	ServeWS(w http.ResponseWriter, r *http.Request)
}

// Config configures the HTTP application.
type Config struct {
	// PublicURL is the base of join links handed out by the API, e.g.
	// "https://termine.example.org". Empty: derived from each API request.
	PublicURL string
	// APIKey is the bearer key of /api/v1. Empty disables the API (every call
	// answers 401) so a forgotten key never means an open API.
	APIKey string
	// Store holds rooms and invitation tokens; the same value must be the
	// rooms.Manager's Authorizer.
	Store *Store
	// TokenTTL is how long a new invitation stays valid unless the API call
	// asks for less; MaxTokenTTL caps what the API may ask for.
	TokenTTL, MaxTokenTTL time.Duration
	// MaxBodyBytes limits API request bodies (default 16 KiB).
	MaxBodyBytes int64
	// AudioProcessing turns the browser's echo cancellation, noise
	// suppression and automatic gain control on (the right choice for people)
	// or off (tests with pure tones, which these filters would suppress).
	AudioProcessing bool
	// Storage enables the citizen pages (invitation, device check, waiting
	// room, survey) over stored appointments; nil leaves only the API's rooms.
	Storage *storage.Store
	// Lobby is the waiting room shared with the rooms.Authorizer
	// (NewStoreAuthorizer); required with Storage.
	Lobby *Lobby
	// Console configures the advisor console and admin pages under /console
	// (mounted with Storage).
	Console ConsoleConfig
	// Live is the media side's snapshot (the one /metrics reads) for the
	// admins' live operations view; nil: the view says it is not wired.
	Live metrics.Source
	// Ender ends a call for everyone in it (console "End call", the API's
	// POST /rooms/:id/end). Nil: the Signaller, when it can (a single node's
	// *rooms.Manager); a cluster passes one that reaches the room's node.
	Ender RoomEnder
	// Events counts bookings, failed logins and admission waits for
	// /metrics; nil counts nothing.
	Events *metrics.Events
	Logger *slog.Logger
}

func (c *Config) setDefaults() error {
	if c.Store == nil {
		return errors.New("web config: Store is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 24 * time.Hour
	}
	if c.MaxTokenTTL <= 0 {
		c.MaxTokenTTL = 30 * 24 * time.Hour
	}
	if c.TokenTTL > c.MaxTokenTTL {
		return fmt.Errorf("web config: TokenTTL %v exceeds MaxTokenTTL %v", c.TokenTTL, c.MaxTokenTTL)
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 16 << 10
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil {
			return fmt.Errorf("web config: public URL %q: %w", c.PublicURL, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("web config: public URL %q must be http(s)://host[:port][/path]", c.PublicURL)
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	return nil
}

// New builds the HTTP handler: health check, JSON API, join page, static
// assets and the signalling WebSocket.
func New(cfg Config, sig Signaller) (http.Handler, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if sig == nil {
		return nil, errors.New("web: a Signaller (rooms.Manager) is required")
	}
	if cfg.Ender == nil {
		if e, ok := sig.(RoomEnder); ok {
			cfg.Ender = e
		}
	}
	if gin.Mode() == gin.DebugMode {
		gin.SetMode(gin.ReleaseMode) // no route dump on stdout; we log through slog
	}
	assets, err := loadAssets()
	if err != nil {
		return nil, err
	}
	page, err := newJoinPage(cfg, assets)
	if err != nil {
		return nil, err
	}
	api := &api{cfg: cfg, store: cfg.Store}

	r := gin.New()
	r.HandleMethodNotAllowed = true
	if err := r.SetTrustedProxies(nil); err != nil { // never believe X-Forwarded-For unless configured
		return nil, fmt.Errorf("web: trusted proxies: %w", err)
	}
	guard, err := crossSiteGuard(cfg.PublicURL, cfg.Logger)
	if err != nil {
		return nil, err
	}
	r.Use(recovery(cfg.Logger), requestLogger(cfg.Logger), securityHeaders(), guard)
	r.NoRoute(func(c *gin.Context) { jsonError(c, http.StatusNotFound, "not_found", "no such page") })
	r.NoMethod(func(c *gin.Context) {
		jsonError(c, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed")
	})

	r.GET("/", page.serveIndex)
	r.GET("/healthz", healthz)
	r.HEAD("/healthz", healthz)
	r.GET("/static/:version/*file", assets.serve)
	r.GET("/j/:token", page.serve)
	r.GET("/ws", gin.WrapF(sig.ServeWS))

	if cfg.Storage != nil {
		if err := registerCitizen(r, cfg, page); err != nil {
			return nil, err
		}
	}

	if err := registerConsole(r, cfg); err != nil {
		return nil, err
	}

	v1 := r.Group("/api/v1", requireAPIKey(cfg.APIKey), limitBody(cfg.MaxBodyBytes))
	v1.POST("/rooms", api.createRoom)
	v1.POST("/rooms/:id/participants", api.createParticipant)
	v1.POST("/rooms/:id/end", api.endRoom)
	v1.GET("/stats", serveStats(sig))
	return r, nil
}

func healthz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// JoinURL is the link a participant opens; the token is its only secret.
func JoinURL(base, token string) string {
	return strings.TrimRight(base, "/") + "/j/" + token
}
