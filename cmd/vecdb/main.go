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
	"runtime/debug"
	"syscall"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/wire"
)

func main() {
	limitHeap()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "vecdb: %s\n", errorMessage(err))
		os.Exit(1)
	}
}

// limitHeap gives the Go runtime a soft memory limit of half the
// process's cgroup limit, when there is one and $GOMEMLIMIT does not set
// another: under a cap the collector then works harder instead of letting
// garbage push the process into the kernel's OOM killer (the budget,
// --cache, bounds what vecdb keeps; this bounds what it has not freed
// yet). Half, because the storage engine's block cache and write buffers,
// up to about half the default budget, live outside the Go heap.
func limitHeap() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if lim := db.CgroupMemoryLimit(); lim > 0 {
		debug.SetMemoryLimit(lim / 2)
	}
}

// errorMessage renders err as the single line printed after "vecdb: "
// (wire.ErrorMessage: db's own "vecdb: " prefixes dropped, line breaks
// made spaces), with terminal control characters made visible.
func errorMessage(err error) string {
	return visible(wire.ErrorMessage(err))
}
