package db

import (
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"sync"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// Reclaiming the index's garbage. Upserts and deletes leave two kinds:
// rows and codes of the vector file whose records were deleted or replaced
// (its dead rows), and codes of records written since the build, stored as
// blocks in the storage engine, some of them dead too. Searches skip the
// dead, but they cost disk, list memory and scan time. Compaction writes a
// new generation with the same quantisers (no training): every live
// record's row, ID and code in a new vector file, the blocks gone. It runs
//
//   - by itself, in the background, when a write leaves an indexed
//     collection with more codes added since its vector file than the file
//     has rows, or with more than half the file's rows dead (each at least
//     compactMin): under steady churn the garbage stays below about the
//     live data's size, and the work is linear in the writes (each
//     compaction follows at least as many writes as it re-encodes);
//   - on demand: DB.Compact, vecdb compact.
//
// Like a build, it catches up with writes made while it runs, swaps in one
// synced batch, and leaves the previous generation serving if it fails or
// the process dies (what it wrote is removed at the next open).

// compactProgress, when set (tests), hears background compactions' stages.
var compactProgress func(coll, stage string, done, total int)

// compactMin is the least garbage (codes added, or dead rows) that starts
// a background compaction: below it a compaction costs more than the
// garbage. A variable for tests.
var compactMin uint64 = 10_000

// compactionDue reports whether a generation's garbage calls for a
// compaction. REQUIRES: DB.wmu held (reads ptr).
func compactionDue(st *ivfState) bool {
	p := &st.ptr
	if !p.hasSeg {
		return false // an earlier release's generation: Migrate rewrites it
	}
	return (p.added >= compactMin && p.added > p.segRows) || (p.segDead >= compactMin && 2*p.segDead > p.segRows)
}

// background runs the DB's background compactions: at most one per
// collection, cancelled and waited for by Close.
type background struct {
	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	running map[*collection]bool
	err     error // the last failure, reported by WaitBackground
}

// maybeCompact starts a background compaction of each collection the
// batch touched whose garbage calls for one. REQUIRES: DB.wmu held.
func (d *DB) maybeCompact(touched map[*collection]bool) {
	if d.opts.ReadOnly || d.opts.DisableAutoCompaction {
		return
	}
	for c := range touched {
		st := c.ix.Load()
		if st == nil || !compactionDue(st) {
			continue
		}
		bg := &d.bg
		bg.mu.Lock()
		if bg.ctx == nil {
			bg.ctx, bg.cancel = context.WithCancel(context.Background())
			bg.running = map[*collection]bool{}
		}
		if bg.running[c] || bg.ctx.Err() != nil {
			bg.mu.Unlock()
			continue
		}
		bg.running[c] = true
		bg.wg.Add(1)
		ctx := bg.ctx
		bg.mu.Unlock()
		go func() {
			defer bg.wg.Done()
			release, err := d.enter()
			if err == nil {
				var o *BuildOptions
				if hook := compactProgress; hook != nil {
					o = &BuildOptions{Progress: func(stage string, done, total int) { hook(c.schema.Name, stage, done, total) }}
				}
				_, err = d.compact(ctx, c, o)
				release()
			}
			bg.mu.Lock()
			delete(bg.running, c)
			if err != nil && ctx.Err() == nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrClosed) {
				bg.err = errors.Wrapf(err, "background compaction of %q", c.schema.Name)
				d.opts.Logger.Errorf("%v", bg.err)
			}
			bg.mu.Unlock()
		}()
	}
}

// WaitBackground waits until no background compaction runs (or ctx ends)
// and returns the last one's failure, if any. A bulk loader calls it
// before Close, which would otherwise cancel a compaction in progress.
func (d *DB) WaitBackground(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		d.bg.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	d.bg.mu.Lock()
	defer d.bg.mu.Unlock()
	err := d.bg.err
	d.bg.err = nil
	return err
}

// stopBackground cancels background compactions and waits for them.
func (d *DB) stopBackground() {
	d.bg.mu.Lock()
	if d.bg.cancel != nil {
		d.bg.cancel()
	} else {
		d.bg.ctx, d.bg.cancel = context.WithCancel(context.Background())
		d.bg.cancel()
	}
	d.bg.mu.Unlock()
	d.bg.wg.Wait()
}

