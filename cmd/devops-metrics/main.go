// Command devops-metrics computes DORA metrics from Jira.
//
//	devops-metrics serve   runs the Forge remote backend (or, with --dev, a local server)
//	devops-metrics report  prints the metrics of one project from a snapshot folder or a live site
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: devops-metrics <command> [flags]

commands:
  serve    run the backend that Forge calls (or a local dev server with --dev)
  report   print the DORA metrics of one project

Run "devops-metrics <command> -h" for the flags of a command.`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var exit *exitError
		if errors.As(err, &exit) {
			if exit.err != nil {
				fmt.Fprintln(os.Stderr, "devops-metrics:", exit.err)
			}
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "devops-metrics:", err)
		os.Exit(1)
	}
}

// run is the whole program; tests call it with their own arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		_, _ = fmt.Fprintln(stderr, usage) // the exit code reports the mistake if stderr is gone
		return &exitError{code: 2}
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "report":
		return runReport(ctx, args[1:], getenv, stdout, stderr)
	case "-h", "-help", "--help", "help":
		_, _ = fmt.Fprintln(stdout, usage) // help text has nowhere else to go
		return nil
	default:
		_, _ = fmt.Fprintln(stderr, usage) // the returned error names the mistake too
		return usageError("unknown command %q: use serve or report", args[0])
	}
}

// exitError ends the program with a given exit status. Status 2 means bad usage or bad input.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError returns an error that exits with status 2 and prints a one-line message.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}
