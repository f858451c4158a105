package db

import (
	"context"
	"math/bits"
	"runtime"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/internal/fault"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/quant"
)

// Codec names the format of an index's codes; re-exported from quant.
type Codec = quant.CodecKind

// The codecs an index can be built with.
const (
	// CodecPQ8 is 8-bit product quantisation (the default): M bytes a
	// code, scored by table look-ups.
	CodecPQ8 = quant.KindPQ8
	// CodecPQ4FS is 4-bit product quantisation scanned in blocks of 32
	// with 8-bit tables held in SIMD registers (fast scan): M/2 bytes a
	// code, several times faster to score, coarser estimates.
	CodecPQ4FS = quant.KindPQ4FS
	// CodecRaBitQ is RaBitQ: a bit per dimension after a random rotation,
	// with an error bound that spares most codes the finer scoring, or
	// NBits (1 to 8, default 4) per dimension, accurate enough to search
	// without raw vectors (SearchRequest.CodesOnly). Up to 4,096
	// dimensions.
	CodecRaBitQ = quant.KindRaBitQ
)

// ParseCodec parses a codec name: "pq8", "pq4fs" or "rabitq".
func ParseCodec(s string) (Codec, error) { return quant.ParseCodecKind(s) }

// ParseCodecSpec parses a codec as the CLI's --codec takes it: a name
// and, for rabitq, optionally ":BITS" (1 to 8; 0 when not given).
func ParseCodecSpec(s string) (Codec, int, error) { return quant.ParseCodecSpec(s) }

// CodecSpec is the inverse of ParseCodecSpec: "pq8", "pq4fs", "rabitq:4".
func CodecSpec(c Codec, bits int) string {
	if c == CodecRaBitQ && bits > 0 {
		return c.String() + ":" + strconv.Itoa(bits)
	}
	return c.String()
}

// codecBits is the Bits of stats: NBits for rabitq, 0 for PQ.
func codecBits(c Codec, nbits int) int {
	if c == CodecRaBitQ {
		return nbits
	}
	return 0
}

// BuildOptions configure BuildIndex. Zero fields take the defaults
// documented on each; DefaultBuildOptions says what they come to for a
// collection of a given size.
type BuildOptions struct {
	// Codec is the format of the codes (default CodecPQ8; see
	// index.DefaultCodec for why CodecPQ4FS, faster, is not yet).
	Codec Codec
	// Lists is the number of IVF lists. Default: the power of two nearest
	// 4·√N (N records; √N for CodecPQ4FS, whose codes scan fast enough
	// that longer lists pay), within [16, 65536] — FAISS's guidance of 4–16·√N
	// at its low end, which keeps lists long enough that probing a few of
	// them finds the neighbours, and training affordable on two cores.
	Lists int
	// M is the number of PQ sub-quantisers (bytes per code). Default:
	// dimension / 4 up to 128 dimensions, dimension / 8 above (or / 2, / 1,
	// the first that divides it): sub-vectors of 4-8 values give codes
	// accurate enough to pick the k x Refine candidates that re-ranking
	// with raw vectors then orders exactly; low-dimensional data needs the
	// finer split, high-dimensional data would pay for it in scan time.
	// With CodecPQ4FS the default is sub-vectors of 2 values (M = dim/2,
	// dim/4 bytes a code), or the fewest that keep M <= 256.
	M int
	// NBits is the bits per sub-quantiser code: 8 for CodecPQ8, 4 for
	// CodecPQ4FS; for CodecRaBitQ the bits per dimension, 1 to 8
	// (default 4). The default follows the codec.
	NBits int
	// Sample is the number of records the quantisers are trained on.
	// Default: min(N, max(32·Lists, 20000), 262144) — k-means needs a few
	// dozen points per centroid, and training time grows linearly with it.
	Sample int
	// OPQ learns a rotation of the residuals before PQ, which lowers the
	// quantisation error on data whose variance is uneven across
	// dimensions, at a few times the training time. Default false.
	OPQ bool
	// PCA, when set, is the dimension D' (1 <= D' < the collection's) of a
	// PCA pre-transform fitted on the sample (FAISS's "PCA64,IVF..."): the
	// centroids, codes and coarse step live in D' dimensions, queries and
	// records are projected on the way in, and re-ranking still reads the
	// raw vectors. M's default and divisibility follow D'. Searches from
	// the codes alone (SearchRequest.CodesOnly) then return distances
	// estimated in the reduced space. L2 fits a centred PCA; cosine and
	// dot an uncentred one, which keeps inner products within the kept
	// subspace. 0 (the default) is off; see README.md for where it pays.
	PCA int
	// NProbe and Refine become the collection's search defaults. Defaults:
	// NProbe = Lists/16 (at least 8) and Refine = 10, which give recall@10
	// >= 0.95 on the benchmark sets (see README.md).
	NProbe, Refine int
	// TargetRecall, when set (0 < R <= 1), makes the build measure the
	// new index's recall@10 on up to 200 of the collection's own records
	// (each left out of its results) against exact search, with Refine
	// and smaller re-rank depths (5, 3, 2), each at nprobe 1, 2, 3, 4, 6,
	// 8, ... until it passes R + 0.02, store those curves with the
	// generation (IndexStats.Calibration), and make the fastest measured
	// (nprobe, refine) reaching R the search defaults. It costs the exact
	// search of those records (a few seconds at 1M x 128) and the
	// searches of the curves.
	TargetRecall float64
	// Seed drives sampling and k-means.
	Seed uint64
	// Threads bounds the goroutines used (0: GOMAXPROCS).
	Threads int
	// Progress, when set, is called as the build advances: stage is
	// "sampling", "training", "encoding" (records streamed into the
	// vector file), "writing" (its lists) or "swapping" (catching up with
	// writes made meanwhile, then the swap); done and total count records
	// (total 0: not counted).
	Progress func(stage string, done, total int)
}

