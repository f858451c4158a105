package db

import (
	"container/list"
	"sync"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/index"
)

// pagedLists serves an index's posting lists from storage through an LRU
// cache of decoded lists bounded in bytes, for indexes larger than
// Options.IndexMemoryBytes. A list is decoded into contiguous memory on
// first use, so a scan still never steps an iterator per code. It is
// goroutine-safe; writers invalidate the lists they append to.
type pagedLists struct {
	d     *DB
	c     *collection
	ivf   *index.IVF
	gen   uint32
	cs    int
	limit int64

	mu struct {
		sync.Mutex
		entries map[int]*list.Element // of *pagedEntry
		lru     list.List             // front: most recently used
		bytes   int64
	}
}

type pagedEntry struct {
	l    int
	list *index.List
	size int64
}

func newPagedLists(d *DB, c *collection, st *ivfState, limit int64) *pagedLists {
	p := &pagedLists{d: d, c: c, ivf: st.ivf, gen: st.gen, cs: st.ivf.CodeSize(), limit: limit}
	p.mu.entries = make(map[int]*list.Element)
	return p
}

// CodeSize implements index.ListSource.
func (p *pagedLists) CodeSize() int { return p.cs }

// Fetch implements index.ListSource: list l from the cache, or decoded
// from its blocks (then cached, evicting the least recently used lists
// beyond the limit; the list just read is always kept for its caller).
func (p *pagedLists) Fetch(l int) (*index.List, error) {
	p.mu.Lock()
	if e, ok := p.mu.entries[l]; ok {
		p.mu.lru.MoveToFront(e)
		lst := e.Value.(*pagedEntry).list
		p.mu.Unlock()
		return lst, nil
	}
	p.mu.Unlock()
	lst, err := p.read(l)
	if err != nil {
		return nil, err
	}
	size := int64(len(lst.Docs))*4 + int64(len(lst.Codes)) + int64(len(lst.Terms))*4
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.mu.entries[l]; !ok {
		p.mu.entries[l] = p.mu.lru.PushFront(&pagedEntry{l: l, list: lst, size: size})
		p.mu.bytes += size
	}
	for p.mu.bytes > p.limit && p.mu.lru.Len() > 1 {
		p.removeLocked(p.mu.lru.Back())
	}
	return lst, nil
}

// removeLocked drops a cache entry. REQUIRES: p.mu held.
func (p *pagedLists) removeLocked(e *list.Element) {
	pe := e.Value.(*pagedEntry)
	p.mu.lru.Remove(e)
	delete(p.mu.entries, pe.l)
	p.mu.bytes -= pe.size
}

// invalidate drops list l from the cache after a writer appended to it.
func (p *pagedLists) invalidate(l int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.mu.entries[l]; ok {
		p.removeLocked(e)
	}
}

// bytes returns the memory the cached lists hold.
func (p *pagedLists) bytes() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.bytes
}

// read decodes list l's blocks into one contiguous List.
func (p *pagedLists) read(l int) (*index.List, error) {
	prefix := indexBlockKey(p.c.id, p.gen, l, 0)
	prefix = prefix[:len(prefix)-4] // generation, list: every sequence number
	lst := &index.List{}
	err := scanFamilyRange(p.d.pdb, prefix, prefixEnd(prefix), func(k, v []byte) error {
		var err error
		lst.Docs, lst.Codes, err = index.DecodeBlock(v, p.cs, lst.Docs, lst.Codes)
		return err
	})
	if err != nil {
		return nil, errors.Mark(errors.Wrapf(err, "collection %q: reading list %d", p.c.schema.Name, l), ErrCorruption)
	}
	return p.ivf.NewList(l, lst.Docs, lst.Codes), nil
}
