package db

import (
	"fmt"
	"io"
	"os"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2/vfs"
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

	// CacheBytes is the memory budget: what vecdb may hold for its own
	// purposes, in bytes. Open splits it once (see budget.go): an eighth
	// for the storage engine's block cache, 2 x min(64 MiB, 1/4) for its
	// write buffers (writable opens), the rest for rows of records written
	// since the last index build, posting lists with codes added since,
	// and decoded filter bitmaps; an index build's training sample takes
	// up to half.
	// The vector files of built indexes are mapped, not held: the
	// operating system keeps their hot pages in its page cache and takes
	// them back under memory pressure. Default: 256 MiB, or half the
	// memory limit of the process's cgroup when that is lower, so a
	// capped process needs no setting. At least 16 MiB.
	CacheBytes int64

	// MemTableBytes overrides the size of the storage engine's write
	// buffer, in bytes (0: min(64 MiB, CacheBytes/4); a bulk import writes
	// ~0.6 KB per 128-d record, so a larger buffer means fewer flushes and
	// fewer merge operands per bitmap). Two buffers count in the budget.
	MemTableBytes int64

	// DisableAutoCompaction turns off background compaction (see
	// DB.Compact): the index's garbage then grows until a build or a
	// Compact. Default false.
	DisableAutoCompaction bool

	// budgetHook, when set (tests only), adjusts the budget's split after
	// Open computes it.
	budgetHook func(*budget)
	// fsHook, when set (tests only), wraps the storage engine's file
	// system, e.g. to inject errors (fault_test.go).
	fsHook func(vfs.FS) vfs.FS

	// Logger receives the storage engine's informational and error lines.
	// Default: informational lines are dropped and errors go to stderr, so a
	// CLI user's terminal stays quiet unless something is wrong.
	Logger Logger

	// AcceptLogLoss lets a writable open go on from a store whose log lost
	// acknowledged writes (see ErrCorruption and acked.go: a damaged,
	// truncated or deleted log file), counting again from what it
	// recovered. Default false: such an open fails.
	AcceptLogLoss bool

	// OnFatal is called when the storage engine meets an error it cannot
	// continue from (a write to its log or manifest failed: a disk error,
	// or a disk that filled despite the free-space check, see ErrDiskFull).
	// The process must not use the database again; every write
	// acknowledged before is in the log for the next open. OnFatal should
	// end the process (the CLI prints one line and exits 1); if it
	// returns, the call that met the error panics with it. Default: none.
	OnFatal func(err error)
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
		o.CacheBytes = defaultCacheBytes()
	}
	if o.Logger == nil {
		o.Logger = stderrLogger{w: os.Stderr}
	}
}

// Validate reports the first field with an invalid value.
func (o *Options) Validate() error {
	if o.CacheBytes < minCacheBytes {
		return invalidf("options: CacheBytes %d is below the minimum of %d (16 MiB)", o.CacheBytes, minCacheBytes)
	}
	if o.MemTableBytes != 0 && (o.MemTableBytes < 1<<20 || o.MemTableBytes > 4<<30) {
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
type pebbleLogger struct {
	l       Logger
	onFatal func(error)
}

func (p pebbleLogger) Infof(format string, args ...any)  { p.l.Infof(format, args...) }
func (p pebbleLogger) Errorf(format string, args ...any) { p.l.Errorf(format, args...) }
func (p pebbleLogger) Fatalf(format string, args ...any) {
	err := errors.Newf("vecdb: fatal storage error: "+format, args...)
	if p.onFatal != nil {
		p.onFatal(err)
	}
	p.l.Errorf(format, args...)
	panic(err)
}
