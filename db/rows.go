package db

import (
	"encoding/binary"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/query"
)

// Where a row is read from (rowSource):
//
//  1. the generation's segment, mapped: rows of the records the build
//     encoded (docs below its watermark, tailLo);
//  2. the collection's tail cache: rows of docs at or above tailLo, held
//     in memory when they fit the budget's row share (a collection
//     without an index has tailLo 0: all its rows);
//  3. the storage engine, through the search's snapshot: point reads for
//     re-ranking, an iterator for scans.
//
// The cost model's figures for the storage engine (see Costs) are from
// BenchmarkRowRead (200k x 128, on the project's 2-core machine): a point
// read of a row cost 2.8-8.1 us (the block cache holding every block, or
// a quarter of them), and a row of a sequential scan 0.33-0.80 us, against
// 0.04 us (fetch) and 0.02 us (scan) from the mapped vector file and
// 0.01-0.02 us from memory. The model takes the middle of each range and
// grows it with the row's size.
const (
	pebbleGetNs       = 3000
	pebbleGetNsPerDim = 20
	pebbleScanNs      = 200
	pebbleScanNsPerD  = 3
)

// tailCache holds in memory the rows and IDs of a collection's docs at or
// above lo (the serving generation's watermark). Writers extend it; it is
// dropped, and its memory returned to the budget, when a new generation
// is swapped in or when it outgrows the budget's row share.
type tailCache struct {
	lo    uint32
	flat  *query.Flat
	ids   *idStore
	bytes atomic.Int64 // reserved from the budget's row share
}

// rowSource is a search's query.Rows: the segment (held by the caller),
// the tail cache when loaded, and the snapshot. Goroutine-safe.
type rowSource struct {
	c      *collection
	snap   reader
	seg    *segment
	tailLo uint32
	tail   *query.FlatView // nil: tail rows are read from storage
	ids    *idView         // the tail's IDs (with tail)
	tailN  uint32          // docs allocated so far (for costs)
}

var _ query.Rows = (*rowSource)(nil)

// prepareTail returns the collection's tail cache for its serving
// generation, loading it when it fits. A reader calls it before it takes
// its snapshot, and hands the result to rows: a cache loaded after the
// snapshot would lack the rows of docs deleted in between, which the
// snapshot still names.
func (d *DB) prepareTail(c *collection) (*tailCache, error) {
	return d.loadTail(c, c.ix.Load().tailLo())
}

// rows returns the rows a read of c at snap sees, through ix's segment and
// tc, the tail cache prepareTail returned before snap was taken. tc is
// used when it belongs to ix's generation and is still the collection's
// cache: then every write before snap extended it. Otherwise the tail is
// read from snap.
func (d *DB) rows(c *collection, snap reader, ix servingIndex, tc *tailCache) *rowSource {
	rs := &rowSource{c: c, snap: snap, seg: ix.seg, tailLo: ix.st.tailLo()}
	if tc != nil && (tc.lo != rs.tailLo || c.tail.Load() != tc) {
		tc = nil
	}
	if tc != nil {
		// Rows first: writers publish IDs before rows, so the ID view
		// loaded after the row view names every row in it.
		rs.tail = tc.flat.View()
		rs.ids = tc.ids.view.Load()
	}
	rs.tailN = c.docsAllocated.Load()
	return rs
}

// id returns doc's record ID from the segment or the tail cache (false:
// in neither).
func (rs *rowSource) id(doc uint32) (string, bool, error) {
	if doc < rs.tailLo {
		if rs.seg == nil {
			return "", false, nil
		}
		r, ok := rs.seg.rowOf(doc)
		if !ok {
			return "", false, nil
		}
		id, err := rs.seg.id(r)
		return id, err == nil, err
	}
	if rs.ids != nil {
		id, ok := rs.ids.get(doc)
		return id, ok, nil
	}
	return "", false, nil
}

// Dim implements query.Rows.
func (rs *rowSource) Dim() int { return rs.c.schema.Dim }

// segRow returns doc's row from the segment, if it is there.
func (rs *rowSource) segRow(doc uint32) ([]float32, bool, error) {
	if rs.seg == nil {
		return nil, false, nil
	}
	r, ok := rs.seg.rowOf(doc)
	if !ok {
		return nil, false, nil
	}
	row, err := rs.seg.row(r)
	return row, err == nil, err
}

