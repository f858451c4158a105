package db

import (
	"context"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/query"
	"golang.org/x/sync/errgroup"
)

// BuildOptions configure BuildIndex. Zero fields take the defaults
// documented on each; DefaultBuildOptions says what they come to for a
// collection of a given size.
type BuildOptions struct {
	// Lists is the number of IVF lists. Default: the power of two nearest
	// 4·√N (N records), within [16, 65536] — FAISS's guidance of 4–16·√N
	// at its low end, which keeps lists long enough that probing a few of
	// them finds the neighbours, and training affordable on two cores.
	Lists int
	// M is the number of PQ sub-quantisers (bytes per code). Default:
	// dimension / 4 up to 128 dimensions, dimension / 8 above (or / 2, / 1,
	// the first that divides it): sub-vectors of 4-8 values give codes
	// accurate enough to pick the k x Refine candidates that re-ranking
	// with raw vectors then orders exactly; low-dimensional data needs the
	// finer split, high-dimensional data would pay for it in scan time.
	M int
	// NBits is the bits per sub-quantiser code; only 8 is supported.
	NBits int
	// Sample is the number of records the quantisers are trained on.
	// Default: min(N, max(32·Lists, 20000), 262144) — k-means needs a few
	// dozen points per centroid, and training time grows linearly with it.
	Sample int
	// OPQ learns a rotation of the residuals before PQ, which lowers the
	// quantisation error on data whose variance is uneven across
	// dimensions, at a few times the training time. Default false.
	OPQ bool
	// NProbe and Refine become the collection's search defaults. Defaults:
	// NProbe = Lists/16 (at least 8) and Refine = 10, which give recall@10
	// >= 0.95 on the benchmark sets (see README.md).
	NProbe, Refine int
	// Seed drives sampling and k-means.
	Seed uint64
	// Threads bounds the goroutines used (0: GOMAXPROCS).
	Threads int
	// Progress, when set, is called as the build advances: stage is
	// "sampling", "training", "encoding" or "writing"; done and total count
	// records (total 0: not counted).
	Progress func(stage string, done, total int)
}

// BuildStats reports what a build did.
type BuildStats struct {
	Lists, M, Sample, Encoded, CaughtUp int
	NProbe, Refine                      int
	Train, Encode, Write                time.Duration
}

// DefaultBuildOptions returns the options BuildIndex would use for a
// collection of n records of dimension dim.
func DefaultBuildOptions(n, dim int) BuildOptions {
	var o BuildOptions
	o.fill(n, dim)
	return o
}

func (o *BuildOptions) fill(n, dim int) {
	if o.Lists == 0 {
		target := 4 * math.Sqrt(float64(n))
		p := 1 << bits.Len(uint(target))
		if float64(p)-target > target-float64(p/2) {
			p /= 2
		}
		o.Lists = min(max(p, 16), 65536)
	}
	if o.M == 0 {
		subs := []int{8, 4, 2, 1}
		if dim <= 128 {
			subs = subs[1:]
		}
		for _, sub := range subs {
			if dim%sub == 0 {
				o.M = dim / sub
				break
			}
		}
	}
	if o.NBits == 0 {
		o.NBits = 8
	}
	if o.Sample == 0 {
		o.Sample = min(n, max(32*o.Lists, 20000), 262144)
	}
	if o.NProbe == 0 {
		o.NProbe = max(o.Lists/16, 8)
	}
	if o.Refine == 0 {
		o.Refine = 10
	}
	if o.Threads <= 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
}

func (o *BuildOptions) progress(stage string, done, total int) {
	if o.Progress != nil {
		o.Progress(stage, done, total)
	}
}

// buildChunk is the number of records encoded per step of a build.
const buildChunk = 16384

