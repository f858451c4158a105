// Command vecdb is the command line of the vecdb embedded vector database:
// it creates collections, imports and exports vectors, searches them and
// reports statistics. Run "vecdb --help" for the commands.
//
// main only calls run; everything else lives in the command files, so tests
// can drive the whole CLI in-process.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "vecdb: %s\n", errorMessage(err))
		os.Exit(1)
	}
}

// errorMessage renders err as the single line printed after "vecdb: ".
// Errors from package db carry their own "vecdb: " prefix, also when they
// are wrapped ("row 17: vecdb: record ..."), so those prefixes are dropped
// to say it once; newlines become spaces so the message stays one line.
func errorMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "vecdb: ")
	msg = strings.ReplaceAll(msg, ": vecdb: ", ": ")
	var parts []string
	for line := range strings.Lines(msg) {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, " ")
}
