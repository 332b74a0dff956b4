package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ServerProcess is a nahbar server the bench started itself: on 127.0.0.1,
// a random HTTP port, one random UDP port for media, a fresh data directory
// and a random API key. Its log goes to a file beside the results.
type ServerProcess struct {
	cmd  *exec.Cmd
	URL  string
	Key  string
	done chan error
	log  *os.File
}

// listenLine is what `nahbar serve` prints once it listens.
const listenLine = "nahbar is listening on "

// StartServer runs command (e.g. bin/nahbar, or "taskset -c 1 bin/nahbar")
// with `serve` and the flags below and waits until it listens and /healthz
// answers. ICE candidates are announced as 127.0.0.1 (--public-ip): the
// server's host candidates are rewritten to loopback, so media stays on
// 127.0.0.1 without a loopback switch on the server.
// logLevel is the server's --log-level (info lets the report read its tier
// switches from the log; "" means warn).
func StartServer(ctx context.Context, command []string, dataDir, logPath, logLevel string, log *slog.Logger) (*ServerProcess, error) {
	if len(command) == 0 {
		return nil, errors.New("start server: empty command")
	}
	if logLevel == "" {
		logLevel = "warn"
	}
	udp, err := freeUDPPort()
	if err != nil {
		return nil, err
	}
	key, err := randomKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("start server: data directory: %w", err)
	}
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start server: log file: %w", err)
	}
	args := append(append([]string(nil), command[1:]...), "serve",
		"--listen", "127.0.0.1:0",
		"--udp-port", strconv.Itoa(udp),
		"--public-ip", "127.0.0.1",
		"--data-dir", dataDir,
		"--log-level", logLevel)
	cmd := exec.Command(command[0], args...)
	cmd.Env = append(os.Environ(), "NAHBAR_API_KEY="+key)
	cmd.Stderr = lf
	out, err := cmd.StdoutPipe()
	if err != nil {
		lf.Close()
		return nil, fmt.Errorf("start server: %w", err)
	}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start server %s: %w", command[0], err)
	}
	s := &ServerProcess{cmd: cmd, Key: key, done: make(chan error, 1), log: lf}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(lf, "stdout: "+line)
			if u, ok := strings.CutPrefix(line, listenLine); ok {
				select {
				case urls <- strings.TrimSpace(u):
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { s.done <- cmd.Wait() }()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case s.URL = <-urls:
	case err := <-s.done:
		lf.Close()
		return nil, fmt.Errorf("server exited before listening (%v); see %s", err, logPath)
	case <-wctx.Done():
		s.Stop()
		return nil, fmt.Errorf("server did not print %q in time; see %s", listenLine, logPath)
	}
	api, err := NewAPI(s.URL, key)
	if err != nil {
		s.Stop()
		return nil, err
	}
	for !api.Healthy(wctx) {
		select {
		case <-wctx.Done():
			s.Stop()
			return nil, fmt.Errorf("server at %s not healthy in time; see %s", s.URL, logPath)
		case <-time.After(50 * time.Millisecond):
		}
	}
	log.Info("server started", "url", s.URL, "pid", cmd.Process.Pid, "udp_port", udp)
	return s, nil
}

// PID is the server's process id.
func (s *ServerProcess) PID() int { return s.cmd.Process.Pid }

// Stop asks the server to shut down (SIGTERM) and kills it after 15 s.
func (s *ServerProcess) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.log.Close()
}

func freeUDPPort() (int, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, fmt.Errorf("find a free UDP port: %w", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

func randomKey() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate API key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// defaultServerCommand is the nahbar binary to start: this program itself
// when it is nahbar (`nahbar bench`), otherwise bin/nahbar.
func defaultServerCommand() string {
	if exe, err := os.Executable(); err == nil && filepath.Base(exe) == "nahbar" {
		return exe
	}
	return filepath.Join("bin", "nahbar")
}
