package db

import (
	"sync"
	"time"

	"github.com/cockroachdb/errors"
)

// bgErrors hears the storage engine's background errors (a flush or a
// compaction that failed; the engine retries them). A failing flush is
// retried without end, tens of thousands of times a second on a full
// disk: each error reached the log (69,083 lines in one import) and Close,
// waiting for its flush, hung. So the log hears the first error and then
// at most one line a second with how many were dropped, and Close stops
// waiting for its flush at the first background error after it asked.
type bgErrors struct {
	log Logger

	mu      sync.Mutex
	last    error
	logged  time.Time
	dropped int
	// signal gets a value (without blocking) at each error.
	signal chan struct{}
	// nextErr, when not nil, is closed at the next error (see next).
	nextErr chan struct{}
}

// next returns a channel closed at the next background error.
func (b *bgErrors) next() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.nextErr == nil {
		b.nextErr = make(chan struct{})
	}
	return b.nextErr
}

func newBgErrors(log Logger) *bgErrors {
	return &bgErrors{log: log, signal: make(chan struct{}, 1)}
}

// report is the engine's BackgroundError listener.
func (b *bgErrors) report(err error) {
	b.mu.Lock()
	b.last = err
	if b.nextErr != nil {
		close(b.nextErr)
		b.nextErr = nil
	}
	now := time.Now()
	if now.Sub(b.logged) < time.Second {
		b.dropped++
		b.mu.Unlock()
	} else {
		dropped := b.dropped
		b.logged, b.dropped = now, 0
		b.mu.Unlock()
		if dropped > 0 {
			b.log.Errorf("background error: %v (and %d more since the last line)", err, dropped)
		} else {
			b.log.Errorf("background error: %v", err)
		}
	}
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// lastErr returns the latest background error.
func (b *bgErrors) lastErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// flushOnClose flushes the write buffers, unless the engine reports a
// background error meanwhile (it cannot write tables: a full or failing
// disk): then it gives up on the flush, which costs the next open a replay
// of the log, where every acknowledged write is.
func (d *DB) flushOnClose() error {
	select {
	case <-d.bgErrs.signal: // an earlier error: the one to watch comes after
	default:
	}
	done, err := d.pdb.AsyncFlush()
	if err != nil {
		return errors.Wrap(err, "flushing on close")
	}
	select {
	case <-done:
		return nil
	case <-d.bgErrs.signal:
		select {
		case <-done:
			return nil // the error was another job's; the flush made it
		default:
		}
		return errors.Wrap(d.bgErrs.lastErr(), "flushing on close (given up: every acknowledged write is in the log, which the next open replays)")
	}
}
