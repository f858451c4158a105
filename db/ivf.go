package db

import (
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/internal/fault"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// ivfState is a collection's current index generation.
//
// The IVF (centroids and codebooks) is loaded when the database opens, so
// writers can encode new records at once; the generation's segment and
// the list source over it are opened on the first search that needs them.
type ivfState struct {
	gen uint32
	ivf *index.IVF
	// ptr is the stored pointer. REQUIRES: DB.wmu held to read or write
	// it, except for its immutable fields (gen, nprobe, refine and the
	// segment's).
	ptr indexPtr
	// codes mirrors ptr.built + ptr.added for readers, who must not wait
	// for DB.wmu.
	codes atomic.Uint64

	srcMu sync.Mutex // serialises opening src
	src   atomic.Pointer[listSource]
	// wroteSeg is set when this process wrote the generation's segment
	// (see listSource): its pages need no checksum check on first read.
	wroteSeg bool
	// calib is the generation's measured recall curve, when it has one.
	calib atomic.Pointer[Calibration]
	// swapped is set by the swap that replaces the generation, under
	// DB.wmu, before its commit deletes the generation's blocks (and
	// cleared if the commit fails): a search that read the lists may
	// have missed the codes added since the build, and starts over.
	swapped atomic.Bool
}

// defaults returns the generation's default nprobe and refine: the
// calibrated ones when a build measured them, else the build's.
func (st *ivfState) defaults() (nprobe, refine int) {
	if cal := st.calib.Load(); cal != nil {
		return cal.DefaultNProbe, cal.DefaultRefine
	}
	return int(st.ptr.nprobe), int(st.ptr.refine)
}

func newIVFState(ivf *index.IVF, ptr indexPtr) *ivfState {
	st := &ivfState{gen: ptr.gen, ivf: ivf, ptr: ptr}
	st.codes.Store(ptr.built + ptr.added)
	return st
}

// tailLo returns the first doc id whose row is not in the generation's
// segment: the build's watermark (0 without a segment). Rows of live docs
// below it are in the segment; docs at or above it are newer.
func (st *ivfState) tailLo() uint32 {
	if st == nil || !st.ptr.hasSeg {
		return 0
	}
	return st.ptr.segDocHi
}

// source returns the generation's list source, opening its segment on
// first use.
func (d *DB) source(c *collection, st *ivfState) (*listSource, error) {
	if s := st.src.Load(); s != nil {
		return s, nil
	}
	st.srcMu.Lock()
	defer st.srcMu.Unlock()
	if s := st.src.Load(); s != nil {
		return s, nil
	}
	var s *listSource
	err := fault.Guard(func() error {
		var err error
		s, err = d.newListSource(c, st)
		return err
	})
	if err != nil {
		return nil, err
	}
	st.src.Store(s)
	return s, nil
}

// retire releases a generation that is no longer served: its segment is
// unmapped once no search holds it, and its cached lists are dropped.
func (d *DB) retire(st *ivfState) {
	if st == nil {
		return
	}
	st.srcMu.Lock()
	s := st.src.Load()
	st.srcMu.Unlock()
	if s == nil {
		return
	}
	d.lists.dropSource(s)
	if s.seg != nil {
		s.seg.retire()
	}
}

// servingIndex is the index state a search holds: the generation, its
// list source and segment (nil without an index or without a segment).
type servingIndex struct {
	st  *ivfState
	src *listSource
	seg *segment
}

// acquireIndex returns the collection's serving generation with its
// segment held; the caller calls release when done. A generation retired
// meanwhile (a build swapped in) is skipped for the new one.
func (d *DB) acquireIndex(c *collection) (servingIndex, func(), error) {
	for {
		st := c.ix.Load()
		if st == nil {
			return servingIndex{}, func() {}, nil
		}
		src, err := d.source(c, st)
		if err != nil {
			// A generation replaced, or a collection replaced or
			// dropped, before this reader first opened its file: the
			// file may be gone already.
			switch {
			case c.ix.Load() != st:
				continue
			case c.retired.Load():
				return servingIndex{}, nil, errRetired
			case d.dropped(c):
				return servingIndex{}, nil, sentinel.Mark(errors.Newf("vecdb: collection %q was dropped", c.schema.Name), ErrNotFound)
			}
			return servingIndex{}, nil, d.markDamaged(c, st, err)
		}
		if src.seg == nil {
			return servingIndex{st: st, src: src}, func() {}, nil
		}
		if src.seg.acquire() {
			return servingIndex{st: st, src: src, seg: src.seg}, src.seg.release, nil
		}
		if c.ix.Load() == st {
			// Not swapped out: the collection itself went (forget).
			if c.retired.Load() {
				return servingIndex{}, nil, errRetired
			}
			return servingIndex{}, nil, sentinel.Mark(errors.Newf("vecdb: collection %q was dropped", c.schema.Name), ErrNotFound)
		}
	}
}

// markDamaged returns err, the error of opening generation st's list
// source; when it is damage (ErrCorruption) of the generation c serves, c
// is marked damaged as at open: searches fail naming the way out, its
// records still read, and a build repairs it from the store. It must not
// be called holding st.srcMu (it takes d.mu, which Close holds while it
// takes srcMu).
func (d *DB) markDamaged(c *collection, st *ivfState, err error) error {
	if !errors.Is(err, ErrCorruption) || c.ix.Load() != st || c.retired.Load() || d.dropped(c) {
		return err
	}
	if c.damaged.CompareAndSwap(nil, &err) {
		d.opts.Logger.Errorf("%v (searches of %q fail until it is rebuilt or dropped)", err, c.schema.Name)
	}
	return damagedErr(c, err)
}

// dropped reports whether c is no longer the collection of its name.
func (d *DB) dropped(c *collection) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.mu.colls[c.schema.Name] != c
}

