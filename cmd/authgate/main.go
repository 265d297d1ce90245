// Command authgate is authgate's command-line tool. Its subcommands:
//
//	authgate doctor [flags] URL    diagnose why a request gets a 401, from the client's side
//
// Install it with
//
//	go install github.com/authgate/authgate/cmd/authgate@latest
//
// and run "authgate doctor -h" for the doctor's flags, output and exit
// codes.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
)

// command is one subcommand: its one-line summary and its entry point,
// which returns the exit status.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands is the subcommand table; a new subcommand (keys, ...) is one
// more entry.
var commands = map[string]command{
	"doctor": {"diagnose why a request gets a 401, from the client's side", runDoctor},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to the subcommand and returns the exit status; 2 is a
// usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "authgate: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: authgate <command> [flags]\n\nCommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun \"authgate <command> -h\" for a command's flags.\n")
}
