package query

import "github.com/RoaringBitmap/roaring/v2"

// Rows gives exact search and re-ranking the raw vectors of docs. An
// in-memory [FlatView] is one; package db's is layered over storage (a
// generation's mapped vector file, cached rows, the storage engine), so a
// search reads only the rows it needs.
//
// Implementations are goroutine-safe. Rows are read-only and valid only
// during the callback that receives them.
type Rows interface {
	// Dim returns the vector dimension.
	Dim() int
	// Fetch calls fn(i, row) for each docs[i] that has a row, in an order
	// of the implementation's choosing (sorted reads are cheaper from
	// storage). Docs without a row are left out.
	Fetch(docs []uint32, fn func(i int, row []float32)) error
	// Scan calls fn with blocks of rows, in ascending doc order, that
	// together hold every doc of allow (every doc, when allow is nil) that
	// has a row. A block may also hold docs allow does not: the caller
	// checks. Scan stops when fn returns false.
	Scan(allow *roaring.Bitmap, fn func(b Block) bool) error
	// Costs estimates, in nanoseconds, reading one row by Fetch, and one
	// allowed row of a Scan whose allow set holds card docs: what the
	// planner weighs an exact scan and a re-rank with.
	Costs(card uint64) (fetchNs, scanNs float64)
}

// Block is a run of rows handed out by [Rows.Scan]: row j, of the doc
// Docs[j] (or Base+j when Docs is nil), is Rows[j*dim:(j+1)*dim].
type Block struct {
	Base uint32
	Docs []uint32
	Rows []float32
	// Allowed says every doc of the block is in the Scan's allow set.
	Allowed bool
}

// Len returns the number of rows in the block.
func (b *Block) Len(dim int) int { return len(b.Rows) / dim }

// Doc returns the doc of row j.
func (b *Block) Doc(j int) uint32 {
	if b.Docs == nil {
		return b.Base + uint32(j)
	}
	return b.Docs[j]
}

// rowCost estimates, in nanoseconds, visiting one row of dim values held
// in memory (see the cost model's constants in plan.go).
func rowCost(dim int) float64 { return rowNs + rowNsPerDim*float64(dim) }

// MemoryRowCost is [Rows.Costs]'s estimate for a row read from memory: an
// implementation whose rows live in memory (or in a mapped file the page
// cache holds) returns it for both figures.
func MemoryRowCost(dim int) float64 { return rowCost(dim) }
