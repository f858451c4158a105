package index

import (
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/quant"
)

// List is one posting list: entry i is doc Docs[i] with code
// Codes[i*codeSize:(i+1)*codeSize], or, for an index whose codec is a
// quant.BlockCodec, Codes in the codec's block layout (see IVF.Blocked).
// A List value is immutable: readers may hold it while the writer appends
// (the writer publishes a new List).
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

// NewList returns list l over docs and codes (one code after another;
// not copied unless the codec packs them into blocks), with its codes'
// distance terms when the index is L2 and its codec has them.
func (ivf *IVF) NewList(l int, docs []uint32, codes []byte) *List {
	lst, err := ivf.AppendList(l, &List{}, docs, codes)
	if err != nil {
		panic(errors.AssertionFailedf("index: appending to an empty list: %v", err))
	}
	return lst
}

// Blocked returns the index's codec when it stores lists in blocks, nil
// otherwise.
func (ivf *IVF) Blocked() quant.BlockCodec {
	bc, _ := ivf.Codec.(quant.BlockCodec)
	return bc
}

// AppendList returns list l of the index (base, in the index's layout)
// followed by docs and their codes (one code after another), in the
// index's layout: with the new codes' terms, appended to base's arrays
// (which it may write past the lengths of, as Lists.Append does: pass a
// copy to keep them), or repacked into blocks in new arrays. It fails
// when base's blocks are shorter than its docs.
func (ivf *IVF) AppendList(l int, base *List, docs []uint32, codes []byte) (*List, error) {
	bc := ivf.Blocked()
	if bc == nil {
		next := &List{Docs: append(base.Docs, docs...), Codes: append(base.Codes, codes...)}
		next.Terms = ivf.CodeTerms(l, codes, base.Terms)
		return next, nil
	}
	all, err := bc.Unpack(make([]byte, 0, (len(base.Docs)+len(docs))*bc.CodeSize()), base.Codes, len(base.Docs))
	if err != nil {
		return nil, err
	}
	all = append(all, codes...)
	return &List{Docs: append(base.Docs[:len(base.Docs):len(base.Docs)], docs...), Codes: bc.Pack(nil, all)}, nil
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

// NewLists returns the index's empty lists, in its layout: appended codes
// get their distance terms when the index is L2 (4 bytes a code), or are
// packed into blocks (each Append repacks the list: for builds and tests,
// not for a stream of small writes).
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
	if ls.ivf == nil {
		ls.lists[l].Store(&List{Docs: append(cur.Docs, docs...), Codes: append(cur.Codes, codes...)})
		return
	}
	next, err := ls.ivf.AppendList(l, cur, docs, codes)
	if err != nil {
		panic(errors.AssertionFailedf("index: list %d: %v", l, err)) // Lists packs its own blocks
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
