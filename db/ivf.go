package db

import (
	"encoding/binary"
	"math"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/index"
)

// ivfState is a collection's current index generation.
//
// The IVF (centroids and codebooks) is loaded when the database opens, so
// writers can encode new records at once; the posting lists are loaded on
// the first approximate search (lists), like the raw vectors.
type ivfState struct {
	gen uint32
	ivf *index.IVF
	// ptr is the stored pointer. REQUIRES: DB.wmu held to read or write
	// it, except for its immutable fields (gen, nprobe, refine).
	ptr   indexPtr
	lists atomic.Pointer[index.Lists]
	// paged serves the lists instead when they exceed
	// Options.IndexMemoryBytes (set once, under DB.wmu, by loadLists).
	paged atomic.Pointer[pagedLists]
	// codes mirrors ptr.built + ptr.added for readers, who must not wait
	// for DB.wmu.
	codes atomic.Uint64
}

func newIVFState(ivf *index.IVF, ptr indexPtr) *ivfState {
	st := &ivfState{gen: ptr.gen, ivf: ivf, ptr: ptr}
	st.codes.Store(ptr.built + ptr.added)
	return st
}

// Stored index pointer (family famIdxPtr): which generation serves, the
// next block sequence number, and what drift statistics need.
//
//	+---------+---------+-------------+-----------+-----------------+-----------+-----------------+------------+------------+
//	| version | gen u32 | nextSeq u32 | built u64 | builtResid f64  | added u64 | addedResid f64  | nprobe u32 | refine u32 |
//	+---------+---------+-------------+-----------+-----------------+-----------+-----------------+------------+------------+
//
// builtResid and addedResid are sums of squared residual norms (distance to
// the assigned centroid) of the records encoded at build time and since:
// their means' ratio measures how far new data has drifted.
type indexPtr struct {
	gen, nextSeq       uint32
	built, added       uint64
	builtRes, addedRes float64
	nprobe, refine     uint32
}

const indexPtrVersion byte = 1

func (p *indexPtr) encode() []byte {
	b := []byte{indexPtrVersion}
	b = binary.LittleEndian.AppendUint32(b, p.gen)
	b = binary.LittleEndian.AppendUint32(b, p.nextSeq)
	b = binary.LittleEndian.AppendUint64(b, p.built)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.builtRes))
	b = binary.LittleEndian.AppendUint64(b, p.added)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.addedRes))
	b = binary.LittleEndian.AppendUint32(b, p.nprobe)
	return binary.LittleEndian.AppendUint32(b, p.refine)
}

const indexPtrLen = 1 + 4 + 4 + 8 + 8 + 8 + 8 + 4 + 4

func decodeIndexPtr(b []byte) (indexPtr, error) {
	if len(b) != indexPtrLen || b[0] != indexPtrVersion {
		return indexPtr{}, corruptionf("index pointer of %d bytes", len(b))
	}
	le := binary.LittleEndian
	return indexPtr{
		gen: le.Uint32(b[1:]), nextSeq: le.Uint32(b[5:]),
		built: le.Uint64(b[9:]), builtRes: math.Float64frombits(le.Uint64(b[17:])),
		added: le.Uint64(b[25:]), addedRes: math.Float64frombits(le.Uint64(b[33:])),
		nprobe: le.Uint32(b[41:]), refine: le.Uint32(b[45:]),
	}, nil
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
		return errors.Mark(errors.Wrapf(err, "collection %q: index generation %d", c.schema.Name, ptr.gen), ErrCorruption)
	}
	if ivf.Dim != c.schema.Dim || ivf.Metric != c.schema.Metric {
		return corruptionf("collection %q: index shape (dim %d, %s) differs from the schema", c.schema.Name, ivf.Dim, ivf.Metric)
	}
	c.ix.Store(newIVFState(ivf, ptr))
	return nil
}