// Compact writes a new generation of the collection's index with its
// current quantisers (no training): every live record re-encoded into a
// new vector file, the codes of deleted and replaced records and the rows
// added since the build merged in, then swapped in atomically, like a
// build. Of opts only Threads and Progress apply. It fails with ErrInvalid
// when the collection has no index.
func (d *DB) Compact(ctx context.Context, coll string, opts *BuildOptions) (_ BuildStats, err error) {
	defer func() { err = storageErr(err) }()
	c, release, err := d.enterColl(coll)
	if err != nil {
		return BuildStats{}, err
	}
	defer release()
	return d.compact(ctx, c, opts)
}

func (d *DB) compact(ctx context.Context, c *collection, opts *BuildOptions) (BuildStats, error) {
	if err := d.checkWritableFormat(); err != nil {
		return BuildStats{}, err
	}
	c.buildMu.Lock()
	defer c.buildMu.Unlock()
	in, err := d.beginBuild(c)
	if err != nil {
		return BuildStats{}, err
	}
	defer in.close()
	if in.old == nil {
		return BuildStats{}, sentinel.Mark(errors.Newf("vecdb: collection %q has no index to compact (vecdb build %s)", c.schema.Name, c.schema.Name), ErrInvalid)
	}
	o := BuildOptions{}
	if opts != nil {
		o.Threads, o.Progress = opts.Threads, opts.Progress
	}
	o.fill(int(in.live.GetCardinality()), c.schema.Dim)
	ivf := in.old.ivf
	st := BuildStats{Codec: ivf.Codec.Kind(), Lists: ivf.NList, M: ivf.SubQuantisers(), Bits: ivf.CodeBits(), PCA: pcaDim(ivf), CodeBytes: ivf.CodeSize(), NProbe: int(in.old.ptr.nprobe), Refine: int(in.old.ptr.refine)}
	ptr := indexPtr{nprobe: in.old.ptr.nprobe, refine: in.old.ptr.refine}
	st, err = d.buildGeneration(ctx, c, in, ivf, ptr, &o, st)
	if err != nil {
		return st, err
	}
	if cal := in.old.calib.Load(); cal != nil {
		// The quantisers are the same: the curve carries over.
		if err := d.storeCalibration(c, st.Generation, cal); err != nil {
			return st, err
		}
		st.NProbe, st.Refine = cal.DefaultNProbe, cal.DefaultRefine
	}
	return st, nil
}

// MigrateStats reports what Migrate did.
type MigrateStats struct {
	// From is the format version the database had.
	From uint32
	// Rewritten names the collections whose index generation got a
	// vector file.
	Rewritten []string
}

// Migrate upgrades a database written by an earlier release to this
// release's format (FormatVersion), explicitly: it records the new format
// version, then gives every index generation without a vector file one,
// by compacting it (progress, when set, hears each collection's stages).
// Each step is crash-safe and Migrate may be run again after a failure or
// a crash; on a current database it only completes what is missing.
// Readers of the earlier format cannot open the result.
func (d *DB) Migrate(ctx context.Context, progress func(coll, stage string, done, total int)) (MigrateStats, error) {
	release, err := d.enterWrite()
	if err != nil {
		return MigrateStats{}, err
	}
	defer release()
	ms := MigrateStats{From: d.format.Load()}
	if ms.From < FormatVersion {
		d.wmu.Lock()
		err := d.pdb.Set(keyFormat, formatValue(FormatVersion), pebble.Sync)
		if err == nil {
			d.format.Store(FormatVersion)
		}
		d.wmu.Unlock()
		if err != nil {
			return ms, errors.Wrap(err, "recording the format version")
		}
	}
	d.mu.RLock()
	var todo []*collection
	for _, c := range d.mu.colls {
		if st := c.ix.Load(); st != nil && !st.ptr.hasSeg {
			todo = append(todo, c)
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(todo, func(a, b *collection) int { return strings.Compare(a.schema.Name, b.schema.Name) })
	for _, c := range todo {
		o := &BuildOptions{}
		if progress != nil {
			name := c.schema.Name
			o.Progress = func(stage string, done, total int) { progress(name, stage, done, total) }
		}
		if _, err := d.compact(ctx, c, o); err != nil {
			return ms, errors.Wrapf(err, "migrating collection %q", c.schema.Name)
		}
		ms.Rewritten = append(ms.Rewritten, c.schema.Name)
	}
	return ms, nil
}

func formatValue(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
