package db

import (
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// Decoded bitmaps are cached per collection, so that a read-mostly workload
// does not fold a bitmap's merge operands again on every search (right after
// an import, the live bitmap alone has one operand per batch until the next
// flush).
//
// Validity is tied to the collection's write generation, a sequence lock:
// every Apply that touches the collection makes it odd before its commit
// and even again after. A reader that sees the same even generation before
// and after taking its snapshot knows the snapshot holds exactly that
// generation's state, and only such readers use or fill the cache. Entries
// of an older generation are dropped when a newer one is stored.

// noGeneration marks a reader that must bypass the cache.
const noGeneration = ^uint64(0)

// bitmapCache is goroutine-safe. Its entries count against the budget's
// bitmap share, which all collections share.
type bitmapCache struct {
	budget *budget
	mu     struct {
		sync.Mutex
		gen     uint64
		entries map[string]*roaring.Bitmap
		bytes   uint64
	}
}

// get returns a copy of the cached bitmap of key at generation gen.
func (bc *bitmapCache) get(gen uint64, key []byte) (*roaring.Bitmap, bool) {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	var bm *roaring.Bitmap
	if bc.mu.gen == gen {
		bm = bc.mu.entries[string(key)]
	}
	if bm == nil {
		bc.budget.bitmapMisses.Add(1)
		return nil, false
	}
	bc.budget.bitmapHits.Add(1)
	return bm.Clone(), true
}

// put caches a copy of bm as key's bitmap at generation gen.
func (bc *bitmapCache) put(gen uint64, key []byte, bm *roaring.Bitmap) {
	size := bm.GetSizeInBytes()
	bc.mu.Lock()
	defer bc.mu.Unlock()
	switch {
	case gen < bc.mu.gen:
		return // a newer generation is cached already
	case gen > bc.mu.gen || bc.mu.entries == nil:
		bc.budget.bitmapsUsed.Add(-int64(bc.mu.bytes))
		bc.mu.gen, bc.mu.entries, bc.mu.bytes = gen, make(map[string]*roaring.Bitmap), 0
	}
	if _, ok := bc.mu.entries[string(key)]; ok || !reserve(&bc.budget.bitmapsUsed, bc.budget.bitmaps, int64(size)) {
		return
	}
	bc.mu.entries[string(key)] = bm.Clone()
	bc.mu.bytes += size
}

// clear drops every entry (a dropped or replaced collection).
func (bc *bitmapCache) clear() {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	bc.budget.bitmapsUsed.Add(-int64(bc.mu.bytes))
	bc.mu.entries, bc.mu.bytes = nil, 0
}

// readCached reads a bitmap through the collection's cache when gen allows.
func readCached(r reader, c *collection, gen uint64, key []byte) (*roaring.Bitmap, error) {
	if gen != noGeneration {
		if bm, ok := c.cache.get(gen, key); ok {
			return bm, nil
		}
	}
	bm, err := readBitmap(r, key)
	if err != nil || gen == noGeneration {
		return bm, err
	}
	c.cache.put(gen, key, bm)
	return bm, nil
}