// BuildStats reports what a build did.
type BuildStats struct {
	// Generation is the index generation the build swapped in.
	Generation                          uint32
	Codec                               Codec
	Lists, M, Sample, Encoded, CaughtUp int
	// PCA is the dimension of the PCA pre-transform (0: none), and
	// CodeBytes the bytes of a record's code.
	PCA, CodeBytes int
	// Bits is the bits per dimension of rabitq codes (0 for PQ).
	Bits                 int
	NProbe, Refine       int
	Train, Encode, Write time.Duration
	// Calibration is the recall curve measured for TargetRecall (nil
	// without one); NProbe is then its default.
	Calibration *Calibration
}

// DefaultBuildOptions returns the options BuildIndex would use for a
// collection of n records of dimension dim.
func DefaultBuildOptions(n, dim int) BuildOptions {
	var o BuildOptions
	o.fill(n, dim)
	return o
}

// fill sets every zero field to its default (index.BuildOptions.Fill).
func (o *BuildOptions) fill(n, dim int) {
	io := o.index()
	io.Fill(n, dim)
	o.Codec, o.Lists, o.M, o.NBits, o.Sample, o.NProbe, o.Refine, o.Threads = io.Codec, io.Lists, io.M, io.NBits, io.Sample, io.NProbe, io.Refine, io.Threads
}

// index returns the options as index's build takes them.
func (o *BuildOptions) index() index.BuildOptions {
	return index.BuildOptions{Codec: o.Codec, Lists: o.Lists, M: o.M, NBits: o.NBits, Sample: o.Sample, OPQ: o.OPQ, PCA: o.PCA, NProbe: o.NProbe, Refine: o.Refine, Seed: o.Seed, Threads: o.Threads}
}

func (o *BuildOptions) progress(stage string, done, total int) {
	if o.Progress != nil {
		o.Progress(stage, done, total)
	}
}

// buildChunk is the most records encoded per step of a build; a step
// holds at most an eighth of the budget's build share of vectors, at
// least 256 (8 MiB of 128-d vectors at the default budget; 784-d vectors
// take steps of about 5,000).
const buildChunk = 16384

// chunkRows returns the records a build encodes per step.
func (d *DB) chunkRows(dim int) int {
	return max(256, min(buildChunk, int(d.budget.build/8/int64(4*dim))))
}

