package query

import (
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
)

// FlatChunkRows is the number of vectors per chunk of a [Flat] store. A chunk
// is one contiguous []float32, so a scan runs the batch distance kernel over
// FlatChunkRows rows at a time without touching storage.
const FlatChunkRows = 1024

// Flat is an append-only in-memory store of raw vectors indexed by doc id,
// used for exact search and re-ranking. Rows are written once and never
// modified (an upsert gets a new doc id), so readers scan a published
// [FlatView] without locks while one writer appends.
//
// Flat is goroutine-safe: any number of readers may call View concurrently
// with one writer calling Set and Publish.
type Flat struct {
	dim  int
	mu   sync.Mutex // serialises writers
	view atomic.Pointer[FlatView]
	// chunks is the writer's copy of the chunk list; it may be longer than
	// the published view's.
	chunks [][]float32
}

// FlatView is an immutable snapshot of a Flat: rows [0, Len) are readable.
// Rows never written (deleted or skipped ids) read as zeros; a chunk in
// which no row was ever written holds no memory.
type FlatView struct {
	dim    int
	n      uint32
	chunks [][]float32
}

// NewFlat returns an empty store of dim-dimensional vectors.
func NewFlat(dim int) *Flat {
	f := &Flat{dim: dim}
	f.view.Store(&FlatView{dim: dim})
	return f
}

// Dim returns the vector dimension.
func (f *Flat) Dim() int { return f.dim }

// Set writes vec as row doc. doc must not be below the published length
// (published rows are immutable); vec must have Dim values. The row is
// invisible to readers until Publish covers it.
func (f *Flat) Set(doc uint32, vec []float32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if doc < f.view.Load().n {
		panic("query: Flat.Set below the published length")
	}
	c := int(doc / FlatChunkRows)
	for len(f.chunks) <= c {
		f.chunks = append(f.chunks, nil)
	}
	if f.chunks[c] == nil {
		f.chunks[c] = make([]float32, FlatChunkRows*f.dim)
	}
	off := int(doc%FlatChunkRows) * f.dim
	copy(f.chunks[c][off:off+f.dim], vec)
}

// Publish makes rows [0, n) visible to new views. n never decreases.
func (f *Flat) Publish(n uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.view.Load()
	if n <= old.n {
		return
	}
	need := int((n + FlatChunkRows - 1) / FlatChunkRows)
	for len(f.chunks) < need {
		f.chunks = append(f.chunks, nil) // no row written: no memory
	}
	f.view.Store(&FlatView{dim: f.dim, n: n, chunks: f.chunks[:need:need]})
}

// View returns the current published view.
func (f *Flat) View() *FlatView { return f.view.Load() }

// Bytes returns the memory held by the published view's chunks.
func (f *Flat) Bytes() int64 {
	var n int64
	for _, c := range f.view.Load().chunks {
		n += int64(len(c)) * 4
	}
	return n
}

// Len returns the number of rows readable (one past the largest doc id).
func (v *FlatView) Len() uint32 { return v.n }

// Dim returns the vector dimension.
func (v *FlatView) Dim() int { return v.dim }

// Row returns row doc (doc < Len), or nil when the row's chunk holds no
// written row. The slice aliases the store: read-only, valid as long as the
// view is referenced.
func (v *FlatView) Row(doc uint32) []float32 {
	c := v.chunks[doc/FlatChunkRows]
	if c == nil {
		return nil
	}
	off := int(doc%FlatChunkRows) * v.dim
	return c[off : off+v.dim : off+v.dim]
}

// chunk returns the readable rows of chunk c as one contiguous slice and
// the number of rows in it (nil, 0 for a chunk without written rows).
func (v *FlatView) chunk(c int) ([]float32, int) {
	if v.chunks[c] == nil {
		return nil, 0
	}
	rows := FlatChunkRows
	if last := int(v.n) - c*FlatChunkRows; last < rows {
		rows = last
	}
	return v.chunks[c][:rows*v.dim], rows
}

// numChunks returns the number of chunks holding readable rows.
func (v *FlatView) numChunks() int { return int((v.n + FlatChunkRows - 1) / FlatChunkRows) }

// Fetch implements [Rows]: rows never written (or beyond Len) are left out.
func (v *FlatView) Fetch(docs []uint32, fn func(i int, row []float32)) error {
	for i, doc := range docs {
		if doc >= v.n {
			continue
		}
		if row := v.Row(doc); row != nil {
			fn(i, row)
		}
	}
	return nil
}

// gatherRows is the number of rows a sparse Scan copies into one block.
const gatherRows = 256

// gatherBuf is a sparse Scan's block memory, pooled.
type gatherBuf struct {
	rows []float32
	docs []uint32
}

var gatherPool = sync.Pool{New: func() any { return &gatherBuf{docs: make([]uint32, 0, gatherRows)} }}

// get returns empty row and doc buffers with room for gatherRows rows.
func (g *gatherBuf) get(dim int) ([]float32, []uint32) {
	if cap(g.rows) < gatherRows*dim {
		g.rows = make([]float32, 0, gatherRows*dim)
	}
	return g.rows[:0], g.docs[:0]
}

// Scan implements [Rows]. When allow holds less than sparseMax of the
// rows, it copies the allowed rows into blocks of gatherRows (each doc
// allowed); otherwise it hands out whole chunks, in place.
func (v *FlatView) Scan(allow *roaring.Bitmap, fn func(b Block) bool) error {
	v.ScanFrom(0, allow, fn)
	return nil
}

// ScanFrom is Scan restricted to docs at or above lo.
func (v *FlatView) ScanFrom(lo uint32, allow *roaring.Bitmap, fn func(b Block) bool) {
	if lo >= v.n {
		return
	}
	if allow != nil && float64(allow.GetCardinality()) < sparseMax*float64(v.n-lo) {
		v.scanSparse(lo, allow, fn)
		return
	}
	for c := int(lo / FlatChunkRows); c < v.numChunks(); c++ {
		rows, nrows := v.chunk(c)
		if nrows == 0 {
			continue
		}
		base := uint32(c * FlatChunkRows)
		if base < lo {
			rows, base = rows[int(lo-base)*v.dim:], lo
		}
		if !fn(Block{Base: base, Rows: rows}) {
			return
		}
	}
}

func (v *FlatView) scanSparse(lo uint32, allow *roaring.Bitmap, fn func(b Block) bool) {
	g := gatherPool.Get().(*gatherBuf)
	defer gatherPool.Put(g)
	buf, docs := g.get(v.dim)
	it := allow.Iterator()
	it.AdvanceIfNeeded(lo)
	for it.HasNext() {
		doc := it.Next()
		if doc >= v.n {
			break
		}
		row := v.Row(doc)
		if row == nil {
			continue // a row never written: the caller's set names a doc with no vector
		}
		buf = append(buf, row...)
		docs = append(docs, doc)
		if len(docs) == gatherRows {
			if !fn(Block{Docs: docs, Rows: buf, Allowed: true}) {
				return
			}
			buf, docs = buf[:0], docs[:0]
		}
	}
	if len(docs) > 0 {
		fn(Block{Docs: docs, Rows: buf, Allowed: true})
	}
}

// Costs implements [Rows]: every row is in memory.
func (v *FlatView) Costs(uint64) (fetchNs, scanNs float64) {
	c := rowCost(v.dim)
	return c, c
}