// Fetch implements query.Rows: segment and tail cache in place, the rest
// read from the snapshot in doc order.
func (rs *rowSource) Fetch(docs []uint32, fn func(i int, row []float32)) error {
	var start time.Time
	if rs.seg != nil {
		if rs.seg.prefetching() {
			rs.prefetch(docs)
		}
		start = time.Now()
	}
	var pending []int
	for i, doc := range docs {
		if doc < rs.tailLo {
			row, ok, err := rs.segRow(doc)
			if err != nil {
				return err
			}
			if ok {
				fn(i, row)
			}
			continue // below the watermark and not in the segment: deleted before the build
		}
		if rs.tail != nil {
			if doc < rs.tail.Len() {
				if row := rs.tail.Row(doc); row != nil {
					fn(i, row)
				}
			}
			continue
		}
		pending = append(pending, i)
	}
	if rs.seg != nil {
		rs.seg.observeFetch(len(docs)-len(pending), time.Since(start))
	}
	if len(pending) == 0 {
		return nil
	}
	slices.SortFunc(pending, func(a, b int) int { return int(docs[a]) - int(docs[b]) })
	return rs.readSorted(len(pending), func(j int) uint32 { return docs[pending[j]] }, func(j int, row []float32) { fn(pending[j], row) })
}

// prefetch asks the kernel to read the pages of the docs' rows in the
// segment, all at once, before Fetch reads them one by one: when they are
// not in the page cache, their reads then overlap instead of faulting in
// one after another.
func (rs *rowSource) prefetch(docs []uint32) {
	for _, doc := range docs {
		if doc >= rs.tailLo {
			continue
		}
		if r, ok := rs.seg.rowOf(doc); ok {
			rs.seg.prefetchRow(r)
		}
	}
}

// readSorted reads the rows of n ascending docs from the snapshot, with
// one iterator; docs without a row are skipped.
func (rs *rowSource) readSorted(n int, doc func(j int) uint32, fn func(j int, row []float32)) error {
	c := rs.c
	lo := appendCollPrefix(nil, famVec, c.id)
	it, err := rs.snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return err
	}
	var key []byte
	var buf []float32
	for j := range n {
		key = appendDocKey(key[:0], famVec, c.id, doc(j))
		if !it.SeekGE(key) || !slices.Equal(it.Key(), key) {
			continue
		}
		v, err := it.ValueAndErr()
		if err == nil {
			buf, err = decodeVector(buf, v, c.schema.Dim)
		}
		if err != nil {
			_ = it.Close() // the read error is the one to report
			return errors.Wrapf(err, "collection %q: doc %d", c.schema.Name, doc(j))
		}
		fn(j, buf)
	}
	return it.Close()
}

// Scan implements query.Rows: the segment's rows in place (or, for a
// sparse allow set, the allowed ones gathered), then the tail's.
func (rs *rowSource) Scan(allow *roaring.Bitmap, fn func(b query.Block) bool) error {
	if rs.seg != nil && rs.seg.shape.rows > 0 {
		more, err := rs.scanSegment(allow, fn)
		if err != nil || !more {
			return err
		}
	}
	if rs.tail != nil {
		rs.tail.ScanFrom(rs.tailLo, allow, fn)
		return nil
	}
	return rs.scanStorage(allow, fn)
}

// scanBlockRows is the number of rows a storage scan decodes per block,
// and a segment scan hands out per block.
const scanBlockRows = 1024

// readAheadBlocks is the read-ahead window of a segment scan, in blocks:
// 4 MiB of 128-d rows.
const readAheadBlocks = 8

func (rs *rowSource) scanSegment(allow *roaring.Bitmap, fn func(b query.Block) bool) (bool, error) {
	seg := rs.seg
	dim := seg.shape.dim
	n := int(seg.shape.rows)
	sparse := allow != nil && float64(allow.GetCardinality()) < query.SparseMax*float64(n)
	if !sparse {
		// Read ahead by windows of readAheadBlocks blocks: the first two
		// windows now, then each next one as the scan enters the last.
		window := readAheadBlocks * scanBlockRows
		seg.readAhead(0, 2*window)
		for from := 0; from < n; from += scanBlockRows {
			if from%window == 0 && from > 0 {
				seg.readAhead(from+window, from+2*window)
			}
			to := min(from+scanBlockRows, n)
			rows, docs, err := seg.rowRange(from, to)
			if err != nil {
				return false, err
			}
			if !fn(query.Block{Docs: docs, Rows: rows}) {
				return false, nil
			}
		}
		return true, nil
	}
	limit := max(1, min(int(allow.GetCardinality()), scanBlockRows/4))
	g := getGather(dim, limit)
	defer gatherPool.Put(g)
	buf, docs := g.rows, g.docs
	it := allow.Iterator()
	it.AdvanceIfNeeded(seg.shape.docLo)
	for it.HasNext() {
		doc := it.Next()
		if doc >= rs.tailLo {
			break
		}
		r, ok := seg.rowOf(doc)
		if !ok {
			continue
		}
		row, err := seg.row(r)
		if err != nil {
			return false, err
		}
		buf = append(buf, row...)
		docs = append(docs, doc)
		if len(docs) == limit {
			if !fn(query.Block{Docs: docs, Rows: buf, Allowed: true}) {
				return false, nil
			}
			buf, docs = buf[:0], docs[:0]
		}
	}
	if len(docs) > 0 {
		return fn(query.Block{Docs: docs, Rows: buf, Allowed: true}), nil
	}
	return true, nil
}

