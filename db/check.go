package db

import (
	"encoding/binary"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/internal/fault"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// Check verifies the database's internal consistency: for every collection,
// the live bitmap, records, vectors and ID map name the same docs, and every
// metadata bitmap holds exactly the docs whose metadata has that value. It
// reads everything, so it is meant for tests and `vecdb check`, not for
// serving paths. Errors are marked ErrCorruption.
func (d *DB) Check() (err error) {
	defer func() { err = storageErr(err) }()
	schemas, err := d.Collections()
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range schemas {
		if err := d.CheckCollection(s.Name); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return sentinel.Mark(errors.Join(errs...), ErrCorruption)
}

// CheckCollection runs Check's verification on one collection; a damaged
// collection does not keep the others from being checked (or served).
// Errors are marked ErrCorruption.
func (d *DB) CheckCollection(name string) (err error) {
	defer func() { err = storageErr(err) }()
	release, err := d.enter()
	if err != nil {
		return err
	}
	defer release()
	c, err := d.coll(name)
	if err != nil {
		return err
	}
	if dmg := c.damaged.Load(); dmg != nil {
		return errors.Wrapf(*dmg, "collection %q: its index could not be loaded", name)
	}
	for {
		// The snapshot and the serving generation are taken together,
		// under the write lock: a generation swapped in after the
		// snapshot has blocks the snapshot lacks (the codes of the
		// records its swap caught up), one swapped out before it has
		// lost its blocks. A swap after that starts the check over.
		d.wmu.Lock()
		snap := d.pdb.NewSnapshot()
		st := c.ix.Load()
		d.wmu.Unlock()
		if checkHook != nil {
			checkHook()
		}
		err := d.checkCollection(snap, c, st)
		_ = snap.Close() // a read-only snapshot: nothing to lose
		if errors.Is(err, errSwapped) {
			continue
		}
		if err != nil {
			err = errors.Wrapf(err, "collection %q", name)
			if !errors.Is(err, ErrCorruption) {
				err = sentinel.Mark(err, ErrCorruption)
			}
			return err
		}
		return nil
	}
}

// errSwapped tells CheckCollection that the index generation it was to
// check is no longer the serving one.
var errSwapped = errors.New("vecdb: index generation swapped during the check")

// checkHook, when set (tests), runs after CheckCollection takes its
// snapshot and notes the serving generation.
var checkHook func()

func (d *DB) checkCollection(snap *pebble.Snapshot, c *collection, st *ivfState) error {
	live, err := readBitmap(snap, liveKey(c.id))
	if err != nil {
		return err
	}
	docs := roaring.New()
	want := map[string]*roaring.Bitmap{}
	ids := map[uint32]string{}
	err = scanFamily(snap, famDoc, c.id, func(k, v []byte) error {
		doc, ok := docFromKey(k)
		if !ok {
			return corruptionf("bad record key %x", k)
		}
		id, vals, err := decodeDoc(&c.schema, v)
		if err != nil {
			return err
		}
		docs.Add(doc)
		ids[doc] = id
		for _, bk := range docBitmapKeys(&c.schema, c.id, vals) {
			wantAdd(want, bk, doc)
		}
		for i := range vals {
			enc, ok := vals[i].sortable(&c.schema)
			for b := 0; ok && b < sliceBits; b++ {
				if enc&(1<<b) != 0 {
					wantAdd(want, appendSliceKey(appendFieldPrefix(nil, c.id, uint16(vals[i].field), tagSlice), b), doc)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !docs.Equals(live) {
		return corruptionf("live bitmap (%d docs) differs from records (%d docs)", live.GetCardinality(), docs.GetCardinality())
	}
	vecs := roaring.New()
	err = scanFamily(snap, famVec, c.id, func(k, v []byte) error {
		doc, ok := docFromKey(k)
		if !ok || len(v) != 4*c.schema.Dim {
			return corruptionf("bad vector entry %x", k)
		}
		vecs.Add(doc)
		return nil
	})
	if err != nil {
		return err
	}
	if !vecs.Equals(docs) {
		return corruptionf("vectors (%d) differ from records (%d)", vecs.GetCardinality(), docs.GetCardinality())
	}
	nmap := 0
	err = scanFamily(snap, famIDMap, c.id, func(k, v []byte) error {
		nmap++
		if len(v) != 4 {
			return corruptionf("bad ID map value for %q", k[5:])
		}
		doc := binary.BigEndian.Uint32(v)
		if got, ok := ids[doc]; !ok || got != string(k[5:]) {
			return corruptionf("ID map: %q -> doc %d, which holds %q", k[5:], doc, got)
		}
		if doc >= c.nextDoc {
			return corruptionf("doc %d beyond next doc id %d", doc, c.nextDoc)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if nmap != len(ids) {
		return corruptionf("ID map has %d entries, %d records", nmap, len(ids))
	}
	err = scanFamily(snap, famBitmap, c.id, func(k, v []byte) error {
		bm, err := decodeBitmapValue(v)
		if err != nil {
			return err
		}
		w := want[string(k)]
		if w == nil {
			w = roaring.New()
		}
		if !bm.Equals(w) && !(bm.IsEmpty() && w.IsEmpty()) {
			return corruptionf("bitmap %x holds %d docs, metadata says %d", k, bm.GetCardinality(), w.GetCardinality())
		}
		delete(want, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	for k := range want {
		return corruptionf("bitmap %x missing", k)
	}
	return d.checkIndex(snap, c, st, live)
}

func scanFamily(r reader, fam byte, coll uint32, fn func(k, v []byte) error) error {
	lo := appendCollPrefix(nil, fam, coll)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			_ = it.Close() // fn's error is the one to report
			return err
		}
	}
	return it.Close()
}

func wantAdd(want map[string]*roaring.Bitmap, key []byte, doc uint32) {
	if want[string(key)] == nil {
		want[string(key)] = roaring.New()
	}
	want[string(key)].Add(doc)
}

// checkIndex verifies that every live doc has exactly one code in the
// serving index generation, st, the one of snap's time (codes of deleted
// docs may remain until the next build) and, when the generation has a
// vector file, that the file's every page passes its checksum, that it
// holds every live doc below its watermark with the stored vector and ID,
// and that the lists with blocks in storage are marked as such.
func (d *DB) checkIndex(snap *pebble.Snapshot, c *collection, st *ivfState, live *roaring.Bitmap) error {
	ix, unhold, err := d.acquireIndex(c)
	if err != nil {
		return err
	}
	defer unhold()
	if ix.st != st {
		return errSwapped // snap is of another generation's time
	}
	if ix.st == nil {
		return nil
	}
	return fault.Guard(func() error { return d.checkGeneration(snap, c, ix, live) })
}

func (d *DB) checkGeneration(snap *pebble.Snapshot, c *collection, ix servingIndex, live *roaring.Bitmap) error {
	st, src := ix.st, ix.src
	coded := roaring.New()
	add := func(l int, docs []uint32) error {
		for _, doc := range docs {
			if coded.Contains(doc) {
				return corruptionf("doc %d coded twice (list %d)", doc, l)
			}
			coded.Add(doc)
		}
		return nil
	}
	if seg := ix.seg; seg != nil {
		if err := checkSegment(snap, c, seg, live); err != nil {
			return err
		}
		for l := range st.ivf.NList {
			docs, _, terms, err := seg.list(l)
			if err != nil {
				return err
			}
			if seg.shape.terms() && len(terms) != len(docs) {
				return corruptionf("list %d: %d distance terms for %d codes", l, len(terms), len(docs))
			}
			if err := add(l, docs); err != nil {
				return err
			}
		}
	}
	p := indexBlocksPrefix(c.id, st.gen)
	var docs []uint32
	var codes []byte
	err := scanFamilyRange(snap, p, prefixEnd(p), func(k, v []byte) error {
		l, ok := indexBlockList(k, p)
		if !ok || l >= st.ivf.NList {
			return corruptionf("bad index block key %x", k)
		}
		if !src.added[l].Load() {
			return corruptionf("list %d has blocks in storage but is not marked so", l)
		}
		var err error
		if docs, codes, err = index.DecodeBlock(v, st.ivf.CodeSize(), docs[:0], codes[:0]); err != nil {
			return sentinel.Mark(err, ErrCorruption)
		}
		if ix.seg != nil && len(docs) > 0 && docs[0] < ix.seg.shape.docHi {
			return corruptionf("list %d: block holds doc %d, below the vector file's watermark %d", l, docs[0], ix.seg.shape.docHi)
		}
		return add(l, docs)
	})
	if err != nil {
		return err
	}
	if missing := roaring.AndNot(live, coded); !missing.IsEmpty() {
		return corruptionf("%d live docs have no code in index generation %d (first: %d)", missing.GetCardinality(), st.gen, missing.Minimum())
	}
	return nil
}

// checkSegment verifies every page of a vector file and that it holds,
// for every live doc below its watermark, the stored vector and ID.
func checkSegment(snap *pebble.Snapshot, c *collection, seg *segment, live *roaring.Bitmap) error {
	if err := seg.check(0, seg.sec[secPageCRC]); err != nil {
		return err
	}
	var buf []float32
	it := live.Iterator()
	for it.HasNext() {
		doc := it.Next()
		if doc >= seg.shape.docHi {
			break
		}
		r, ok := seg.rowOf(doc)
		if !ok {
			return corruptionf("vector file: live doc %d below the watermark %d has no row", doc, seg.shape.docHi)
		}
		row, err := seg.row(r)
		if err != nil {
			return err
		}
		if buf, err = readVector(snap, c, doc, buf); err != nil {
			return err
		}
		if !slices.Equal(row, buf) {
			return corruptionf("vector file: row of doc %d differs from the stored vector", doc)
		}
		id, err := seg.id(r)
		if err != nil {
			return err
		}
		rec, err := readRecord(snap, c, doc, false, false)
		if err != nil {
			return err
		}
		if id != rec.ID {
			return corruptionf("vector file: doc %d has ID %q, its record %q", doc, id, rec.ID)
		}
	}
	return nil
}
