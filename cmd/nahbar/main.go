// Command nahbar runs the nahbar video-appointment server: the web pages and
// API, the signalling WebSocket and the MCU media server, in one process.
//
//	nahbar serve [flags]   serve (the default command); flags override NAHBAR_* variables
//	nahbar serve --demo    also create a demo room and print two join links
//	nahbar bench [flags]   measure a server with synthetic participants (bench/README.md)
//	nahbar version         print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/nahbar/nahbar/bench"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run is the whole program: pick the subcommand, serve until SIGINT or
// SIGTERM, and return the exit code. Tests call it like main does.
func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return execute(ctx, args, os.Getenv, os.Stdout, os.Stderr)
}

// execute runs one subcommand with injected environment and output, so tests
// can start and stop a server without signals.
func execute(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := parseServeConfig(args, getenv, stderr)
		if err == errHelp {
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "nahbar: %v\n", err)
			return 2
		}
		if err := serve(ctx, cfg, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "nahbar: %v\n", err)
			return 1
		}
		return 0
	case "version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "bench":
		return bench.Main(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "nahbar: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

const usage = `Usage:
  nahbar [serve] [flags]   run the server (flags override NAHBAR_* environment variables)
  nahbar serve --demo      also create a demo room and print two join links
  nahbar bench [--quick|--full]  measure calls per core, bandwidth and latency (bench/README.md)
  nahbar version           print the version
  nahbar serve -h          list the flags and their environment variables
`
