package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// errHelp means -h was asked for and the usage has been printed.
var errHelp = errors.New("help requested")

// serveConfig is everything `nahbar serve` can be told, from flags and
// NAHBAR_* environment variables (a flag wins over its variable).
type serveConfig struct {
	Listen          string        // NAHBAR_LISTEN, default 127.0.0.1:8080
	PublicURL       string        // NAHBAR_PUBLIC_URL, base of join links; empty: the request's host
	PublicIPs       []string      // NAHBAR_PUBLIC_IP, comma list, announced in ICE candidates (NAT 1:1)
	UDPPort         int           // NAHBAR_UDP_PORT, one UDP port for all media (default 8443); 0: ephemeral ports
	UDPPortMin      int           // NAHBAR_UDP_PORT_MIN, with MAX: a range of ports instead of one
	UDPPortMax      int           // NAHBAR_UDP_PORT_MAX
	DataDir         string        // NAHBAR_DATA_DIR, default ./data (the SQLite database lives here)
	DatabaseURL     string        // NAHBAR_DATABASE_URL: a PostgreSQL DSN; empty: SQLite in DataDir
	SMTP            smtpConfig    // NAHBAR_SMTP_*: empty host disables mail
	APIKey          string        // NAHBAR_API_KEY, bearer key of /api/v1; generated in demo mode
	LogLevel        slog.Level    // NAHBAR_LOG_LEVEL: debug, info, warn, error
	Demo            bool          // NAHBAR_DEMO
	AudioProcessing bool          // NAHBAR_AUDIO_PROCESSING: browser echo cancellation etc.
	ShutdownTimeout time.Duration // NAHBAR_SHUTDOWN_TIMEOUT, default 10s
	RetentionDays   int           // NAHBAR_RETENTION_DAYS: days after an appointment its citizen contact is kept, default 30
	Cluster         clusterConfig // NAHBAR_REDIS_URL, NAHBAR_NODE_ID…: cluster_config.go
	Metrics         metricsConfig // NAHBAR_METRICS_LISTEN: metrics.go
}

const (
	defaultListen  = "127.0.0.1:8080"
	defaultUDPPort = 8443
	minAPIKeyLen   = 16
)

func defaultServeConfig() serveConfig {
	return serveConfig{
		Listen:          defaultListen,
		UDPPort:         defaultUDPPort,
		DataDir:         "./data",
		SMTP:            smtpConfig{Port: 587},
		LogLevel:        slog.LevelInfo,
		AudioProcessing: true,
		ShutdownTimeout: 10 * time.Second,
		RetentionDays:   30,
	}
}

// parseServeConfig reads the environment first, then the flags, then checks
// the result as a whole. Every error names the flag or variable at fault.
func parseServeConfig(args []string, getenv func(string) string, out io.Writer) (serveConfig, error) {
	c := defaultServeConfig()
	var errs []error
	env := envReader{getenv: getenv, errs: &errs}
	publicIPs := getenv("NAHBAR_PUBLIC_IP")
	logLevel := "info"
	env.str(&c.Listen, "NAHBAR_LISTEN")
	env.str(&c.PublicURL, "NAHBAR_PUBLIC_URL")
	env.integer(&c.UDPPort, "NAHBAR_UDP_PORT")
	env.integer(&c.UDPPortMin, "NAHBAR_UDP_PORT_MIN")
	env.integer(&c.UDPPortMax, "NAHBAR_UDP_PORT_MAX")
	env.str(&c.DataDir, "NAHBAR_DATA_DIR")
	env.str(&c.SMTP.Host, "NAHBAR_SMTP_HOST")
	env.integer(&c.SMTP.Port, "NAHBAR_SMTP_PORT")
	env.str(&c.SMTP.User, "NAHBAR_SMTP_USER")
	env.str(&c.SMTP.Password, "NAHBAR_SMTP_PASSWORD")
	env.str(&c.SMTP.From, "NAHBAR_SMTP_FROM")
	env.str(&logLevel, "NAHBAR_LOG_LEVEL")
	env.boolean(&c.Demo, "NAHBAR_DEMO")
	env.boolean(&c.AudioProcessing, "NAHBAR_AUDIO_PROCESSING")
	env.duration(&c.ShutdownTimeout, "NAHBAR_SHUTDOWN_TIMEOUT")
	env.integer(&c.RetentionDays, "NAHBAR_RETENTION_DAYS")
	udpPortFromEnv := getenv("NAHBAR_UDP_PORT") != ""

	fs := flag.NewFlagSet("nahbar serve", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Listen, "listen", c.Listen, "HTTP listen `address` (NAHBAR_LISTEN)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "public base `URL` of join links, e.g. https://termine.example.org (NAHBAR_PUBLIC_URL; default: the request's host)")
	fs.StringVar(&publicIPs, "public-ip", publicIPs, "comma-separated public `IPs` announced for media behind 1:1 NAT (NAHBAR_PUBLIC_IP)")
	fs.IntVar(&c.UDPPort, "udp-port", c.UDPPort, "the one UDP `port` all media uses; 0: ephemeral ports (NAHBAR_UDP_PORT)")
	fs.IntVar(&c.UDPPortMin, "udp-port-min", c.UDPPortMin, "lowest UDP `port` of a media port range, instead of one port (NAHBAR_UDP_PORT_MIN)")
	fs.IntVar(&c.UDPPortMax, "udp-port-max", c.UDPPortMax, "highest UDP `port` of a media port range (NAHBAR_UDP_PORT_MAX)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "`directory` for the server's data (NAHBAR_DATA_DIR)")
	// The DSN's flag shows no default: it may carry a password.
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL `DSN`; empty: SQLite in the data directory (NAHBAR_DATABASE_URL)")
	// The key's flag has no default shown, so -h never prints NAHBAR_API_KEY.
	fs.StringVar(&c.APIKey, "api-key", "", "bearer `key` for /api/v1, at least 16 characters; prefer the variable, flags show in ps (NAHBAR_API_KEY)")
	fs.StringVar(&logLevel, "log-level", logLevel, "`level`: debug, info, warn or error (NAHBAR_LOG_LEVEL)")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "create a demo room and print an advisor and a citizen join link (NAHBAR_DEMO)")
	fs.BoolVar(&c.AudioProcessing, "audio-processing", c.AudioProcessing, "ask browsers for echo cancellation, noise suppression and gain control (NAHBAR_AUDIO_PROCESSING)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long a graceful shutdown may take (NAHBAR_SHUTDOWN_TIMEOUT)")
	fs.IntVar(&c.RetentionDays, "retention-days", c.RetentionDays, "`days` after an appointment ends until its citizen contact data is deleted (NAHBAR_RETENTION_DAYS)")
	c.Cluster.register(fs, env)
	c.Metrics.register(fs, env)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, errHelp
		}
		return c, err
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if c.APIKey == "" {
		c.APIKey = getenv("NAHBAR_API_KEY")
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = getenv("NAHBAR_DATABASE_URL")
	}
	udpPortSet := udpPortFromEnv
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "udp-port" {
			udpPortSet = true
		}
	})

	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("log level %q: want debug, info, warn or error", logLevel))
	}
	c.PublicIPs = splitList(publicIPs)
	c.Cluster.finish(getenv)
	errs = append(errs, c.Cluster.check()...)
	errs = append(errs, c.Metrics.check()...)
	errs = append(errs, c.check(udpPortSet)...)
	return c, errors.Join(errs...)
}

