package db

import (
	"context"
	"encoding/binary"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// CreateCollection creates a collection with the given schema. It fails
// with ErrExists when the name is taken and ErrInvalid for a bad schema.
func (d *DB) CreateCollection(s Schema) error {
	release, err := d.enterWrite()
	if err != nil {
		return err
	}
	defer release()
	s.Fields = slices.Clone(s.Fields)
	if err := s.Validate(); err != nil {
		return err
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	d.mu.RLock()
	_, taken := d.mu.colls[s.Name]
	id := d.mu.nextColl
	d.mu.RUnlock()
	if taken {
		return sentinel.Mark(errors.Newf("vecdb: collection %q already exists", s.Name), ErrExists)
	}
	e := &catalogEntry{id: id, schema: s}
	b := d.pdb.NewBatch()
	defer b.Close()
	if err := b.Set(catalogKey(s.Name), e.encode(), nil); err != nil {
		return err
	}
	if err := b.Set(keyNextColl, binary.LittleEndian.AppendUint32(nil, id+1), nil); err != nil {
		return err
	}
	if err := b.Commit(d.writeOpts()); err != nil {
		return errors.Wrapf(err, "creating collection %q", s.Name)
	}
	d.mu.Lock()
	d.mu.colls[s.Name] = d.newCollection(id, s)
	d.mu.nextColl = id + 1
	d.mu.Unlock()
	return nil
}

// DropCollection deletes a collection and every key it owns, in one atomic
// batch, then its internal companions (see InternalName), each in its
// own; a crash between them leaves companions that the next writable open
// drops. It fails with ErrNotFound when there is no such collection.
func (d *DB) DropCollection(name string) error {
	if err := d.dropOne(name); err != nil {
		return err
	}
	d.mu.RLock()
	var companions []string
	for other := range d.mu.colls {
		if _, base, internal := internalBase(other); internal && base == name {
			companions = append(companions, other)
		}
	}
	d.mu.RUnlock()
	for _, other := range companions {
		if err := d.DropCollection(other); err != nil && !errors.Is(err, ErrNotFound) {
			return errors.Wrapf(err, "dropping %q, a companion of %q", other, name)
		}
	}
	return nil
}

// dropOne drops one collection (see DropCollection).
func (d *DB) dropOne(name string) error {
	release, err := d.enterWrite()
	if err != nil {
		return err
	}
	defer release()
	d.viewMu.Lock()
	defer d.viewMu.Unlock()
	d.wmu.Lock()
	defer d.wmu.Unlock()
	c, err := d.coll(name)
	if err != nil {
		return err
	}
	b := d.pdb.NewBatch()
	defer b.Close()
	if err := b.Delete(catalogKey(name), nil); err != nil {
		return err
	}
	for fam := famNextDoc; fam < famEnd; fam++ {
		start := appendCollPrefix(nil, fam, c.id)
		if err := b.DeleteRange(start, prefixEnd(start), nil); err != nil {
			return err
		}
	}
	if err := b.Commit(d.writeOpts()); err != nil {
		return errors.Wrapf(err, "dropping collection %q", name)
	}
	d.mu.Lock()
	delete(d.mu.colls, name)
	d.mu.Unlock()
	d.forget(c)
	// Reclaim the space now rather than at the next natural compaction.
	d.compactCollection(c.id)
	return nil
}

// ReplaceCollection renames collection src to dst in one atomic step,
// dropping what dst held before, if it existed. Readers of dst see its old
// records until the swap and src's records after it, never a mixture, and
// a crash leaves one or the other. Trainers use it to retrain into a live
// collection: they fill a staging collection, then replace. Batches built
// against either collection before the swap fail with ErrNotFound.
func (d *DB) ReplaceCollection(dst, src string) error {
	return d.ReplaceCollections([]Replacement{{Dst: dst, Src: src}})
}

// Replacement is one rename of [DB.ReplaceCollections].
type Replacement struct{ Dst, Src string }

// Swaps returns how many times ReplaceCollection or ReplaceCollections has
// changed which collection a name refers to (a swap undone by a failed
// commit counts too): a reader that caches what it read from a collection
// (a fold-in's item vectors) reads it again when Swaps has changed. A
// reader of several collections that must see them from the same side of
// a swap uses [DB.View] instead.
func (d *DB) Swaps() uint64 { return d.swaps.Load() }

// View runs fn as one read view across collections: no collection is
// replaced or dropped while fn runs (ReplaceCollections and DropCollection
// wait for it to return), so the reads fn makes of several collections (a
// user's vector, then a search of the items it was trained with) all see
// each collection from the same side of a retrain's swap. Writes of
// records go on meanwhile. fn should be short, as it holds off swaps, and
// must not replace or drop collections itself, nor open another View (a
// swap waiting between the two would deadlock them).
func (d *DB) View(fn func() error) error {
	d.viewMu.RLock()
	defer d.viewMu.RUnlock()
	return fn()
}

// ReplaceCollections performs several replacements (see
// [DB.ReplaceCollection]) in one atomic step: a recommender's users and
// items, or word vectors and their n-grams, change together, and a crash
// leaves all of them old or all new. Every name must appear once.
func (d *DB) ReplaceCollections(rs []Replacement) error {
	release, err := d.enterWrite()
	if err != nil {
		return err
	}
	defer release()
	seen := map[string]bool{}
	for _, r := range rs {
		if r.Dst == r.Src {
			return invalidf("replacing collection %q with itself", r.Dst)
		}
		if !validCollName(r.Dst) {
			return invalidf("collection name %q: want 1-%d letters, digits, '_', '-' or '.', not starting with '-' or '.'", r.Dst, MaxNameLen)
		}
		if seen[r.Dst] || seen[r.Src] {
			return invalidf("replacing collections: a name appears twice")
		}
		seen[r.Dst], seen[r.Src] = true, true
	}
	d.viewMu.Lock()
	defer d.viewMu.Unlock()
	d.wmu.Lock()
	defer d.wmu.Unlock()
	type swap struct {
		r           Replacement
		src, old, n *collection
	}
	swaps := make([]swap, len(rs))
	b := d.pdb.NewBatch()
	defer b.Close()
	for i, r := range rs {
		sc, err := d.coll(r.Src)
		if err != nil {
			return err
		}
		d.mu.RLock()
		old := d.mu.colls[r.Dst]
		d.mu.RUnlock()
		nc := d.newCollection(sc.id, sc.schema.clone())
		nc.nextDoc = sc.nextDoc
		nc.schema.Name = r.Dst
		// The staging collection's loaded state carries over: same id,
		// same keys, only the name changes.
		nc.docsAllocated.Store(sc.nextDoc)
		nc.tail.Store(sc.tail.Load())
		nc.noTail.Store(sc.noTail.Load())
		nc.ix.Store(sc.ix.Load())
		nc.gen.Store(sc.gen.Load())
		swaps[i] = swap{r: r, src: sc, old: old, n: nc}
		if err := b.Set(catalogKey(r.Dst), (&catalogEntry{id: nc.id, schema: nc.schema}).encode(), nil); err != nil {
			return err
		}
		if err := b.Delete(catalogKey(r.Src), nil); err != nil {
			return err
		}
		if old != nil {
			for fam := famNextDoc; fam < famEnd; fam++ {
				start := appendCollPrefix(nil, fam, old.id)
				if err := b.DeleteRange(start, prefixEnd(start), nil); err != nil {
					return err
				}
			}
		}
	}
	// The swap is published before the commit and the old collections
	// marked retired, so a reader whose snapshot could miss their keys
	// sees the mark and retries (see errRetired).
	publish := func(forward bool) {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.swaps.Add(1)
		for _, s := range swaps {
			switch {
			case forward:
				d.mu.colls[s.r.Dst] = s.n
				delete(d.mu.colls, s.r.Src)
			case s.old != nil:
				d.mu.colls[s.r.Dst] = s.old
				d.mu.colls[s.r.Src] = s.src
			default:
				delete(d.mu.colls, s.r.Dst)
				d.mu.colls[s.r.Src] = s.src
			}
			if s.old != nil {
				s.old.retired.Store(forward)
			}
			s.src.retired.Store(forward)
		}
	}
	publish(true)
	if err := b.Commit(d.writeOpts()); err != nil {
		publish(false)
		return errors.Wrap(err, "replacing collections")
	}
	for _, s := range swaps {
		s.src.cache.clear() // its successor starts with an empty cache
		if s.old != nil {
			d.forget(s.old)
			d.compactCollection(s.old.id)
		}
	}
	return nil
}

// forget releases what a dropped or replaced collection held: its index
// generation (unmapped once no search holds it), its vector file, and its
// tail cache's memory. REQUIRES: DB.wmu held.
func (d *DB) forget(c *collection) {
	st := c.ix.Load()
	d.retire(st)
	d.dropTail(c, false)
	c.cache.clear()
	if st != nil && st.ptr.hasSeg {
		if err := d.removeSegmentFile(c.id, st.gen); err != nil {
			d.opts.Logger.Errorf("%v (removed at the next open)", err)
		}
	}
}

// compactCollection asks the storage engine to compact away a dropped
// collection's keys, to reclaim their space now. It is best effort: the
// drop or swap has committed, and later compactions reclaim the space
// anyway. It gives up, with a line in the log, when the engine reports a
// background error meanwhile: the compaction first flushes the write
// buffers, which a failing disk retries without end (a retrain's swap
// hung so on a disk that refused writes; TestWriteFaults).
func (d *DB) compactCollection(id uint32) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	failed := d.bgErrs.next()
	go func() {
		select {
		case <-failed:
			cancel()
		case <-ctx.Done():
		}
	}()
	for fam := famNextDoc; fam < famEnd; fam++ {
		start := appendCollPrefix(nil, fam, id)
		if err := d.pdb.Compact(ctx, start, prefixEnd(start), false); err != nil {
			if ctx.Err() != nil {
				err = errors.CombineErrors(err, d.bgErrs.lastErr())
			}
			d.opts.Logger.Errorf("compacting a dropped collection's keys (later compactions reclaim them): %v", err)
			return
		}
	}
}

// Collections returns the schemas of all collections, sorted by name.
func (d *DB) Collections() (_ []Schema, err error) {
	defer func() { err = storageErr(err) }()
	release, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer release()
	d.mu.RLock()
	out := make([]Schema, 0, len(d.mu.colls))
	for name, c := range d.mu.colls {
		if _, _, internal := internalBase(name); !internal {
			out = append(out, c.schema.clone())
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b Schema) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// dropInternal drops the internal collections (see InternalName) that are
// leftovers: staging ones (a writable open finds them only after a
// process stopped mid-retrain) and those whose owner is gone.
func (d *DB) dropInternal() error {
	d.mu.RLock()
	var drop []string
	for name := range d.mu.colls {
		role, base, internal := internalBase(name)
		if !internal {
			continue
		}
		if _, ok := d.mu.colls[base]; role == "staging" || !ok {
			drop = append(drop, name)
		}
	}
	d.mu.RUnlock()
	slices.Sort(drop)
	for _, name := range slices.Backward(drop) { // owners' companions first
		if err := d.DropCollection(name); err != nil && !errors.Is(err, ErrNotFound) {
			return errors.Wrapf(err, "dropping the leftover collection %q", name)
		}
	}
	return nil
}

// Collection returns the schema of the named collection.
func (d *DB) Collection(name string) (Schema, error) {
	c, release, err := d.enterColl(name)
	if err != nil {
		return Schema{}, err
	}
	defer release()
	return c.schema.clone(), nil
}

func (s Schema) clone() Schema {
	s.Fields = slices.Clone(s.Fields)
	return s
}

// CollectionStats describes a collection's contents and footprint.
type CollectionStats struct {
	Schema Schema
	// Count is the number of live records.
	Count uint64
	// DiskBytes estimates the bytes the collection occupies on disk: its
	// keys in the storage engine and its index's vector file.
	DiskBytes uint64
	// VectorCacheBytes is the memory held by the collection's tail cache:
	// rows and IDs of records newer than its index's vector file (all
	// records, without an index), held when they fit the budget's row
	// share (0 until a search loads them, or when they do not fit).
	VectorCacheBytes int64
	// Normalized is true for cosine collections, whose vectors are stored
	// unit-normalised.
	Normalized bool
	// NextDocID is one past the largest internal doc id allocated.
	NextDocID uint32
	// Index describes the IVF-PQ index (nil: none; searches are exact,
	// unless IndexDamaged says the index could not be loaded).
	Index *IndexStats
	// IndexDamaged, when not empty, says why the collection's index could
	// not be loaded: its searches fail until a build or a drop.
	IndexDamaged string
}

// Stats returns the named collection's statistics.
func (d *DB) Stats(name string) (_ CollectionStats, err error) {
	defer func() { err = storageErr(err) }()
	return retryRetired(func() (CollectionStats, error) { return d.statsOnce(name) })
}

func (d *DB) statsOnce(name string) (CollectionStats, error) {
	c, release, err := d.enterColl(name)
	if err != nil {
		return CollectionStats{}, err
	}
	defer release()
	snap := d.pdb.NewSnapshot()
	defer snap.Close()
	if c.retired.Load() {
		return CollectionStats{}, errRetired
	}
	live, err := readBitmap(snap, liveKey(c.id))
	if err != nil {
		return CollectionStats{}, err
	}
	st := CollectionStats{Schema: c.schema.clone(), Count: live.GetCardinality(), Normalized: c.schema.Metric == Cosine}
	for fam := famNextDoc; fam < famEnd; fam++ {
		start := appendCollPrefix(nil, fam, c.id)
		n, err := d.pdb.EstimateDiskUsage(start, prefixEnd(start))
		if err != nil {
			return CollectionStats{}, err
		}
		st.DiskBytes += n
	}
	if tc := c.tail.Load(); tc != nil {
		st.VectorCacheBytes = tc.bytes.Load()
	}
	d.wmu.Lock()
	st.NextDocID = c.nextDoc
	d.wmu.Unlock()
	if dmg := c.damaged.Load(); dmg != nil {
		st.IndexDamaged = (*dmg).Error()
	}
	if ix := c.ix.Load(); ix != nil && st.IndexDamaged == "" {
		if st.Index, err = d.indexStats(c, ix); err != nil {
			dmg := c.damaged.Load()
			if dmg == nil {
				return CollectionStats{}, err
			}
			// Found damaged now: said like damage found at open.
			st.Index, st.IndexDamaged = nil, (*dmg).Error()
			return st, nil
		}
		if ix.ptr.hasSeg {
			if fi, err := os.Stat(segmentPath(d.dir, c.id, ix.gen)); err == nil {
				st.DiskBytes += uint64(fi.Size())
			}
		}
	}
	return st, nil
}

// reader is what a read needs from the storage engine: a snapshot or the DB.
type reader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}