// Stored index pointer (family famIdxPtr): which generation serves, the
// next block sequence number, what drift statistics need and, from
// version 2, the generation's segment.
//
//	+---------+---------+-------------+-----------+-----------------+-----------+-----------------+------------+------------+
//	| version | gen u32 | nextSeq u32 | built u64 | builtResid f64  | added u64 | addedResid f64  | nprobe u32 | refine u32 |
//	+---------+---------+-------------+-----------+-----------------+-----------+-----------------+------------+------------+
//	version 2 continues:
//	+----------------------+-------------+-------------+--------------+--------------+
//	| hasSeg u8 (0 or 1)   | ident u32   | docHi u32   | rows u64     | dead u64     |
//	+----------------------+-------------+-------------+--------------+--------------+
//
// builtResid and addedResid are sums of squared residual norms (distance to
// the assigned centroid) of the records encoded at build time and since:
// their means' ratio measures how far new data has drifted. ident is the
// segment's footer checksum, docHi its watermark, rows its row count, and
// dead how many of its rows were deleted or replaced since (see
// compaction.go).
type indexPtr struct {
	gen, nextSeq       uint32
	built, added       uint64
	builtRes, addedRes float64
	nprobe, refine     uint32

	hasSeg   bool
	segIdent uint32
	segDocHi uint32
	segRows  uint64
	segDead  uint64
}

const (
	indexPtrV1 byte = 1
	indexPtrV2 byte = 2
)

func (p *indexPtr) encode() []byte {
	b := []byte{indexPtrV2}
	b = binary.LittleEndian.AppendUint32(b, p.gen)
	b = binary.LittleEndian.AppendUint32(b, p.nextSeq)
	b = binary.LittleEndian.AppendUint64(b, p.built)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.builtRes))
	b = binary.LittleEndian.AppendUint64(b, p.added)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.addedRes))
	b = binary.LittleEndian.AppendUint32(b, p.nprobe)
	b = binary.LittleEndian.AppendUint32(b, p.refine)
	var has byte
	if p.hasSeg {
		has = 1
	}
	b = append(b, has)
	b = binary.LittleEndian.AppendUint32(b, p.segIdent)
	b = binary.LittleEndian.AppendUint32(b, p.segDocHi)
	b = binary.LittleEndian.AppendUint64(b, p.segRows)
	return binary.LittleEndian.AppendUint64(b, p.segDead)
}

const (
	indexPtrLenV1 = 1 + 4 + 4 + 8 + 8 + 8 + 8 + 4 + 4
	indexPtrLenV2 = indexPtrLenV1 + 1 + 4 + 4 + 8 + 8
)

func decodeIndexPtr(b []byte) (indexPtr, error) {
	if len(b) == 0 || !(b[0] == indexPtrV1 && len(b) == indexPtrLenV1 || b[0] == indexPtrV2 && len(b) == indexPtrLenV2) {
		return indexPtr{}, corruptionf("index pointer of %d bytes", len(b))
	}
	le := binary.LittleEndian
	p := indexPtr{
		gen: le.Uint32(b[1:]), nextSeq: le.Uint32(b[5:]),
		built: le.Uint64(b[9:]), builtRes: math.Float64frombits(le.Uint64(b[17:])),
		added: le.Uint64(b[25:]), addedRes: math.Float64frombits(le.Uint64(b[33:])),
		nprobe: le.Uint32(b[41:]), refine: le.Uint32(b[45:]),
	}
	if b[0] == indexPtrV2 {
		if b[49] > 1 {
			return indexPtr{}, corruptionf("index pointer: segment flag %d", b[49])
		}
		p.hasSeg, p.segIdent, p.segDocHi, p.segRows, p.segDead = b[49] == 1, le.Uint32(b[50:]), le.Uint32(b[54:]), le.Uint64(b[58:]), le.Uint64(b[66:])
	}
	return p, nil
}