// scanStorage scans the rows of docs at or above tailLo from the
// snapshot: every row for a dense allow set, the allowed ones sought one
// by one for a sparse one.
func (rs *rowSource) scanStorage(allow *roaring.Bitmap, fn func(b query.Block) bool) error {
	c := rs.c
	dim := c.schema.Dim
	start := appendDocKey(nil, famVec, c.id, rs.tailLo)
	hi := prefixEnd(appendCollPrefix(nil, famVec, c.id))
	tailRows := float64(rs.tailN - min(rs.tailN, rs.tailLo))
	if allow != nil && float64(allow.GetCardinality()) < query.SparseMax*tailRows {
		var docs []uint32
		it := allow.Iterator()
		it.AdvanceIfNeeded(rs.tailLo)
		for it.HasNext() {
			docs = append(docs, it.Next())
		}
		return rs.scanSought(docs, fn)
	}
	it, err := rs.snap.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: hi})
	if err != nil {
		return err
	}
	buf := make([]float32, 0, scanBlockRows*dim)
	docs := make([]uint32, 0, scanBlockRows)
	for it.First(); it.Valid(); it.Next() {
		doc, ok := docFromKey(it.Key())
		v, err := it.ValueAndErr()
		if err == nil && (!ok || len(v) != 4*dim) {
			err = corruptionf("collection %q: bad vector entry %x", c.schema.Name, it.Key())
		}
		if err != nil {
			_ = it.Close() // the read error is the one to report
			return err
		}
		buf = appendDecoded(buf, v)
		docs = append(docs, doc)
		if len(docs) == scanBlockRows {
			if !fn(query.Block{Docs: docs, Rows: buf}) {
				return it.Close()
			}
			buf, docs = buf[:0], docs[:0]
		}
	}
	if len(docs) > 0 {
		fn(query.Block{Docs: docs, Rows: buf})
	}
	return it.Close()
}

// scanSought reads the rows of ascending docs, in blocks.
func (rs *rowSource) scanSought(docs []uint32, fn func(b query.Block) bool) error {
	dim := rs.c.schema.Dim
	limit := max(1, min(len(docs), 256))
	g := getGather(dim, limit)
	defer gatherPool.Put(g)
	buf, got := g.rows, g.docs
	stop := false
	err := rs.readSorted(len(docs), func(j int) uint32 { return docs[j] }, func(j int, row []float32) {
		if stop {
			return
		}
		buf = append(buf, row...)
		got = append(got, docs[j])
		if len(got) == limit {
			stop = !fn(query.Block{Docs: got, Rows: buf, Allowed: true})
			buf, got = buf[:0], got[:0]
		}
	})
	if err == nil && !stop && len(got) > 0 {
		fn(query.Block{Docs: got, Rows: buf, Allowed: true})
	}
	return err
}

// gatherBuf is a sparse scan's block memory, pooled: a selective filter's
// exact scan reads a few rows, and allocating a block for them cost more
// than scoring them.
type gatherBuf struct {
	rows []float32
	docs []uint32
}

var gatherPool = sync.Pool{New: func() any { return new(gatherBuf) }}

// getGather returns pooled buffers, empty, with room for n rows of dim
// values (the caller puts it back).
func getGather(dim, n int) *gatherBuf {
	g := gatherPool.Get().(*gatherBuf)
	if cap(g.rows) < n*dim {
		g.rows = make([]float32, 0, n*dim)
	}
	if cap(g.docs) < n {
		g.docs = make([]uint32, 0, n)
	}
	g.rows, g.docs = g.rows[:0], g.docs[:0]
	return g
}

// Costs implements query.Rows: rows in the segment or the tail cache cost
// what memory costs; rows read from storage, a point read each (Fetch) or
// an iterator step (Scan).
func (rs *rowSource) Costs(uint64) (fetchNs, scanNs float64) {
	dim := float64(rs.c.schema.Dim)
	mem := query.MemoryRowCost(rs.c.schema.Dim)
	if rs.tail != nil {
		return mem, mem
	}
	var inSeg float64
	if rs.seg != nil {
		inSeg = float64(rs.seg.shape.rows)
	}
	inStore := float64(rs.tailN - min(rs.tailN, rs.tailLo))
	if inSeg+inStore == 0 {
		return mem, mem
	}
	p := inStore / (inSeg + inStore)
	fetchNs = (1-p)*mem + p*(pebbleGetNs+pebbleGetNsPerDim*dim)
	scanNs = (1-p)*mem + p*(pebbleScanNs+pebbleScanNsPerD*dim)
	return fetchNs, scanNs
}