// BuildIndex trains an IVF-PQ index on a sample of the collection, encodes
// every record and swaps the new index generation in atomically: searches
// use the previous generation (or exact search) until the swap, writes
// made during the build are encoded before it, and a crash before the swap
// leaves the previous generation serving (the partial one is removed at the
// next open). After a build, upserts are encoded as they are written.
//
// The build works out of core: it trains on a sample (by default sized to
// the budget's build share), then streams the records, in batches of
// chunkRows, through the encoder and into the generation's vector file.
// It holds the sample while training, then the codes (M + 8 bytes a
// record) and one batch; never the raw vectors of the collection.
func (d *DB) BuildIndex(ctx context.Context, coll string, opts *BuildOptions) (_ BuildStats, err error) {
	defer func() { err = storageErr(err) }()
	if err := d.checkWritableFormat(); err != nil {
		return BuildStats{}, err
	}
	c, release, err := d.enterColl(coll)
	if err != nil {
		return BuildStats{}, err
	}
	defer release()
	c.buildMu.Lock()
	defer c.buildMu.Unlock()
	in, err := d.beginBuild(c)
	if err != nil {
		return BuildStats{}, err
	}
	defer in.close()
	n := int(in.live.GetCardinality())
	o := BuildOptions{}
	if opts != nil {
		o = *opts
	}
	o.fill(n, c.schema.Dim)
	if opts == nil || opts.Sample == 0 {
		// The sample is the build's largest allocation: keep it within
		// the budget's build share (but never below what k-means needs).
		fit := int(d.budget.build / int64(4*c.schema.Dim))
		o.Sample = min(o.Sample, max(fit, o.Lists, 256))
	}
	if err := o.validate(n, c.schema.Dim); err != nil {
		return BuildStats{}, errors.Wrapf(err, "building an index on %q", coll)
	}
	st := BuildStats{Codec: o.Codec, Lists: o.Lists, M: o.M, Bits: codecBits(o.Codec, o.NBits), Sample: o.Sample, NProbe: o.NProbe, Refine: o.Refine, PCA: o.PCA}

	start := time.Now()
	o.progress("sampling", 0, o.Sample)
	sample, err := in.sample(o.Sample, o.Seed)
	if err != nil {
		return BuildStats{}, err
	}
	o.progress("training", 0, 0)
	io := o.index()
	ivf, err := index.Train(ctx, sample, c.schema.Dim, c.schema.Metric, io.TrainOptions())
	if err != nil {
		return BuildStats{}, err
	}
	sample = nil // trained: let the encoder reuse its memory
	st.Train = time.Since(start)
	st.CodeBytes = ivf.CodeSize()
	st, err = d.buildGeneration(ctx, c, in, ivf, indexPtr{nprobe: uint32(o.NProbe), refine: uint32(o.Refine)}, &o, st)
	if err == nil {
		c.damaged.Store(nil) // the damaged index is replaced
	}
	if err != nil || o.TargetRecall == 0 {
		return st, err
	}
	in.close() // calibration takes its own snapshot
	o.progress("calibrating", 0, 0)
	if st.Calibration, err = d.calibrate(ctx, c, st.Generation, o.TargetRecall, o.Seed); err != nil {
		return st, errors.Wrap(err, "the index is built and serving, but its calibration failed")
	}
	st.NProbe, st.Refine = st.Calibration.DefaultNProbe, st.Calibration.DefaultRefine
	return st, nil
}

// checkWritableFormat refuses index writes on a read-only database and on
// a database of the previous format, which has no vector files.
func (d *DB) checkWritableFormat() error {
	if d.opts.ReadOnly {
		return ErrReadOnly
	}
	if f := d.format.Load(); f < FormatVersion {
		return sentinel.Mark(errors.Newf("vecdb: %s has format version %d, from an earlier release: index builds write vector files, which need format %d; run `vecdb migrate` (DB.Migrate) first (readers of format %d cannot open the result)", d.dir, f, FormatVersion, f), ErrInvalid)
	}
	return nil
}

func (o *BuildOptions) validate(n, dim int) error {
	io := o.index()
	io.Fill(n, dim)
	if err := io.Validate(n, dim); err != nil {
		return sentinel.Mark(err, ErrInvalid)
	}
	if !(o.TargetRecall >= 0 && o.TargetRecall <= 1) {
		return invalidf("target recall %v outside [0, 1]", o.TargetRecall)
	}
	return nil
}

// buildInput is what a build reads: a snapshot, the doc id watermark it
// covers (docs below it; later ones are caught up at the swap), its live
// docs, and the rows through the serving generation's segment, held.
type buildInput struct {
	snap      *pebble.Snapshot
	watermark uint32
	old       *ivfState
	live      *roaring.Bitmap
	rows      *rowSource
	unhold    func()
}

func (d *DB) beginBuild(c *collection) (*buildInput, error) {
	tc, err := d.prepareTail(c)
	if err != nil {
		return nil, err
	}
	d.wmu.Lock()
	in := &buildInput{snap: d.pdb.NewSnapshot(), watermark: c.nextDoc, old: c.ix.Load()}
	d.wmu.Unlock()
	ok := false
	defer func() {
		if !ok {
			in.close()
		}
	}()
	if in.live, err = readBitmap(in.snap, liveKey(c.id)); err != nil {
		return nil, err
	}
	ix, unhold, err := d.acquireIndex(c)
	damaged := err != nil && errors.Is(err, ErrCorruption) && c.damaged.Load() != nil && c.ix.Load() == in.old
	switch {
	case damaged:
		// The serving generation's vector file is damaged: the build
		// reads every row from the store and replaces it.
		ix, unhold = servingIndex{}, func() {}
	case err != nil:
		return nil, err
	}
	in.unhold = unhold
	if !damaged && ix.st != in.old {
		return nil, errors.Newf("vecdb: collection %q: another build finished while this one started", c.schema.Name)
	}
	in.rows = d.rows(c, in.snap, ix, tc)
	ok = true
	return in, nil
}