// loadIndex reads a collection's index pointer and IVF, if it has one.
func loadIndex(r reader, c *collection) error {
	v, closer, err := r.Get(indexPtrKey(c.id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ptr, err := decodeIndexPtr(v)
	closer.Close()
	if err != nil {
		return errors.Wrapf(err, "collection %q", c.schema.Name)
	}
	v, closer, err = r.Get(indexIVFKey(c.id, ptr.gen))
	if err != nil {
		if errors.Is(err, pebble.ErrNotFound) {
			return corruptionf("collection %q: index generation %d has no IVF", c.schema.Name, ptr.gen)
		}
		return err
	}
	defer closer.Close()
	ivf, err := index.DecodeIVF(v)
	if err != nil {
		return sentinel.Mark(errors.Wrapf(err, "collection %q: index generation %d", c.schema.Name, ptr.gen), ErrCorruption)
	}
	if ivf.Dim != c.schema.Dim || ivf.Metric != c.schema.Metric {
		return corruptionf("collection %q: index shape (dim %d, %s) differs from the schema", c.schema.Name, ivf.Dim, ivf.Metric)
	}
	st := newIVFState(ivf, ptr)
	if err := loadCalibration(r, c, st); err != nil {
		return err
	}
	c.ix.Store(st)
	if ptr.hasSeg && ptr.segDocHi > c.nextDoc {
		// A batch that took doc ids and then failed to commit (a full
		// disk) leaves the stored counter behind the one in memory, which
		// a build then takes as its vector file's watermark: ids below it
		// must not be taken again, the file says it holds their rows.
		c.nextDoc = ptr.segDocHi
		c.docsAllocated.Store(c.nextDoc)
	}
	return nil
}

// listSizes returns the number of entries of every list.
func (d *DB) listSizes(c *collection, st *ivfState) ([]int, error) {
	src, err := d.source(c, st)
	if err != nil {
		return nil, d.markDamaged(c, st, err)
	}
	sizes := make([]int, st.ivf.NList)
	for l := range sizes {
		if sizes[l], err = src.listLen(l); err != nil {
			return nil, err
		}
	}
	return sizes, nil
}

func scanFamilyRange(r reader, lo, hi []byte, fn func(k, v []byte) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		v, err := it.ValueAndErr()
		if err == nil {
			err = fn(it.Key(), v)
		}
		if err != nil {
			_ = it.Close() // the callback's error is the one to report
			return err
		}
	}
	return it.Close()
}

// ivfAdds collects one batch's new codes per list of one collection.
type ivfAdds struct {
	st    *ivfState
	docs  map[int][]uint32
	codes map[int][]byte
	resid float64
	n     uint64
}

// removeStaleGenerations deletes index keys of generations other than the
// serving one: what a build left when it crashed before its swap, or an
// older generation a crash kept from being deleted. Writable opens only.
func (d *DB) removeStaleGenerations(c *collection) error {
	lo := appendCollPrefix(nil, famIndex, c.id)
	ranges := [][2][]byte{{lo, prefixEnd(lo)}}
	if st := c.ix.Load(); st != nil {
		gp := indexGenPrefix(c.id, st.gen)
		ranges = [][2][]byte{{lo, gp}, {prefixEnd(gp), prefixEnd(lo)}}
	}
	b := d.pdb.NewBatch()
	defer b.Close()
	for _, r := range ranges {
		it, err := d.pdb.NewIter(&pebble.IterOptions{LowerBound: r[0], UpperBound: r[1]})
		if err != nil {
			return err
		}
		found := it.First()
		if err := it.Close(); err != nil {
			return err
		}
		if found {
			if err := b.DeleteRange(r[0], r[1], nil); err != nil {
				return err
			}
		}
	}
	if b.Empty() {
		return nil
	}
	return errors.Wrapf(b.Commit(pebble.Sync), "collection %q: removing stale index generations", c.schema.Name)
}

// IndexStats describes a collection's IVF-PQ index.
type IndexStats struct {
	// Generation counts builds; it changes at each swap.
	Generation uint32
	// Codec is the codes' format; Lists and M (sub-quantisers) the index
	// shape; Bits the bits per dimension of rabitq codes (0 for PQ);
	// CodeBytes the bytes of a record's code (M for pq8, M/2 for pq4fs).
	Codec                     Codec
	Lists, M, Bits, CodeBytes int
	// PCA is the output dimension of the index's PCA pre-transform (0:
	// none; BuildOptions.PCA).
	PCA int
	// Codes is the number of entries in the lists, deleted records
	// included until the next build.
	Codes int
	// ListMin, ListMax, ListMean and ListCV (standard deviation / mean)
	// describe the list-size balance.
	ListMin, ListMax int
	ListMean, ListCV float64
	// Built is the number of records encoded by the build; Added the number
	// encoded since.
	Built, Added uint64
	// Drift is the mean squared distance of the records added since the
	// build to their centroids, over the same mean at build time: above 1,
	// new data lies farther from the trained centroids (0 when none added).
	Drift float64
	// NProbe and Refine are the search defaults set by the build.
	NProbe, Refine int
	// VectorFile says the generation has a vector file (segment): the
	// raw vectors, IDs and posting lists of the records the build encoded,
	// mapped and read in place. VectorFileRows and VectorFileBytes are its
	// rows and size. A generation built by an earlier release has none,
	// and reads its lists and rows from the storage engine.
	VectorFile      bool
	VectorFileRows  uint64
	VectorFileBytes int64
	// ListsWithBlocks is the number of lists holding codes written since
	// the build (stored as blocks, merged into the list when it is read).
	ListsWithBlocks int
	// Calibration is the recall curve a build with a TargetRecall measured
	// (nil without one).
	Calibration *Calibration
	// RebuildAdvised says a rebuild would pay, and Advice why.
	RebuildAdvised bool
	Advice         string
}

// pcaDim returns the output dimension of ivf's PCA (0: none).
func pcaDim(ivf *index.IVF) int {
	if ivf.PCA == nil {
		return 0
	}
	return ivf.PCA.Out
}

// indexStats fills IndexStats. REQUIRES: DB.wmu not held.
func (d *DB) indexStats(c *collection, st *ivfState) (*IndexStats, error) {
	sizes, err := d.listSizes(c, st)
	if err != nil {
		return nil, err
	}
	d.wmu.Lock()
	ptr := st.ptr
	d.wmu.Unlock()
	is := &IndexStats{Generation: st.gen, Codec: st.ivf.Codec.Kind(), Lists: st.ivf.NList, M: st.ivf.SubQuantisers(), Bits: st.ivf.CodeBits(), CodeBytes: st.ivf.CodeSize(), PCA: pcaDim(st.ivf), Built: ptr.built, Added: ptr.added,
		VectorFile: ptr.hasSeg, VectorFileRows: ptr.segRows,
		Calibration: st.calib.Load()}
	if src := st.src.Load(); src != nil {
		if src.seg != nil {
			is.VectorFileBytes = src.seg.mappedBytes()
		}
		for l := range src.added {
			if src.added[l].Load() {
				is.ListsWithBlocks++
			}
		}
	}
	is.NProbe, is.Refine = st.defaults()
	is.ListMin = sizes[0]
	var sum, sq float64
	for _, n := range sizes {
		is.Codes += n
		is.ListMin, is.ListMax = min(is.ListMin, n), max(is.ListMax, n)
		sum += float64(n)
	}
	is.ListMean = sum / float64(len(sizes))
	for _, n := range sizes {
		sq += (float64(n) - is.ListMean) * (float64(n) - is.ListMean)
	}
	if is.ListMean > 0 {
		is.ListCV = math.Sqrt(sq/float64(len(sizes))) / is.ListMean
	}
	if ptr.added > 0 && ptr.built > 0 && ptr.builtRes > 0 {
		is.Drift = (ptr.addedRes / float64(ptr.added)) / (ptr.builtRes / float64(ptr.built))
	}
	switch {
	case ptr.added > ptr.built/2:
		is.RebuildAdvised, is.Advice = true, "more than half as many records were added since the build as it encoded: rebuild to retrain the centroids on the current data"
	case is.Drift > 1.5:
		is.RebuildAdvised, is.Advice = true, "records added since the build lie much farther from their centroids than the trained data (drift > 1.5): rebuild"
	case is.ListCV > 3:
		is.RebuildAdvised, is.Advice = true, "list sizes are very uneven (coefficient of variation > 3): rebuild"
	default:
		is.Advice = "the index fits the data"
	}
	return is, nil
}
