package db

import (
	"fmt"
	"io"
	"os"

	"github.com/cockroachdb/errors"
)

// Logger receives the storage engine's log lines. Implementations must be
// goroutine-safe.
type Logger interface {
	Infof(format string, args ...any)
	Errorf(format string, args ...any)
}

// Options configure a DB. The zero value of every field means "the default";
// DefaultOptions returns the defaults filled in. Open never modifies the
// Options it is given.
type Options struct {
	// ReadOnly opens the database for reading only. A read-only open takes a
	// shared lock, so any number of read-only processes can share a
	// directory (and a read-only mount works), while a writer excludes them.
	// Default false.
	ReadOnly bool

	// NoSync, when true, acknowledges a write before it is synced to stable
	// storage: a crash (power loss or kernel panic, not a process crash) may
	// lose the most recent acknowledged writes. Default false: every Apply is
	// durable when it returns, which is what a database user expects; bulk
	// loaders that can replay their input may turn it off for speed.
	NoSync bool

	// CacheBytes is the size of the block cache shared by all reads of
	// stored keys, in bytes. Default 256 MiB: every upsert looks its ID up,
	// and an import of a million 128-d vectors ran 2.5x slower with 64 MiB,
	// its lookups re-reading the tables' filter and index blocks from disk.
	// Raw vectors for search are held separately (see doc.go).
	CacheBytes int64

	// MemTableBytes is the size of the write buffer, in bytes. Default 64 MiB:
	// bulk imports write ~0.6 KB per 128-d record, so a larger memtable
	// means fewer flushes and fewer merge operands per bitmap.
	MemTableBytes int64

	// IndexMemoryBytes bounds the memory of an index's decoded posting
	// lists, per collection. Lists that fit are all decoded on the first
	// approximate search; larger indexes are read from storage list by
	// list as searches probe them, through a cache of this size. Default
	// 1 GiB: 25-30 million 128-d records at 32-byte codes.
	IndexMemoryBytes int64

	// Logger receives the storage engine's informational and error lines.
	// Default: informational lines are dropped and errors go to stderr, so a
	// CLI user's terminal stays quiet unless something is wrong.
	Logger Logger
}

// DefaultOptions returns a new Options with every default filled in.
func DefaultOptions() *Options {
	o := &Options{}
	o.EnsureDefaults()
	return o
}

// Clone returns a copy of o (nil-safe).
func (o *Options) Clone() *Options {
	if o == nil {
		return &Options{}
	}
	c := *o
	return &c
}

// EnsureDefaults fills in every zero field with its default.
func (o *Options) EnsureDefaults() {
	if o.CacheBytes == 0 {
		o.CacheBytes = 256 << 20
	}
	if o.MemTableBytes == 0 {
		o.MemTableBytes = 64 << 20
	}
	if o.IndexMemoryBytes == 0 {
		o.IndexMemoryBytes = 1 << 30
	}
	if o.Logger == nil {
		o.Logger = stderrLogger{w: os.Stderr}
	}
}

// Validate reports the first field with an invalid value.
func (o *Options) Validate() error {
	if o.CacheBytes < 0 {
		return invalidf("options: CacheBytes %d is negative", o.CacheBytes)
	}
	if o.IndexMemoryBytes < 0 {
		return invalidf("options: IndexMemoryBytes %d is negative", o.IndexMemoryBytes)
	}
	if o.MemTableBytes < 1<<20 || o.MemTableBytes > 4<<30 {
		return invalidf("options: MemTableBytes %d outside [1 MiB, 4 GiB]", o.MemTableBytes)
	}
	return nil
}

// stderrLogger drops informational lines and prints errors.
type stderrLogger struct{ w io.Writer }

func (l stderrLogger) Infof(string, ...any) {}
func (l stderrLogger) Errorf(format string, args ...any) {
	_, _ = fmt.Fprintf(l.w, "vecdb: storage: "+format+"\n", args...) // best effort: nowhere else to report
}

// pebbleLogger adapts a Logger to the storage engine's interface.
type pebbleLogger struct{ l Logger }

func (p pebbleLogger) Infof(format string, args ...any)  { p.l.Infof(format, args...) }
func (p pebbleLogger) Errorf(format string, args ...any) { p.l.Errorf(format, args...) }
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Errorf(format, args...)
	panic(errors.AssertionFailedf(format, args...))
}