func (in *buildInput) close() {
	if in.unhold != nil {
		in.unhold()
		in.unhold = nil
	}
	if in.snap != nil {
		_ = in.snap.Close() // a read-only snapshot: nothing to lose
		in.snap = nil
	}
}

// sample reads the rows of size live docs chosen by seed
// (index.SampleDocs) into one contiguous slice, in doc order.
func (in *buildInput) sample(size int, seed uint64) ([]float32, error) {
	docs := index.SampleDocs(in.live, size, seed)
	dim := in.rows.Dim()
	out := make([]float32, size*dim)
	got := 0
	err := fault.Guard(func() error {
		return in.rows.Fetch(docs, func(i int, row []float32) {
			copy(out[i*dim:], row)
			got++
		})
	})
	if err == nil && got != size {
		err = corruptionf("sampling: %d of %d live docs have no vector", size-got, size)
	}
	return out, err
}

// buildGeneration encodes every live doc of in with ivf into a new
// generation's vector file and lists, then stores and swaps it in.
func (d *DB) buildGeneration(ctx context.Context, c *collection, in *buildInput, ivf *index.IVF, ptr indexPtr, o *BuildOptions, st BuildStats) (BuildStats, error) {
	start := time.Now()
	ptr.gen = 1
	if in.old != nil {
		ptr.gen = in.old.gen + 1
	}
	live := int64(in.live.GetCardinality())
	size := live * int64(4*ivf.Dim+ivf.CodeSize()+16) // rows, codes, doc ids, terms, IDs
	if err := d.checkSpace(size); err != nil {
		return st, err
	}
	w, err := createSegment(d.dir, c.id, ptr.gen, segShapeOf(ivf, in.watermark), size > d.budget.total)
	if err != nil {
		return st, err
	}
	done := false
	defer func() {
		if !done {
			w.abort()
		}
	}()
	codes := ivf.NewDocCodes(int(in.live.GetCardinality()))
	err = fault.Guard(func() error {
		var err error
		ptr.built, ptr.builtRes, err = encodeInto(ctx, ivf, in, codes, w, o, d.chunkRows(ivf.Dim))
		return err
	})
	if err != nil {
		return st, err
	}
	st.Encoded = int(ptr.built)
	st.Encode = time.Since(start)
	start = time.Now()
	ptr.segIdent, err = w.finish(codes.ByList(ivf, func(written int) { o.progress("writing", written, codes.Len()) }))
	done = true // finish removed its temporary files on error
	if err != nil {
		return st, err
	}
	codes = nil
	ptr.hasSeg, ptr.segDocHi, ptr.segRows = true, in.watermark, ptr.built
	o.progress("swapping", 0, 0)
	if st.CaughtUp, err = d.writeGeneration(c, ivf, in, ptr); err != nil {
		_ = d.removeSegmentFile(c.id, ptr.gen) // never served; a leftover is removed at the next open
		return st, err
	}
	st.Write = time.Since(start)
	st.Generation = ptr.gen
	return st, nil
}

