package index

import (
	"sync"
	"sync/atomic"
)

// List is one posting list: entry i is doc Docs[i] with code
// Codes[i*codeSize:(i+1)*codeSize]. A List value is immutable: readers may
// hold it while the writer appends (the writer publishes a new List).
type List struct {
	Docs  []uint32
	Codes []byte
	// Terms, for lists of an L2 index made by [IVF.NewLists] or
	// [IVF.NewList], holds each code's query-independent distance term
	// (see [IVF.CodeTerms]), so a search scores the list with one table
	// shared by every list instead of building an L2 table per list.
	Terms []float32
}

// NewList returns a List over docs and codes (not copied), without
// terms: searches build an L2 table for it.
func NewList(docs []uint32, codes []byte) *List {
	return &List{Docs: docs, Codes: codes}
}

// NewList returns list l over docs and codes (not copied), with its
// codes' distance terms when the index is L2.
func (ivf *IVF) NewList(l int, docs []uint32, codes []byte) *List {
	lst := NewList(docs, codes)
	lst.Terms = ivf.CodeTerms(l, codes, nil)
	return lst
}

// Lists holds every posting list of an index in contiguous memory, so a
// scan reads codes without touching storage. It is goroutine-safe: any
// number of readers call List while one writer calls Append.
type Lists struct {
	codeSize int
	ivf      *IVF       // computes the terms of appended codes; nil: none
	mu       sync.Mutex // serialises writers
	lists    []atomic.Pointer[List]
}

// NewLists returns nlist empty lists of codes of codeSize bytes.
func NewLists(nlist, codeSize int) *Lists {
	ls := &Lists{codeSize: codeSize, lists: make([]atomic.Pointer[List], nlist)}
	for i := range ls.lists {
		ls.lists[i].Store(&List{})
	}
	return ls
}

// NewLists returns the index's empty lists. Appended codes get their
// distance terms when the index is L2 (4 bytes a code).
func (ivf *IVF) NewLists() *Lists {
	ls := NewLists(ivf.NList, ivf.CodeSize())
	ls.ivf = ivf
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
	next := &List{Docs: append(cur.Docs, docs...), Codes: append(cur.Codes, codes...)}
	if ls.ivf != nil {
		next.Terms = ls.ivf.CodeTerms(l, codes, cur.Terms)
	}
	ls.lists[l].Store(next)
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
		n += int64(len(l.Docs))*4 + int64(len(l.Codes)) + int64(len(l.Terms))*4
	}
	return n
}