// BuildIndex trains an IVF-PQ index on a sample of the collection, encodes
// every record and swaps the new index generation in atomically: searches
// use the previous generation (or exact search) until the swap, writes
// made during the build are encoded before it, and a crash before the swap
// leaves the previous generation serving (the partial one is removed at the
// next open). After a build, upserts are encoded as they are written.
func (d *DB) BuildIndex(ctx context.Context, coll string, opts *BuildOptions) (BuildStats, error) {
	if d.opts.ReadOnly {
		return BuildStats{}, ErrReadOnly
	}
	c, release, err := d.enterColl(coll)
	if err != nil {
		return BuildStats{}, err
	}
	defer release()
	flat, err := d.loadFlat(c)
	if err != nil {
		return BuildStats{}, err
	}
	snap := d.pdb.NewSnapshot()
	view := flat.View()
	live, err := readBitmap(snap, liveKey(c.id))
	_ = snap.Close() // only the live set was needed
	if err != nil {
		return BuildStats{}, err
	}
	n := int(live.GetCardinality())
	o := BuildOptions{}
	if opts != nil {
		o = *opts
	}
	o.fill(n, c.schema.Dim)
	if err := o.validate(n, c.schema.Dim); err != nil {
		return BuildStats{}, errors.Wrapf(err, "building an index on %q", coll)
	}
	st := BuildStats{Lists: o.Lists, M: o.M, Sample: o.Sample, NProbe: o.NProbe, Refine: o.Refine}

	start := time.Now()
	o.progress("sampling", 0, o.Sample)
	sample := sampleVectors(view, live, o.Sample, o.Seed)
	o.progress("training", 0, 0)
	ivf, err := index.Train(ctx, sample, c.schema.Dim, c.schema.Metric, index.TrainOptions{NList: o.Lists, M: o.M, Seed: o.Seed, Threads: o.Threads, OPQ: o.OPQ})
	if err != nil {
		return BuildStats{}, err
	}
	st.Train = time.Since(start)

	start = time.Now()
	lists := ivf.NewLists()
	resid, err := encodeDocs(ctx, ivf, view, live.ToArray(), lists, &o)
	if err != nil {
		return BuildStats{}, err
	}
	st.Encoded = n
	st.Encode = time.Since(start)

	start = time.Now()
	if st.CaughtUp, err = d.writeGeneration(ctx, c, ivf, lists, view.Len(), indexPtr{
		built: uint64(n), builtRes: resid, nprobe: uint32(o.NProbe), refine: uint32(o.Refine),
	}, &o); err != nil {
		return BuildStats{}, err
	}
	st.Write = time.Since(start)
	return st, nil
}

func (o *BuildOptions) validate(n, dim int) error {
	switch {
	case o.NBits != 8:
		return invalidf("%d-bit codes are not supported (only 8)", o.NBits)
	case o.M < 1 || dim%o.M != 0:
		return invalidf("M = %d does not divide the dimension %d", o.M, dim)
	case o.Lists < 1 || o.Lists > 65536:
		return invalidf("%d lists outside [1, 65536]", o.Lists)
	case n < 256 || n < o.Lists:
		return invalidf("%d records are too few to train %d lists (need at least max(256, lists)); exact search is fast at this size", n, o.Lists)
	case o.Sample < o.Lists || o.Sample < 256 || o.Sample > n:
		return invalidf("sample of %d outside [max(256, lists), records = %d]", o.Sample, n)
	case o.NProbe < 1 || o.Refine < 1:
		return invalidf("nprobe %d and refine %d must be at least 1", o.NProbe, o.Refine)
	}
	return nil
}

// sampleVectors copies size vectors of live docs, chosen by seed, into one
// contiguous slice.
func sampleVectors(view *query.FlatView, live *roaring.Bitmap, size int, seed uint64) []float32 {
	dim := view.Dim()
	n := int(live.GetCardinality())
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	picks := r.Perm(n)[:size]
	slices.Sort(picks)
	out := make([]float32, 0, size*dim)
	it := live.Iterator()
	pos := 0
	for _, p := range picks {
		var doc uint32
		for ; pos <= p; pos++ {
			doc = it.Next()
		}
		out = append(out, view.Row(doc)...)
	}
	return out
}

