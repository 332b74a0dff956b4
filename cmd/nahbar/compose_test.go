package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// The compose files in docker/ are checked against the binary itself: every
// NAHBAR_* variable they set must be one serve reads, and the configuration
// they give each node must pass serve's own validation. `docker compose
// config` is run too where the compose plugin exists (not on this machine).

// composeEnv is what an operator exports before `docker compose up`.
var composeEnv = map[string]string{
	"NAHBAR_API_KEY":    "compose-test-key-0123456789",
	"NAHBAR_PUBLIC_IP":  "203.0.113.10",
	"NAHBAR_PUBLIC_URL": "https://termine.example.org",
	"POSTGRES_PASSWORD": "secret",
	"TURN_SECRET":       "turn-secret",
}

var interpolation = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?:(:[?-])([^}]*))?\}`)

// interpolate applies compose's ${VAR}, ${VAR:-default} and ${VAR:?error}.
func interpolate(s string, env map[string]string) (string, error) {
	var err error
	out := interpolation.ReplaceAllStringFunc(s, func(m string) string {
		p := interpolation.FindStringSubmatch(m)
		v, ok := env[p[1]]
		switch {
		case ok && v != "":
			return v
		case p[2] == ":-":
			return p[3]
		case p[2] == ":?":
			err = fmt.Errorf("%s is required: %s", p[1], p[3])
		}
		return ""
	})
	return out, err
}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck map[string]any `yaml:"healthcheck"`
	Profiles    []string       `yaml:"profiles"`
	Command     []string       `yaml:"command"`
	StopSignal  string         `yaml:"stop_signal"`
}

func loadCompose(t *testing.T, name string) composeFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docker", name))
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(f.Services) == 0 {
		t.Fatalf("%s has no services", name)
	}
	return f
}

// checkNode validates one nahbar service and returns its parsed config.
func checkNode(t *testing.T, file, name string, s composeService) serveConfig {
	t.Helper()
	if s.Build == nil || s.Image != "nahbar:latest" {
		t.Fatalf("%s/%s: want build and image nahbar:latest", file, name)
	}
	ctxDir := filepath.Join("..", "..", "docker", s.Build.Context)
	if _, err := os.Stat(filepath.Join(ctxDir, "go.mod")); err != nil {
		t.Errorf("%s/%s: build context %q is not the repository root", file, name, s.Build.Context)
	}
	if _, err := os.Stat(filepath.Join(ctxDir, s.Build.Dockerfile)); err != nil {
		t.Errorf("%s/%s: dockerfile %q: %v", file, name, s.Build.Dockerfile, err)
	}
	env := map[string]string{}
	for k, v := range s.Environment {
		iv, err := interpolate(v, composeEnv)
		if err != nil {
			t.Fatalf("%s/%s: %s: %v", file, name, k, err)
		}
		env[k] = iv
	}
	asked := map[string]bool{}
	cfg, err := parseServeConfig(nil, func(k string) string { asked[k] = true; return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("%s/%s: nahbar serve refuses this configuration: %v", file, name, err)
	}
	for k := range env {
		if strings.HasPrefix(k, "NAHBAR_") && !asked[k] {
			t.Errorf("%s/%s sets %s, which nahbar does not read", file, name, k)
		}
	}
	// Ports: HTTP container port 8080 published; the media UDP port published as itself
	// (ICE candidates announce NAHBAR_PUBLIC_IP with the port the node listens on).
	_, httpPort, _ := strings.Cut(cfg.Listen, ":")
	if !slices.ContainsFunc(s.Ports, func(p string) bool { return strings.HasSuffix(p, ":"+httpPort) }) {
		t.Errorf("%s/%s: HTTP port %s not published: %v", file, name, httpPort, s.Ports)
	}
	udp := strconv.Itoa(cfg.UDPPort)
	if !slices.Contains(s.Ports, udp+":"+udp+"/udp") {
		t.Errorf("%s/%s: media port %s/udp not published as itself: %v", file, name, udp, s.Ports)
	}
	return cfg
}

func TestComposeSingleNode(t *testing.T) {
	f := loadCompose(t, "compose.yaml")
	s, ok := f.Services["nahbar"]
	if !ok || len(f.Services) != 1 {
		t.Fatalf("want exactly the nahbar service, got %v", f.Services)
	}
	cfg := checkNode(t, "compose.yaml", "nahbar", s)
	if cfg.DatabaseURL != "" || cfg.Cluster.RedisURL != "" {
		t.Error("the single node must run on SQLite without Redis")
	}
	if !slices.ContainsFunc(s.Volumes, func(v string) bool { return strings.HasSuffix(v, ":"+cfg.DataDir) }) {
		t.Errorf("the data directory %s is not a volume: %v", cfg.DataDir, s.Volumes)
	}
	runComposeConfig(t, "compose.yaml")
}

func TestComposeCluster(t *testing.T) {
	f := loadCompose(t, "compose.cluster.yaml")
	ids, udps := map[string]bool{}, map[int]bool{}
	nodes := 0
	for name, s := range f.Services {
		if s.Image != "nahbar:latest" {
			continue
		}
		nodes++
		cfg := checkNode(t, "compose.cluster.yaml", name, s)
		c := cfg.Cluster
		if c.RedisURL == "" || cfg.DatabaseURL == "" {
			t.Errorf("%s: a cluster node needs NAHBAR_REDIS_URL and NAHBAR_DATABASE_URL", name)
		}
		if ids[c.NodeID] || c.NodeID == "" {
			t.Errorf("%s: node id %q empty or not unique", name, c.NodeID)
		}
		ids[c.NodeID] = true
		if udps[cfg.UDPPort] {
			t.Errorf("%s: UDP port %d used twice", name, cfg.UDPPort)
		}
		udps[cfg.UDPPort] = true
		u, err := url.Parse(c.NodeURL)
		if err != nil || f.Services[u.Hostname()].Image == "" || u.Hostname() != name {
			t.Errorf("%s: node URL %q does not name this service", name, c.NodeURL)
		}
		ru, _ := url.Parse(c.RedisURL)
		if _, ok := f.Services[ru.Hostname()]; !ok {
			t.Errorf("%s: Redis host %q is not a service", name, ru.Hostname())
		}
		if !strings.Contains(cfg.DatabaseURL, "host=postgres") {
			t.Errorf("%s: database %q is not the postgres service", name, cfg.DatabaseURL)
		}
		for dep, d := range s.DependsOn {
			if f.Services[dep].Healthcheck == nil || d.Condition != "service_healthy" {
				t.Errorf("%s: depends on %s without waiting for its health", name, dep)
			}
		}
		if s.StopSignal != "SIGUSR1" {
			t.Errorf("%s: docker stop should drain (SIGUSR1), got %q", name, s.StopSignal)
		}
	}
	if nodes != 3 {
		t.Errorf("%d nahbar nodes, want 3", nodes)
	}
	for _, svc := range []string{"postgres", "redis"} {
		if f.Services[svc].Image == "" || f.Services[svc].Healthcheck == nil {
			t.Errorf("service %s missing or without image/healthcheck", svc)
		}
	}
	turn, ok := f.Services["coturn"]
	if !ok || !slices.Contains(turn.Profiles, "turn") {
		t.Error("the TURN server must be an optional service under the turn profile")
	}
	for _, arg := range turn.Command {
		if _, err := interpolate(arg, composeEnv); err != nil {
			t.Errorf("coturn: %v", err)
		}
	}
	runComposeConfig(t, "compose.cluster.yaml")
}

// runComposeConfig lets docker compose itself validate the file when the
// plugin is installed.
func runComposeConfig(t *testing.T, name string) {
	t.Helper()
	if exec.Command("docker", "compose", "version").Run() != nil {
		t.Logf("docker compose not installed: %s checked by the Go parser only", name)
		return
	}
	cmd := exec.Command("docker", "compose", "-f", filepath.Join("..", "..", "docker", name), "--profile", "turn", "config", "-q")
	cmd.Env = os.Environ()
	for k, v := range composeEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker compose config %s: %v\n%s", name, err, out)
	}
}
