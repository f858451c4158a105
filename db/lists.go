package db

import (
	"container/list"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// listSource serves one index generation's posting lists to searches
// (index.ListSource). A list is the generation's segment part, read in
// place from the mapped file, plus the codes written since the build, kept
// as blocks in the storage engine. A list with no such blocks is handed
// out in place, without a copy; one with blocks is read and merged on
// first use and kept in the DB's list cache (bounded by the budget) until
// a writer appends to it. A generation without a segment (built by an
// earlier release) has all its lists in blocks.
//
// It is goroutine-safe.
type listSource struct {
	d   *DB
	c   *collection
	st  *ivfState
	seg *segment // nil: no segment
	cs  int
	// inPlace caches each list's in-place view of the segment.
	inPlace []atomic.Pointer[index.List]
	// added marks the lists that have blocks in storage; writers set it
	// before their commit.
	added []atomic.Bool
	// version counts a list's appends: a merged list read before an
	// append is not cached after it (see listCache.put).
	version []atomic.Uint32
}

// newListSource opens the generation's segment, if it has one, and reads
// which lists have blocks in storage.
func (d *DB) newListSource(c *collection, st *ivfState) (*listSource, error) {
	s := &listSource{d: d, c: c, st: st, cs: st.ivf.CodeSize()}
	n := st.ivf.NList
	s.inPlace = make([]atomic.Pointer[index.List], n)
	s.added = make([]atomic.Bool, n)
	s.version = make([]atomic.Uint32, n)
	if !st.ptr.hasSeg {
		for i := range s.added {
			s.added[i].Store(true)
		}
		return s, nil
	}
	seg, err := openSegment(segmentPath(d.dir, c.id, st.gen), st.ptr.segIdent)
	if err != nil {
		return nil, errors.Wrapf(err, "collection %q", c.schema.Name)
	}
	if st.wroteSeg {
		// This process wrote the file and checksummed every page as it
		// did: its reads come from what it wrote, through the page cache.
		seg.trustAll()
	}
	if seg.shape.dim != st.ivf.Dim || seg.shape.nlist != n || seg.shape.codeSize != s.cs || seg.shape.rows != st.ptr.segRows || seg.shape.docHi != st.ptr.segDocHi {
		seg.retire()
		return nil, corruptionf("collection %q: vector file of generation %d does not match its index", c.schema.Name, st.gen)
	}
	s.seg = seg
	bm, err := readBitmap(d.pdb, indexAddedKey(c.id, st.gen))
	if err != nil {
		seg.retire()
		return nil, err
	}
	it := bm.Iterator()
	for it.HasNext() {
		if l := it.Next(); int(l) < n {
			s.added[l].Store(true)
		}
	}
	return s, nil
}

// CodeSize implements index.ListSource.
func (s *listSource) CodeSize() int { return s.cs }

// Fetch implements index.ListSource. The caller must hold the segment
// (see DB.acquireIndex) while it uses the list.
func (s *listSource) Fetch(l int) (*index.List, error) {
	if !s.added[l].Load() {
		return s.segList(l)
	}
	key := listKey{s, l}
	if lst := s.d.lists.get(key); lst != nil {
		return lst, nil
	}
	v := s.version[l].Load()
	lst, err := s.read(l)
	if err != nil {
		return nil, err
	}
	s.d.lists.put(key, lst, listSize(lst), func() bool { return s.version[l].Load() == v })
	return lst, nil
}

// segList returns list l's segment part, in place.
func (s *listSource) segList(l int) (*index.List, error) {
	if lst := s.inPlace[l].Load(); lst != nil {
		return lst, nil
	}
	lst := &index.List{}
	if s.seg != nil {
		docs, codes, terms, err := s.seg.list(l)
		if err != nil {
			return nil, errors.Wrapf(err, "collection %q: list %d", s.c.schema.Name, l)
		}
		lst = &index.List{Docs: docs, Codes: codes, Terms: terms}
	}
	s.inPlace[l].Store(lst)
	return lst, nil
}

// read returns list l merged: a copy of its segment part followed by its
// blocks in storage.
func (s *listSource) read(l int) (*index.List, error) {
	base, err := s.segList(l)
	if err != nil {
		return nil, err
	}
	var docs []uint32
	var codes []byte
	prefix := indexListPrefix(s.c.id, s.st.gen, l)
	err = scanFamilyRange(s.d.pdb, prefix, prefixEnd(prefix), func(k, v []byte) error {
		var err error
		docs, codes, err = index.DecodeBlock(v, s.cs, docs, codes)
		return err
	})
	if err == nil {
		// Codes that follow one another are appended to a copy of the
		// in-place part: the merged list outlives no mapping, and appending
		// never writes into one. A block codec repacks into new arrays.
		if s.st.ivf.Blocked() == nil {
			base = &index.List{Docs: slices.Clone(base.Docs), Codes: slices.Clone(base.Codes), Terms: slices.Clone(base.Terms)}
		}
		var lst *index.List
		if lst, err = s.st.ivf.AppendList(l, base, docs, codes); err == nil {
			return lst, nil
		}
	}
	return nil, sentinel.Mark(errors.Wrapf(err, "collection %q: reading list %d", s.c.schema.Name, l), ErrCorruption)
}

// listLen returns the number of entries of list l without building it:
// its segment part and, when it has blocks, their headers.
func (s *listSource) listLen(l int) (int, error) {
	n := 0
	if s.seg != nil {
		n = s.seg.listLen(l)
	}
	if !s.added[l].Load() {
		return n, nil
	}
	prefix := indexListPrefix(s.c.id, s.st.gen, l)
	err := scanFamilyRange(s.d.pdb, prefix, prefixEnd(prefix), func(k, v []byte) error {
		m, err := index.BlockLen(v)
		n += m
		return sentinel.Mark(err, ErrCorruption)
	})
	return n, err
}

// appended records, after a writer's commit, that lists got new blocks.
func (s *listSource) appended(lists []int) {
	for _, l := range lists {
		s.version[l].Add(1)
		s.d.lists.remove(listKey{s, l})
	}
}

func listSize(l *index.List) int64 {
	return int64(len(l.Docs))*4 + int64(len(l.Codes)) + int64(len(l.Terms))*4
}

// indexListPrefix is the key prefix of list l's blocks.
func indexListPrefix(coll, gen uint32, l int) []byte {
	return binary.BigEndian.AppendUint32(indexBlocksPrefix(coll, gen), uint32(l))
}

// indexAddedKey holds the bitmap of the lists of a generation that have
// blocks in storage (merge operator, like every bitmap).
func indexAddedKey(coll, gen uint32) []byte { return append(indexGenPrefix(coll, gen), 0x02) }

// indexCalibrationKey holds a generation's Calibration.
func indexCalibrationKey(coll, gen uint32) []byte { return append(indexGenPrefix(coll, gen), 0x03) }

// listKey names a merged list in the cache.
type listKey struct {
	src *listSource
	l   int
}

// listCache is the DB-wide LRU of merged posting lists, bounded in bytes
// by the budget's list share. It is goroutine-safe.
type listCache struct {
	limit int64
	used  *atomic.Int64
	mu    struct {
		sync.Mutex
		entries map[listKey]*list.Element // of *listEntry
		lru     list.List                 // front: most recently used
	}
}

type listEntry struct {
	key  listKey
	list *index.List
	size int64
}

func newListCache(limit int64, used *atomic.Int64) *listCache {
	lc := &listCache{limit: limit, used: used}
	lc.mu.entries = make(map[listKey]*list.Element)
	return lc
}

func (lc *listCache) get(k listKey) *index.List {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if e, ok := lc.mu.entries[k]; ok {
		lc.mu.lru.MoveToFront(e)
		return e.Value.(*listEntry).list
	}
	return nil
}

// put caches a list read when valid still returns true (no writer
// appended to it since the read began), evicting the least recently used
// lists beyond the limit. A list larger than the limit is not cached.
func (lc *listCache) put(k listKey, l *index.List, size int64, valid func() bool) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if _, ok := lc.mu.entries[k]; ok || size > lc.limit || !valid() {
		return
	}
	lc.mu.entries[k] = lc.mu.lru.PushFront(&listEntry{key: k, list: l, size: size})
	lc.used.Add(size)
	for lc.used.Load() > lc.limit && lc.mu.lru.Len() > 1 {
		lc.removeLocked(lc.mu.lru.Back())
	}
}

func (lc *listCache) remove(k listKey) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if e, ok := lc.mu.entries[k]; ok {
		lc.removeLocked(e)
	}
}

// dropSource removes every list of a source (a retired generation).
func (lc *listCache) dropSource(s *listSource) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	for k, e := range lc.mu.entries {
		if k.src == s {
			lc.removeLocked(e)
		}
	}
}

// removeLocked drops an entry. REQUIRES: lc.mu held.
func (lc *listCache) removeLocked(e *list.Element) {
	le := e.Value.(*listEntry)
	lc.mu.lru.Remove(e)
	delete(lc.mu.entries, le.key)
	lc.used.Add(-le.size)
}

// addedBitmapDelta returns the merge operand that adds lists to a
// generation's bitmap of lists with blocks.
func addedBitmapDelta(lists []int) []byte {
	adds := roaring.New()
	for _, l := range lists {
		adds.Add(uint32(l))
	}
	return encodeBitmapDelta(adds, roaring.New())
}