// loadLists returns the posting lists of the collection's index: all of
// them decoded in memory on first use, or, when they would exceed
// Options.IndexMemoryBytes, a cache bounded by it that reads lists from
// storage as searches probe them. Writers are held off while lists load.
func (d *DB) loadLists(c *collection, st *ivfState) (index.ListSource, error) {
	if ls := st.lists.Load(); ls != nil {
		return ls, nil
	}
	if p := st.paged.Load(); p != nil {
		return p, nil
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if ls := st.lists.Load(); ls != nil {
		return ls, nil
	}
	if p := st.paged.Load(); p != nil {
		return p, nil
	}
	cs := st.ivf.CodeSize()
	perCode := int64(cs + 4) // code and doc id
	if st.ivf.Metric == L2 {
		perCode += 4 // the code's distance term
	}
	if need := int64(st.ptr.built+st.ptr.added) * perCode; need > d.opts.IndexMemoryBytes {
		p := newPagedLists(d, c, st, d.opts.IndexMemoryBytes)
		st.paged.Store(p)
		return p, nil
	}
	ls := st.ivf.NewLists()
	p := indexBlocksPrefix(c.id, st.gen)
	var docs []uint32
	var codes []byte
	err := scanFamilyRange(d.pdb, p, prefixEnd(p), func(k, v []byte) error {
		l, ok := indexBlockList(k, p)
		if !ok || l >= st.ivf.NList {
			return corruptionf("collection %q: bad index block key %x", c.schema.Name, k)
		}
		var err error
		docs, codes, err = index.DecodeBlock(v, cs, docs[:0], codes[:0])
		if err != nil {
			return errors.Mark(errors.Wrapf(err, "collection %q: list %d", c.schema.Name, l), ErrCorruption)
		}
		ls.Append(l, docs, codes)
		return nil
	})
	if err != nil {
		return nil, err
	}
	st.lists.Store(ls)
	return ls, nil
}

// listSizes returns the number of entries of every list, from memory or
// by reading the block headers.
func (d *DB) listSizes(c *collection, st *ivfState) ([]int, int64, error) {
	if ls := st.lists.Load(); ls != nil {
		return ls.Sizes(), ls.Bytes(), nil
	}
	sizes := make([]int, st.ivf.NList)
	p := indexBlocksPrefix(c.id, st.gen)
	err := scanFamilyRange(d.pdb, p, prefixEnd(p), func(k, v []byte) error {
		l, ok := indexBlockList(k, p)
		if !ok || l >= st.ivf.NList {
			return corruptionf("collection %q: bad index block key %x", c.schema.Name, k)
		}
		n, err := index.BlockLen(v)
		sizes[l] += n
		return errors.Mark(err, ErrCorruption)
	})
	var mem int64
	if pg := st.paged.Load(); pg != nil {
		mem = pg.bytes()
	}
	return sizes, mem, err
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
	// Lists and M are the index shape; CodeBytes = M bytes per record.
	Lists, M int
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
	// MemoryBytes is the memory of the loaded posting lists (0 until a
	// search loads them).
	MemoryBytes int64
	// Paged is true when the lists exceed Options.IndexMemoryBytes and are
	// read from storage through a cache bounded by it.
	Paged bool
	// RebuildAdvised says a rebuild would pay, and Advice why.
	RebuildAdvised bool
	Advice         string
}

// indexStats fills IndexStats. REQUIRES: DB.wmu not held.
func (d *DB) indexStats(c *collection, st *ivfState) (*IndexStats, error) {
	sizes, mem, err := d.listSizes(c, st)
	if err != nil {
		return nil, err
	}
	d.wmu.Lock()
	ptr := st.ptr
	d.wmu.Unlock()
	is := &IndexStats{Generation: st.gen, Lists: st.ivf.NList, M: st.ivf.CodeSize(), Built: ptr.built, Added: ptr.added,
		NProbe: int(ptr.nprobe), Refine: int(ptr.refine), MemoryBytes: mem, Paged: st.paged.Load() != nil}
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
