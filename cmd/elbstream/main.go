// Command elbstream moves AWS load-balancer access logs from S3 into
// Logstash through Kinesis. See the README for the subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal starts a graceful stop; a second one, while it
	// lasts (up to the shutdown grace), ends the process at once, as an
	// impatient Ctrl-C expects. Nothing is lost: what was not checkpointed
	// is read again, as after a SIGKILL.
	context.AfterFunc(ctx, stop)

	// In Lambda the runtime starts the binary with no arguments.
	if len(args) == 0 && os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		args = []string{"lambda"}
	}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, "elbstream", buildVersion())
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "elbstream: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	io := stdio{in: stdin, out: stdout, err: stderr}
	err := cmd.run(ctx, args[1:], io)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errHelp):
		return 0
	default:
		// Joined errors (several sources failed, …) are one per line,
		// each line with the command's name, so none reads as orphaned.
		for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
			fmt.Fprintf(stderr, "elbstream %s: %s\n", cmd.name, line)
		}
		return 1
	}
}

// stdio is a command's standard streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand. Each lives in its own file and registers
// itself from init, so the binary lists only what is built in.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io stdio) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("elbstream: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "elbstream %s — AWS load-balancer logs from S3 to Logstash through Kinesis\n\n", buildVersion())
	fmt.Fprintln(w, "Usage: elbstream COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every flag can also be set as ELBSTREAM_<FLAG> (upper case, - becomes _).")
	fmt.Fprintln(w, "Run 'elbstream COMMAND --help' for a command's flags.")
}