// encodeDocs assigns and encodes docs (ascending) into lists, all cores,
// and returns the sum of their squared residual norms.
func encodeDocs(ctx context.Context, ivf *index.IVF, view *query.FlatView, docs []uint32, lists *index.Lists, o *BuildOptions) (float64, error) {
	dim := ivf.Dim
	cs := ivf.CodeSize()
	var total float64
	batch := make([]float32, 0, buildChunk*dim)
	assign := make([]int32, buildChunk)
	dists := make([]float32, buildChunk)
	codes := make([]byte, buildChunk*cs)
	for start := 0; start < len(docs); start += buildChunk {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		chunk := docs[start:min(start+buildChunk, len(docs))]
		batch = batch[:0]
		for _, doc := range chunk {
			batch = append(batch, view.Row(doc)...)
		}
		ivf.AssignBatch(batch, assign[:len(chunk)], dists[:len(chunk)], o.Threads)
		g := errgroup.Group{}
		per := (len(chunk) + o.Threads - 1) / o.Threads
		for t := 0; t < len(chunk); t += per {
			g.Go(func() error {
				resid := make([]float32, 2*dim)
				for i := t; i < min(t+per, len(chunk)); i++ {
					ivf.Encode(codes[i*cs:i*cs:(i+1)*cs], batch[i*dim:(i+1)*dim], int(assign[i]), resid)
				}
				return nil
			})
		}
		_ = g.Wait() // the goroutines return no errors
		total += appendByList(lists, chunk, assign[:len(chunk)], dists[:len(chunk)], codes, cs)
		o.progress("encoding", start+len(chunk), len(docs))
	}
	return total, nil
}

// appendByList appends a chunk's encoded docs to their lists, one Append
// per list, keeping doc order within each list, and returns the sum of the
// residual norms.
func appendByList(lists *index.Lists, docs []uint32, assign []int32, dists []float32, codes []byte, cs int) float64 {
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(assign[a]) - int(assign[b]) })
	var total float64
	var runDocs []uint32
	var runCodes []byte
	for i := 0; i < len(order); {
		l := assign[order[i]]
		runDocs, runCodes = runDocs[:0], runCodes[:0]
		for ; i < len(order) && assign[order[i]] == l; i++ {
			j := order[i]
			runDocs = append(runDocs, docs[j])
			runCodes = append(runCodes, codes[j*cs:(j+1)*cs]...)
			total += float64(dists[j])
		}
		lists.Append(int(l), runDocs, runCodes)
	}
	return total
}

// maxBlockEntries is the number of entries per stored block at build time:
// blocks of a few tens of KB keep values small for the storage engine.
const maxBlockEntries = 4096

// buildBatchBytes is the size at which a build commits the blocks written
// so far (unsynced: they are invisible until the swap). A variable so the
// crash test can kill a build between two of them.
var buildBatchBytes = 4 << 20

