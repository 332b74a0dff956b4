package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// netnsEnv marks the copy of the test binary that runs inside the network
// namespace; its value is the reason to skip when it is not "inside".
const netnsEnv = "NAHBAR_E2E_NETNS"

// skipReason is set when the browser tests cannot run on this machine.
var skipReason string

// requireEnv is set by `make test`: there every tool is installed by the project's own
// scripts, so a missing one is a failure, not a reason to skip.
const requireEnv = "NAHBAR_E2E_REQUIRE"

// unavailable skips a test that cannot run on this machine, or fails it where the
// tests were promised to run (make test), so a missing tool never hides a result.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv(requireEnv) != "" {
		t.Fatalf(format+" (%s is set: make test installs what the tests need)", append(args, requireEnv)...)
	}
	t.Skipf(format, args...)
}

// Addresses of the veth pair inside the namespace. Chromium never gathers
// loopback candidates, so the server and the browsers meet on these.
const (
	serverIP = "10.99.0.1"
	peerIP   = "10.99.0.2"
)

// TestMain re-executes the test binary under `unshare --net`, so that every
// browser and the server live in a private network namespace that vanishes
// with the test: nothing is sent to any address outside it.
func TestMain(m *testing.M) {
	switch os.Getenv(netnsEnv) {
	case "inside":
		if err := setupNetns(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: set up network namespace: %v\n", err)
			os.Exit(1)
		}
		os.Exit(m.Run())
	case "":
	default:
		skipReason = os.Getenv(netnsEnv)
		os.Exit(m.Run())
	}
	if reason := missingTools(); reason != "" {
		if os.Getenv(requireEnv) != "" {
			fmt.Fprintf(os.Stderr, "e2e: browser tests cannot run: %s\n", reason)
			os.Exit(1)
		}
		skipReason = reason
		os.Exit(m.Run())
	}
	args := []string{"--net"}
	if os.Geteuid() != 0 {
		args = append(args, "--map-root-user")
	}
	cmd := exec.Command("unshare", append(append(args, "--", os.Args[0]), os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), netnsEnv+"=inside")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: run tests in a network namespace: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// missingTools says why the browser tests cannot run here, or "".
func missingTools() string {
	for _, tool := range []string{"unshare", "ip", "ffmpeg", chromiumPath} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Sprintf("%s not found (scripts/install-deps.sh --test installs chromium, iproute2 and ffmpeg)", tool)
		}
	}
	args := []string{"--net"}
	if os.Geteuid() != 0 {
		args = append(args, "--map-root-user")
	}
	if out, err := exec.Command("unshare", append(args, "true")...).CombinedOutput(); err != nil {
		return fmt.Sprintf("cannot create a network namespace (unshare %v): %v %s", args, err, out)
	}
	return ""
}

// setupNetns brings up loopback and a veth pair with one address per end.
func setupNetns() error {
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "nb0", "type", "veth", "peer", "name", "nb1"},
		{"addr", "add", serverIP + "/24", "dev", "nb0"},
		{"addr", "add", peerIP + "/24", "dev", "nb1"},
		{"link", "set", "nb0", "up"},
		{"link", "set", "nb1", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %v: %v: %s", args, err, out)
		}
	}
	return nil
}