// check validates the settings together, e.g. a port range against one port.
func (c *serveConfig) check(udpPortSet bool) []error {
	var errs []error
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen address %q: %w", c.Listen, err))
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		errs = append(errs, fmt.Errorf("listen address %q: bad port", c.Listen))
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("public URL %q: want http(s)://host[:port][/path]", c.PublicURL))
		}
	}
	for _, ip := range c.PublicIPs {
		if net.ParseIP(ip) == nil {
			errs = append(errs, fmt.Errorf("public IP %q is not an IP address", ip))
		}
	}
	if c.RetentionDays < 1 || c.RetentionDays > 3650 {
		errs = append(errs, fmt.Errorf("retention of %d days (NAHBAR_RETENTION_DAYS): want 1 to 3650", c.RetentionDays))
	}
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		errs = append(errs, fmt.Errorf("UDP port %d out of range 0-65535", c.UDPPort))
	}
	if c.UDPPortMin != 0 || c.UDPPortMax != 0 {
		switch {
		case c.UDPPortMin < 1 || c.UDPPortMax > 65535 || c.UDPPortMin > c.UDPPortMax:
			errs = append(errs, fmt.Errorf("UDP port range %d-%d: want 1 <= min <= max <= 65535", c.UDPPortMin, c.UDPPortMax))
		case udpPortSet && c.UDPPort != 0:
			errs = append(errs, fmt.Errorf("set either one UDP port (%d) or a UDP port range (%d-%d), not both", c.UDPPort, c.UDPPortMin, c.UDPPortMax))
		default:
			c.UDPPort = 0 // the range replaces the default single port
		}
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data directory must not be empty"))
	}
	if c.APIKey != "" && len(c.APIKey) < minAPIKeyLen {
		errs = append(errs, fmt.Errorf("API key has %d characters; use at least %d", len(c.APIKey), minAPIKeyLen))
	}
	if c.APIKey == "" && !c.Demo {
		errs = append(errs, errors.New("NAHBAR_API_KEY is required (or run with --demo, which generates one)"))
	}
	if c.SMTP.Host != "" && (c.SMTP.Port < 1 || c.SMTP.Port > 65535) {
		errs = append(errs, fmt.Errorf("SMTP port %d out of range 1-65535", c.SMTP.Port))
	}
	if c.SMTP.Host != "" && c.SMTP.From == "" {
		errs = append(errs, errors.New("NAHBAR_SMTP_FROM is required when NAHBAR_SMTP_HOST is set"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown timeout %v must be positive", c.ShutdownTimeout))
	}
	return errs
}

// envReader parses NAHBAR_* variables, collecting errors that name the
// variable; an empty variable counts as unset.
type envReader struct {
	getenv func(string) string
	errs   *[]error
}

func (e envReader) str(dst *string, name string) {
	if v := e.getenv(name); v != "" {
		*dst = v
	}
}

func (e envReader) integer(dst *int, name string) {
	if v := e.getenv(name); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			*e.errs = append(*e.errs, fmt.Errorf("%s=%q: not a whole number", name, v))
			return
		}
		*dst = n
	}
}

func (e envReader) boolean(dst *bool, name string) {
	if v := e.getenv(name); v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			*e.errs = append(*e.errs, fmt.Errorf("%s=%q: want true or false", name, v))
			return
		}
		*dst = b
	}
}

func (e envReader) duration(dst *time.Duration, name string) {
	if v := e.getenv(name); v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			*e.errs = append(*e.errs, fmt.Errorf("%s=%q: want a duration such as 10s", name, v))
			return
		}
		*dst = d
	}
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// smtpConfig is the outgoing mail server; an empty Host means no mail.
type smtpConfig struct {
	Host     string
	Port     int
	User     string
	Password string
	From     string
}
