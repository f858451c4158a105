package index

import (
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
)

// List is one posting list: entry i is doc Docs[i] with code
// Codes[i*codeSize:(i+1)*codeSize]. A List value is immutable: readers may
// hold it while the writer appends (the writer publishes a new List).
type List struct {
	Docs  []uint32
	Codes []byte
	// Set holds Docs as a bitmap, so a filtered search counts a list's
	// allowed docs with one intersection before scanning it. Read-only.
	Set *roaring.Bitmap
}

// NewList returns a List over docs and codes (not copied).
func NewList(docs []uint32, codes []byte) *List {
	return &List{Docs: docs, Codes: codes, Set: roaring.BitmapOf(docs...)}
}

// Lists holds every posting list of an index in contiguous memory, so a
// scan reads codes without touching storage. It is goroutine-safe: any
// number of readers call List while one writer calls Append.
type Lists struct {
	codeSize int
	mu       sync.Mutex // serialises writers
	lists    []atomic.Pointer[List]
}

// NewLists returns nlist empty lists of codes of codeSize bytes.
func NewLists(nlist, codeSize int) *Lists {
	ls := &Lists{codeSize: codeSize, lists: make([]atomic.Pointer[List], nlist)}
	for i := range ls.lists {
		ls.lists[i].Store(&List{Set: roaring.New()})
	}
	return ls
}

// NumLists returns the number of lists.
func (ls *Lists) NumLists() int { return len(ls.lists) }

// CodeSize returns the bytes per code.
func (ls *Lists) CodeSize() int { return ls.codeSize }

// List returns list l as of now. The slices are read-only.
func (ls *Lists) List(l int) *List { return ls.lists[l].Load() }

// Fetch implements ListSource.
func (ls *Lists) Fetch(l int) (*List, error) { return ls.lists[l].Load(), nil }

// Append adds entries to list l (docs ascending past the list's last doc
// are not required: scans do not depend on order). Slices are copied.
// Appending writes past the end of the shared arrays, which earlier List
// values never read, or into new arrays when they are full.
func (ls *Lists) Append(l int, docs []uint32, codes []byte) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	cur := ls.lists[l].Load()
	set := cur.Set.Clone()
	set.AddMany(docs)
	ls.lists[l].Store(&List{Docs: append(cur.Docs, docs...), Codes: append(cur.Codes, codes...), Set: set})
}

// Sizes returns the number of entries of each list.
func (ls *Lists) Sizes() []int {
	out := make([]int, len(ls.lists))
	for i := range ls.lists {
		out[i] = len(ls.lists[i].Load().Docs)
	}
	return out
}

// Bytes returns the memory the lists' entries occupy (lengths, not
// capacities).
func (ls *Lists) Bytes() int64 {
	var n int64
	for i := range ls.lists {
		l := ls.lists[i].Load()
		n += int64(len(l.Docs))*4 + int64(len(l.Codes))
	}
	return n
}
