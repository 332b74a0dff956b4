package netdelay

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

// inside marks the copy of the test binary that runs in its own network
// namespace (iptables rules and queues must not touch the machine's).
const inside = "NAHBAR_NETDELAY_NETNS"

var skipReason string

func TestMain(m *testing.M) {
	if os.Getenv(inside) == "1" {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "netdelay: lo up: %v %s\n", err, out)
			os.Exit(1)
		}
		os.Exit(m.Run())
	}
	for _, tool := range []string{"unshare", "ip", "iptables-legacy"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipReason = tool + " not found (scripts/install-deps.sh --test installs iproute2 and iptables)"
		}
	}
	if skipReason == "" && os.Geteuid() != 0 {
		skipReason = "needs root for iptables and NFQUEUE in a network namespace"
	}
	if skipReason != "" {
		os.Exit(m.Run())
	}
	cmd := exec.Command("unshare", append([]string{"--net", "--", os.Args[0]}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), inside+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "netdelay: run in a network namespace: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestDelayAndLoss: UDP to a port on lo goes through queue 5. With 80 ms of
// delay every packet arrives, none sooner than 80 ms after it was sent; with
// all of them dropped none arrives; with neither they arrive at once.
func TestDelayAndLoss(t *testing.T) {
	if skipReason != "" {
		if os.Getenv("NAHBAR_E2E_REQUIRE") != "" { // make test: the browser tests were promised to run
			t.Fatal(skipReason)
		}
		t.Skip(skipReason)
	}
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	port := rx.LocalAddr().(*net.UDPAddr).Port
	rule := []string{"OUTPUT", "-p", "udp", "--dport", fmt.Sprint(port), "-j", "NFQUEUE", "--queue-num", "5", "--queue-bypass"}
	if out, err := exec.Command("iptables-legacy", append([]string{"-A"}, rule...)...).CombinedOutput(); err != nil {
		t.Fatalf("iptables: %v %s", err, out)
	}
	defer func() { _ = exec.Command("iptables-legacy", append([]string{"-D"}, rule...)...).Run() }()
	q, err := Open(5)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()

	// send sends n packets 10 ms apart and returns how many arrived within
	// wait and the shortest time one took.
	send := func(n int, wait time.Duration) (int, time.Duration) {
		sent := make(chan time.Time, n)
		go func() {
			for i := range n {
				sent <- time.Now()
				_, _ = tx.Write([]byte{byte(i)})
				time.Sleep(10 * time.Millisecond)
			}
		}()
		got, fastest := 0, time.Hour
		buf := make([]byte, 16)
		deadline := time.Now().Add(time.Duration(n)*10*time.Millisecond + wait)
		for {
			_ = rx.SetReadDeadline(deadline)
			k, err := rx.Read(buf)
			if err != nil {
				break
			}
			if k == 1 && int(buf[0]) == got {
				at := <-sent
				fastest = min(fastest, time.Since(at))
				got++
			}
		}
		return got, fastest
	}

	q.Set(80*time.Millisecond, 0)
	if got, fastest := send(20, 500*time.Millisecond); got != 20 || fastest < 80*time.Millisecond {
		t.Errorf("with 80 ms delay: %d of 20 arrived, the fastest in %v; want all, none under 80 ms", got, fastest)
	}
	q.Set(0, 1)
	if got, _ := send(10, 200*time.Millisecond); got != 0 {
		t.Errorf("with all dropped: %d of 10 arrived", got)
	}
	q.Set(0, 0)
	if got, _ := send(10, 200*time.Millisecond); got != 10 {
		t.Errorf("with neither delay nor loss: %d of 10 arrived", got)
	}
	if passed, dropped := q.Counts(); passed != 30 || dropped != 10 {
		t.Errorf("counts: %d passed, %d dropped; want 30 and 10", passed, dropped)
	}
}
