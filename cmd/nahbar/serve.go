package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// serve wires the server together and runs it until ctx ends, then shuts
// down gracefully: first stop taking HTTP requests, then say bye to every
// participant and free the media, both within cfg.ShutdownTimeout.
func serve(ctx context.Context, cfg serveConfig, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	// 1. Data directory and storage (SQLite there, or PostgreSQL), migrated.
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	db, err := storage.Open(ctx, storage.Config{DataDir: cfg.DataDir, DSN: cfg.DatabaseURL,
		RetentionDays: cfg.RetentionDays, Logger: log.With("component", "storage")})
	if err != nil {
		return fmt.Errorf("open storage: %w", err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Warn("close storage", "err", err)
		}
	}()
	mailer, err := newMailer(cfg.SMTP, log.With("component", "mail"))
	if err != nil {
		return err
	}
	if mailer == nil {
		log.Info("e-mail is disabled (no NAHBAR_SMTP_HOST): invitations are not mailed; the booking page shows the links")
	}

	// 2. The API key: a demo generates one so a newcomer needs no setup.
	if cfg.APIKey == "" {
		key, err := randomKey()
		if err != nil {
			return err
		}
		cfg.APIKey = key
		fmt.Fprintf(stdout, "Demo API key (generated): %s\n", key)
	}

	// 3. Rooms and invitations (the API's in memory, the appointments' in
	// storage, admission through the lobby), then the media side that checks them.
	cl, err := newClusterNode(ctx, cfg.Cluster, cfg.Listen, cfg.APIKey, db, log.With("component", "cluster"))
	if err != nil {
		return err
	}
	defer cl.close()
	store := web.NewStore(web.StoreConfig{Issued: cl.shareToken, Directory: cl.directory()})
	lobby := web.NewLobby(time.Now)
	if err := cl.replicateLobby(ctx, lobby); err != nil {
		return err
	}
	auth := web.NewStoreAuthorizer(store, db, lobby, time.Now)
	purgeCtx, stopPurge := context.WithCancel(context.Background())
	purgeDone := make(chan struct{})
	go func() {
		defer close(purgeDone)
		purgeLoop(purgeCtx, db, lobby, time.NewTicker(purgeInterval), time.Now, log.With("component", "purge"))
	}()
	defer func() { stopPurge(); <-purgeDone }() // before the storage closes
	defer startReminders(db, mailer, cfg.PublicURL, log.With("component", "reminder"))()
	joins := new(joinTimes)
	mgr, err := rooms.NewManager(rooms.Config{
		PublicIPs:  cfg.PublicIPs,
		UDPPort:    cfg.UDPPort,
		UDPPortMin: uint16(cfg.UDPPortMin),
		UDPPortMax: uint16(cfg.UDPPortMax),
		Logger:     log.With("component", "rooms"),
		OnCallEnd:  recordCalls(db, log.With("component", "calls")),
		OnJoined:   joins.observe,
	}, cl.authorizer(auth))
	if err != nil {
		return fmt.Errorf("start media server: %w", err)
	}
	closeMedia := func() {
		cl.leave() // first: the cluster re-places this node's rooms while its clients are told bye
		cctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := mgr.Close(cctx); err != nil {
			log.Warn("close rooms", "err", err)
		}
	}

	// 4. The HTTP application.
	if err := cl.start(mgr); err != nil {
		closeMedia()
		return err
	}
	sig, err := cl.signaller(mgr, auth)
	if err != nil {
		closeMedia()
		return err
	}
	ender, err := cl.ender(ctx, mgr, store)
	if err != nil {
		closeMedia()
		return err
	}
	mon, err := newMonitoring(mgr, cl)
	if err != nil {
		closeMedia()
		return err
	}
	joins.ev.Store(mon.events())
	handler, err := web.New(web.Config{
		PublicURL:       cfg.PublicURL,
		APIKey:          cfg.APIKey,
		Store:           store,
		Storage:         db,
		Lobby:           lobby,
		Ender:           ender,
		Console:         web.ConsoleConfig{Mailer: mailer},
		AudioProcessing: cfg.AudioProcessing,
		Live:            mon,
		Events:          mon.events(),
		Logger:          log.With("component", "web"),
	}, sig)
	if err != nil {
		closeMedia()
		return fmt.Errorf("build web app: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		closeMedia()
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	stopMetrics, err := mon.listen(cfg.Metrics.Listen, log.With("component", "metrics"))
	if err != nil {
		_ = ln.Close()
		closeMedia()
		return err
	}
	defer stopMetrics()
	srv := &http.Server{
		Handler:           mon.handler(cl.handler(handler, mgr), cfg.APIKey),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.With("component", "http").Handler(), slog.LevelWarn),
	}
	addr := ln.Addr().(*net.TCPAddr)
	log.Info("nahbar started", "version", version, "listen", addr.String(), "udp_port", cfg.UDPPort,
		"public_ips", cfg.PublicIPs, "data_dir", cfg.DataDir)
	fmt.Fprintf(stdout, "nahbar is listening on http://%s\n", addr)

	// 5. The demo room, printed for a newcomer.
	if cfg.Demo {
		if err := printDemo(ctx, stdout, store, db, demoBase(cfg.PublicURL, addr)); err != nil {
			_ = ln.Close()
			closeMedia()
			return err
		}
	}

	// 6. Serve until a signal (ctx) or a listener failure.
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	case <-cl.done():
		log.Info("drained: shutting down", "timeout", cfg.ShutdownTimeout)
	case serveErr = <-served:
		log.Error("http server stopped", "err", serveErr)
	}

	// 7. Graceful shutdown.
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	closeMedia()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", serveErr)
	}
	log.Info("nahbar stopped")
	return nil
}

func randomKey() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate API key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