// appendDecoded appends a stored vector's values.
func appendDecoded(dst []float32, b []byte) []float32 {
	for i := 0; i+4 <= len(b); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
	}
	return dst
}

// tailRowBytes estimates the memory of one doc slot of a tail cache: its
// row, and its ID's string header and bytes.
func tailRowBytes(dim int) int64 { return int64(4*dim) + 16 + 16 }

// loadTail returns the collection's tail cache for watermark lo, loading
// it when it fits the budget's row share, or nil when the tail is read
// from storage. Writers are held off while it loads, so none is missed.
func (d *DB) loadTail(c *collection, lo uint32) (*tailCache, error) {
	if tc := c.tail.Load(); tc != nil && tc.lo == lo {
		return tc, nil
	}
	if c.noTail.Load() == uint64(lo)+1 {
		return nil, nil
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if tc := c.tail.Load(); tc != nil && tc.lo == lo {
		return tc, nil
	}
	if c.noTail.Load() == uint64(lo)+1 || c.ix.Load().tailLo() != lo {
		return nil, nil // too big, or a build swapped meanwhile: read storage
	}
	need := int64(c.nextDoc-min(c.nextDoc, lo)) * tailRowBytes(c.schema.Dim)
	if !reserve(&d.budget.rowsUsed, d.budget.rows, need) {
		c.noTail.Store(uint64(lo) + 1)
		return nil, nil
	}
	tc := &tailCache{lo: lo, flat: query.NewFlat(c.schema.Dim), ids: newIDStore()}
	tc.bytes.Store(need)
	err := d.readTail(c, tc)
	if err != nil {
		d.budget.rowsUsed.Add(-need)
		return nil, err
	}
	tc.ids.publish(c.nextDoc)
	tc.flat.Publish(c.nextDoc)
	if old := c.tail.Swap(tc); old != nil {
		d.budget.rowsUsed.Add(-old.bytes.Load())
	}
	return tc, nil
}

// readTail reads the IDs and rows of docs at or above tc.lo. A record
// whose vector is missing is an ErrCorruption error: the cache's slot
// would hold zeros, and a search would return the record at the distance
// of the zero vector.
// REQUIRES: DB.wmu held.
func (d *DB) readTail(c *collection, tc *tailCache) (err error) {
	withRecord, withVector := roaring.New(), roaring.New()
	lo, hi := appendDocKey(nil, famDoc, c.id, tc.lo), prefixEnd(appendCollPrefix(nil, famDoc, c.id))
	err = scanFamilyRange(d.pdb, lo, hi, func(k, v []byte) error {
		doc, ok := docFromKey(k)
		if !ok {
			return corruptionf("collection %q: bad record key %x", c.schema.Name, k)
		}
		id, err := decodeDocID(v)
		if err != nil {
			return errors.Wrapf(err, "collection %q: doc %d", c.schema.Name, doc)
		}
		tc.ids.set(doc, id)
		withRecord.Add(doc)
		return nil
	})
	if err != nil {
		return err
	}
	defer func() {
		if err == nil && !withRecord.Equals(withVector) {
			missing := roaring.AndNot(withRecord, withVector)
			if missing.IsEmpty() {
				err = corruptionf("collection %q: %d vectors have no record", c.schema.Name, roaring.AndNot(withVector, withRecord).GetCardinality())
			} else {
				err = corruptionf("collection %q: %d records have no vector (doc %d, the first)", c.schema.Name, missing.GetCardinality(), missing.Minimum())
			}
		}
	}()
	var buf []float32
	lo, hi = appendDocKey(nil, famVec, c.id, tc.lo), prefixEnd(appendCollPrefix(nil, famVec, c.id))
	err = scanFamilyRange(d.pdb, lo, hi, func(k, v []byte) error {
		doc, ok := docFromKey(k)
		if !ok || doc >= c.nextDoc {
			return corruptionf("collection %q: bad vector key %x", c.schema.Name, k)
		}
		var err error
		if buf, err = decodeVector(buf, v, c.schema.Dim); err != nil {
			return errors.Wrapf(err, "collection %q: doc %d", c.schema.Name, doc)
		}
		tc.flat.Set(doc, buf)
		withVector.Add(doc)
		return nil
	})
	return err
}

// dropTail forgets the collection's tail cache and returns its memory.
// uncached, when set, keeps searches from loading it again for watermark
// lo (it outgrew the budget). REQUIRES: DB.wmu held.
func (d *DB) dropTail(c *collection, uncached bool) {
	if tc := c.tail.Swap(nil); tc != nil {
		d.budget.rowsUsed.Add(-tc.bytes.Load())
		if uncached {
			c.noTail.Store(uint64(tc.lo) + 1)
		}
	}
}
