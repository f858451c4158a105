package db

import (
	"encoding/binary"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// Record is a stored record as read back.
type Record struct {
	ID string
	// Vector is the vector as stored (unit-normalised for cosine
	// collections). The caller owns it.
	Vector []float32
	Meta   Meta
}

// Get returns the record with external ID id, or an ErrNotFound error.
func (d *DB) Get(coll, id string) (_ *Record, err error) {
	defer func() { err = storageErr(err) }()
	return retryRetired(func() (*Record, error) { return d.getOnce(coll, id) })
}

func (d *DB) getOnce(coll, id string) (*Record, error) {
	c, release, err := d.enterColl(coll)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := checkID(id); err != nil {
		return nil, err
	}
	snap := d.pdb.NewSnapshot()
	defer snap.Close()
	if c.retired.Load() {
		return nil, errRetired
	}
	doc, err := findDoc(snap, c, id)
	if err != nil {
		return nil, err
	}
	return readRecord(snap, c, doc, true, true)
}

// lookupDoc returns the doc id of a record.
func lookupDoc(r reader, c *collection, id string) (uint32, bool, error) {
	v, closer, err := r.Get(appendIDMapKey(nil, c.id, id))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer closer.Close()
	if len(v) != 4 {
		return 0, false, corruptionf("collection %q: record %q: doc id of %d bytes", c.schema.Name, id, len(v))
	}
	return binary.BigEndian.Uint32(v), true, nil
}

// findDoc is lookupDoc with a missing record reported as ErrNotFound.
func findDoc(r reader, c *collection, id string) (uint32, error) {
	doc, ok, err := lookupDoc(r, c, id)
	if err == nil && !ok {
		err = sentinel.Mark(errors.Newf("vecdb: collection %q has no record %q", c.schema.Name, id), ErrNotFound)
	}
	return doc, err
}

// readRecord reads a doc's ID and, as asked, its metadata and vector.
func readRecord(r reader, c *collection, doc uint32, withMeta, withVec bool) (*Record, error) {
	v, closer, err := r.Get(appendDocKey(nil, famDoc, c.id, doc))
	if err != nil {
		if errors.Is(err, pebble.ErrNotFound) {
			return nil, corruptionf("collection %q: live doc %d has no record", c.schema.Name, doc)
		}
		return nil, err
	}
	id, vals, err := decodeDoc(&c.schema, v)
	closer.Close()
	if err != nil {
		return nil, errors.Wrapf(err, "collection %q: doc %d", c.schema.Name, doc)
	}
	rec := &Record{ID: id}
	if withMeta {
		rec.Meta = toMeta(&c.schema, vals)
	}
	if withVec {
		if rec.Vector, err = readVector(r, c, doc, nil); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func readVector(r reader, c *collection, doc uint32, dst []float32) ([]float32, error) {
	v, closer, err := r.Get(appendDocKey(nil, famVec, c.id, doc))
	if err != nil {
		if errors.Is(err, pebble.ErrNotFound) {
			return nil, corruptionf("collection %q: live doc %d has no vector", c.schema.Name, doc)
		}
		return nil, err
	}
	defer closer.Close()
	out, err := decodeVector(dst, v, c.schema.Dim)
	return out, errors.Wrapf(err, "collection %q: doc %d", c.schema.Name, doc)
}

// readBitmap reads a merged bitmap; a missing key is the empty set.
func readBitmap(r reader, key []byte) (*roaring.Bitmap, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return roaring.New(), nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return decodeBitmapValue(v)
}

// Count returns the number of live records in a collection.
func (d *DB) Count(coll string) (_ uint64, err error) {
	defer func() { err = storageErr(err) }()
	return retryRetired(func() (uint64, error) { return d.countOnce(coll) })
}

func (d *DB) countOnce(coll string) (uint64, error) {
	c, release, err := d.enterColl(coll)
	if err != nil {
		return 0, err
	}
	defer release()
	snap := d.pdb.NewSnapshot()
	defer snap.Close()
	if c.retired.Load() {
		return 0, errRetired
	}
	live, err := readBitmap(snap, liveKey(c.id))
	if err != nil {
		return 0, err
	}
	return live.GetCardinality(), nil
}

// RecordIterator walks a collection's live records in insertion order:
//
//	it, err := d.NewRecordIterator("docs")
//	for it.First(); it.Valid(); it.Next() { rec := it.Record() }
//	if err := it.Close(); err != nil { ... }
//
// It reads a consistent snapshot. Not goroutine-safe.
type RecordIterator struct {
	d       *DB
	c       *collection
	release func()
	snap    *pebble.Snapshot
	docs    *pebble.Iterator
	vecs    *pebble.Iterator
	rec     Record
	valid   bool
	err     error
}

// NewRecordIterator returns an iterator over a collection's records.
func (d *DB) NewRecordIterator(coll string) (_ *RecordIterator, err error) {
	defer func() { err = storageErr(err) }()
	release, err := d.enter()
	if err != nil {
		return nil, err
	}
	var c *collection
	var snap *pebble.Snapshot
	for {
		if c, err = d.coll(coll); err != nil {
			release()
			return nil, err
		}
		if snap = d.pdb.NewSnapshot(); !c.retired.Load() {
			break
		}
		// Replaced meanwhile: see errRetired.
		if err := snap.Close(); err != nil {
			release()
			return nil, err
		}
	}
	it := &RecordIterator{d: d, c: c, release: release, snap: snap}
	for _, p := range []struct {
		fam byte
		dst **pebble.Iterator
	}{{famDoc, &it.docs}, {famVec, &it.vecs}} {
		lo := appendCollPrefix(nil, p.fam, c.id)
		*p.dst, err = it.snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
		if err != nil {
			it.err = err
			_ = it.Close() // reported through it.err
			return nil, err
		}
	}
	return it, nil
}

// First positions the iterator at the first record.
func (it *RecordIterator) First() {
	if it.err != nil {
		return
	}
	it.docs.First()
	it.vecs.First()
	it.load()
}

// Next advances to the next record.
func (it *RecordIterator) Next() {
	if !it.valid {
		return
	}
	it.docs.Next()
	it.vecs.Next()
	it.load()
}

func (it *RecordIterator) load() {
	it.valid = false
	// An iterator that met an error is not valid either: tell it from the
	// end, so Error says so before Close.
	if err := errors.CombineErrors(it.docs.Error(), it.vecs.Error()); err != nil {
		it.err = storageErr(err)
		return
	}
	if !it.docs.Valid() {
		if it.vecs.Valid() {
			it.err = corruptionf("collection %q: vector without record", it.c.schema.Name)
		}
		return
	}
	if !it.vecs.Valid() || !slices.Equal(it.docs.Key()[5:], it.vecs.Key()[5:]) {
		it.err = corruptionf("collection %q: record and vector keys out of step", it.c.schema.Name)
		return
	}
	id, vals, err := decodeDoc(&it.c.schema, it.docs.Value())
	if err != nil {
		it.err = err
		return
	}
	vec, err := decodeVector(it.rec.Vector, it.vecs.Value(), it.c.schema.Dim)
	if err != nil {
		it.err = err
		return
	}
	it.rec = Record{ID: id, Vector: vec, Meta: toMeta(&it.c.schema, vals)}
	it.valid = true
}

// Valid reports whether the iterator is at a record.
func (it *RecordIterator) Valid() bool { return it.valid }

// Record returns the current record. Its Vector is reused by Next: copy it
// to keep it.
func (it *RecordIterator) Record() *Record { return &it.rec }

// Error returns the first error met.
func (it *RecordIterator) Error() error { return it.err }

// Close releases the iterator and returns its first error.
func (it *RecordIterator) Close() error {
	if it.snap == nil {
		return it.err
	}
	for _, i := range []*pebble.Iterator{it.docs, it.vecs} {
		if i != nil {
			if err := i.Close(); err != nil && it.err == nil {
				it.err = err
			}
		}
	}
	if err := it.snap.Close(); err != nil && it.err == nil {
		it.err = err
	}
	it.snap = nil
	it.release()
	it.err = storageErr(it.err)
	return it.err
}