// writeGeneration stores a built index under a new generation, catches up
// with the records written since the build's snapshot (doc ids at or above
// watermark), and swaps the generation in. It returns how many records it
// caught up.
func (d *DB) writeGeneration(ctx context.Context, c *collection, ivf *index.IVF, lists *index.Lists, watermark uint32, ptr indexPtr, o *BuildOptions) (int, error) {
	old := c.ix.Load()
	ptr.gen = 1
	if old != nil {
		ptr.gen = old.gen + 1
	}
	blob, err := ivf.AppendBinary(nil)
	if err != nil {
		return 0, err
	}
	b := d.pdb.NewBatch()
	gp := indexGenPrefix(c.id, ptr.gen)
	if err := b.DeleteRange(gp, prefixEnd(gp), nil); err != nil { // leftovers of a crashed build
		return 0, err
	}
	if err := b.Set(indexIVFKey(c.id, ptr.gen), blob, nil); err != nil {
		return 0, err
	}
	cs := ivf.CodeSize()
	written, total := 0, sum(lists.Sizes())
	for l := range ivf.NList {
		list := lists.List(l)
		for start, seq := 0, uint32(0); start < len(list.Docs); start, seq = start+maxBlockEntries, seq+1 {
			end := min(start+maxBlockEntries, len(list.Docs))
			blk, err := index.AppendBlock(nil, list.Docs[start:end], list.Codes[start*cs:end*cs], cs)
			if err != nil {
				return 0, err
			}
			if err := b.Set(indexBlockKey(c.id, ptr.gen, l, seq), blk, nil); err != nil {
				return 0, err
			}
			ptr.nextSeq = max(ptr.nextSeq, seq+1)
			written += end - start
		}
		if b.Len() > buildBatchBytes {
			if err := b.Commit(pebble.NoSync); err != nil {
				return 0, errors.Wrap(err, "writing index blocks")
			}
			b = d.pdb.NewBatch()
			o.progress("writing", written, total)
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return 0, errors.Wrap(err, "writing index blocks")
	}
	return d.swapGeneration(c, ivf, lists, watermark, ptr, old)
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// swapGeneration encodes the records written during the build and makes
// the new generation the serving one, in one synced batch.
func (d *DB) swapGeneration(c *collection, ivf *index.IVF, lists *index.Lists, watermark uint32, ptr indexPtr, old *ivfState) (int, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if cur, err := d.coll(c.schema.Name); err != nil || cur != c {
		return 0, errors.Mark(errors.Newf("vecdb: collection %q was dropped during the build", c.schema.Name), ErrNotFound)
	}
	if c.ix.Load() != old {
		return 0, errors.Newf("vecdb: collection %q: another build finished first", c.schema.Name)
	}
	live, err := readBitmap(d.pdb, liveKey(c.id))
	if err != nil {
		return 0, err
	}
	view := c.flat.Load().View()
	var newer []uint32
	it := live.Iterator()
	it.AdvanceIfNeeded(watermark)
	for it.HasNext() {
		newer = append(newer, it.Next())
	}
	b := d.pdb.NewBatch()
	defer b.Close()
	if len(newer) > 0 {
		cs := ivf.CodeSize()
		caught := index.NewLists(ivf.NList, cs)
		o := BuildOptions{Threads: runtime.GOMAXPROCS(0)}
		resid, err := encodeDocs(context.Background(), ivf, view, newer, caught, &o)
		if err != nil {
			return 0, err
		}
		for l := range ivf.NList {
			list := caught.List(l)
			if len(list.Docs) == 0 {
				continue
			}
			blk, err := index.AppendBlock(nil, list.Docs, list.Codes, cs)
			if err != nil {
				return 0, err
			}
			if err := b.Set(indexBlockKey(c.id, ptr.gen, l, ptr.nextSeq), blk, nil); err != nil {
				return 0, err
			}
			lists.Append(l, list.Docs, list.Codes)
		}
		ptr.nextSeq++
		ptr.built += uint64(len(newer))
		ptr.builtRes += resid
	}
	if err := b.Set(indexPtrKey(c.id), ptr.encode(), nil); err != nil {
		return 0, err
	}
	if old != nil {
		op := indexGenPrefix(c.id, old.gen)
		if err := b.DeleteRange(op, prefixEnd(op), nil); err != nil {
			return 0, err
		}
	}
	if err := b.Commit(d.writeOpts()); err != nil {
		return 0, errors.Wrap(err, "swapping in the new index generation")
	}
	st := newIVFState(ivf, ptr)
	if lists.Bytes() > d.opts.IndexMemoryBytes {
		st.paged.Store(newPagedLists(d, c, st, d.opts.IndexMemoryBytes))
	} else {
		st.lists.Store(lists)
	}
	c.ix.Store(st)
	return len(newer), nil
}
