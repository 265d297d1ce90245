// Command authgate is authgate's command-line tool. Its subcommands:
//
//	authgate doctor [flags] URL    diagnose why a request gets a 401, from the client's side
//	authgate keys <op> [flags]     create, revoke, list and rotate API keys in a key file or PostgreSQL
//
// Install it with
//
//	go install github.com/authgate/authgate/cmd/authgate@latest
//
// and run "authgate doctor -h" or "authgate keys -h" for a command's
// flags, output and exit codes.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
)

// env is what a subcommand gets from its surroundings: where to write,
// and how to reach the network (tests keep it on loopback).
type env struct {
	stdout, stderr io.Writer
	// transport carries the subcommand's HTTP exchanges; nil is
	// http.DefaultTransport.
	transport http.RoundTripper
	// lookupEnv reads an environment variable; nil is os.Getenv.
	lookupEnv func(string) string
}

// command is one subcommand: its one-line summary and its entry point,
// which returns the exit status.
type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) int
}

// commands is the subcommand table; a new subcommand is one more entry.
var commands = map[string]command{
	"doctor": {"diagnose why a request gets a 401, from the client's side", runDoctor},
	"keys":   {"create, revoke, list and rotate API keys (key file or PostgreSQL)", runKeys},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, env{stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
}

// run dispatches to the subcommand and returns the exit status; 2 is a
// usage error.
func run(ctx context.Context, e env, args []string) int {
	stderr := e.stderr
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
	return c.run(ctx, e, args[1:])
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