// segShapeOf returns the shape of a vector file of ivf's codes for docs
// below docHi.
func segShapeOf(ivf *index.IVF, docHi uint32) segShape {
	sh := segShape{dim: ivf.Dim, codeSize: ivf.CodeSize(), nlist: ivf.NList, metric: ivf.Metric, docHi: docHi}
	if bc := ivf.Blocked(); bc != nil {
		sh.blockLog = uint8(bits.Len(uint(bc.BlockSize())) - 1)
	}
	sh.noTerms = ivf.Metric == quant.L2 && !ivf.HasTerms()
	return sh
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// writeGeneration stores a built generation's IVF, then, under the write
// lock, catches up with the records written since the build's snapshot
// (live docs at or above its watermark: encoded into blocks of the new
// generation) and swaps the generation in, in one synced batch. It returns
// how many records it caught up.
func (d *DB) writeGeneration(c *collection, ivf *index.IVF, in *buildInput, ptr indexPtr) (int, error) {
	blob, err := ivf.AppendBinary(nil)
	if err != nil {
		return 0, err
	}
	b := d.pdb.NewBatch()
	defer b.Close()
	gp := indexGenPrefix(c.id, ptr.gen)
	if err := b.DeleteRange(gp, prefixEnd(gp), nil); err != nil { // leftovers of a crashed build
		return 0, err
	}
	if err := b.Set(indexIVFKey(c.id, ptr.gen), blob, nil); err != nil {
		return 0, err
	}
	// Unsynced: the swap's synced commit, later in the same log, makes
	// it durable, and until then nothing points at it.
	if err := b.Commit(pebble.NoSync); err != nil {
		return 0, errors.Wrap(err, "writing the index")
	}
	return d.swapGeneration(c, ivf, in, ptr)
}

// swapGeneration encodes the records written during the build and makes
// the new generation the serving one, in one synced batch.
func (d *DB) swapGeneration(c *collection, ivf *index.IVF, in *buildInput, ptr indexPtr) (int, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if cur, err := d.coll(c.schema.Name); err != nil || cur != c {
		return 0, sentinel.Mark(errors.Newf("vecdb: collection %q was dropped during the build", c.schema.Name), ErrNotFound)
	}
	old := in.old
	if c.ix.Load() != old {
		return 0, errors.Newf("vecdb: collection %q: another build finished first", c.schema.Name)
	}
	live, err := readBitmap(d.pdb, liveKey(c.id))
	if err != nil {
		return 0, err
	}
	var newer []uint32
	it := live.Iterator()
	it.AdvanceIfNeeded(in.watermark)
	for it.HasNext() {
		newer = append(newer, it.Next())
	}
	// Rows of the new file deleted while the build ran are dead already.
	ptr.segDead = ptr.segRows - (live.GetCardinality() - uint64(len(newer)))
	b := d.pdb.NewBatch()
	defer b.Close()
	if len(newer) > 0 {
		resid, err := d.catchUp(b, c, ivf, ptr.gen, newer)
		if err != nil {
			return 0, err
		}
		ptr.nextSeq = 1
		ptr.added += uint64(len(newer))
		ptr.addedRes += resid
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
	if old != nil {
		old.swapped.Store(true) // before its blocks go: see searchOnce
	}
	if err := b.Commit(d.writeOpts()); err != nil {
		if old != nil {
			old.swapped.Store(false)
		}
		return 0, errors.Wrap(err, "swapping in the new index generation")
	}
	st := newIVFState(ivf, ptr)
	st.wroteSeg = true
	c.ix.Store(st)
	d.dropTail(c, false) // its rows up to the new watermark are in the new file
	d.retire(old)
	if old != nil && old.ptr.hasSeg {
		if err := d.removeSegmentFile(c.id, old.gen); err != nil {
			d.opts.Logger.Errorf("%v (removed at the next open)", err)
		}
	}
	return len(newer), nil
}

// catchUp encodes the live docs written since a build's snapshot into
// blocks of the new generation (sequence 0) in b, and marks their lists.
// REQUIRES: DB.wmu held.
func (d *DB) catchUp(b *pebble.Batch, c *collection, ivf *index.IVF, gen uint32, docs []uint32) (float64, error) {
	dim := ivf.Dim
	vecs := make([]float32, len(docs)*dim)
	rs := &rowSource{c: c, snap: d.pdb}
	got := 0
	if err := rs.readSorted(len(docs), func(j int) uint32 { return docs[j] }, func(j int, row []float32) {
		copy(vecs[j*dim:], row)
		got++
	}); err != nil {
		return 0, err
	}
	if got != len(docs) {
		return 0, corruptionf("collection %q: %d live docs have no vector", c.schema.Name, len(docs)-got)
	}
	caught := index.NewLists(ivf.NList, ivf.CodeSize())
	resid := ivf.NewEncoder(len(docs), runtime.GOMAXPROCS(0)).EncodeToLists(vecs, docs, caught)
	var touched []int
	for l := range ivf.NList {
		list := caught.List(l)
		if len(list.Docs) == 0 {
			continue
		}
		blk, err := index.AppendBlock(nil, list.Docs, list.Codes, ivf.CodeSize())
		if err != nil {
			return 0, err
		}
		if err := b.Set(indexBlockKey(c.id, gen, l, 0), blk, nil); err != nil {
			return 0, err
		}
		touched = append(touched, l)
	}
	return resid, b.Merge(indexAddedKey(c.id, gen), addedBitmapDelta(touched), nil)
}
