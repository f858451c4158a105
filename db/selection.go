package db

import (
	"github.com/RoaringBitmap/roaring/v2"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/query"
)

// Selection is a set of a collection's records that an application
// computes once and passes to many searches as [SearchRequest.Allow] or
// [SearchRequest.Exclude]: the records of a filter, a list of IDs, or a
// combination (a user's seen items minus those on sale, say). Searching
// with it costs a bitmap operation, however large it is.
//
// A Selection names records as they were when it was made: a record
// rewritten afterwards (upserted with changes, which gives it a fresh
// internal id) or deleted is no longer in it. It belongs to the
// collection it was made from; a search of another collection, or of a
// collection replaced since, rejects it with ErrInvalid.
//
// Len and searches may read a Selection from several goroutines; And, Or
// and AndNot modify it and need exclusive access.
type Selection struct {
	coll *collection
	bm   *roaring.Bitmap
}

// Select returns the live records of coll that pass filter (every live
// record when filter is empty).
func (d *DB) Select(coll, filter string) (_ *Selection, err error) {
	defer func() { err = storageErr(err) }()
	return retryRetired(func() (*Selection, error) {
		c, release, err := d.enterColl(coll)
		if err != nil {
			return nil, err
		}
		defer release()
		var f *query.Filter
		if filter != "" {
			if f, err = query.CompileFilter(filter, &c.schema); err != nil {
				return nil, sentinel.Mark(err, ErrInvalid)
			}
		}
		snap := d.pdb.NewSnapshot()
		defer snap.Close()
		if c.retired.Load() {
			return nil, errRetired
		}
		bm, _, err := d.allowed(snap, c, noGeneration, f, &SearchRequest{})
		if err != nil {
			return nil, err
		}
		return &Selection{coll: c, bm: bm}, nil
	})
}

// SelectIDs returns the records of coll with these IDs; IDs that do not
// exist are left out.
func (d *DB) SelectIDs(coll string, ids []string) (_ *Selection, err error) {
	defer func() { err = storageErr(err) }()
	return retryRetired(func() (*Selection, error) {
		c, release, err := d.enterColl(coll)
		if err != nil {
			return nil, err
		}
		defer release()
		snap := d.pdb.NewSnapshot()
		defer snap.Close()
		if c.retired.Load() {
			return nil, errRetired
		}
		bm, err := docsOf(snap, c, ids)
		if err != nil {
			return nil, err
		}
		return &Selection{coll: c, bm: bm}, nil
	})
}

// Len returns the number of records in the selection.
func (s *Selection) Len() uint64 { return s.bm.GetCardinality() }

// Clone returns an independent copy.
func (s *Selection) Clone() *Selection { return &Selection{coll: s.coll, bm: s.bm.Clone()} }

// And keeps the records also in o.
func (s *Selection) And(o *Selection) error { return s.combine(o, (*roaring.Bitmap).And) }

// Or adds the records of o.
func (s *Selection) Or(o *Selection) error { return s.combine(o, (*roaring.Bitmap).Or) }

// AndNot removes the records of o.
func (s *Selection) AndNot(o *Selection) error { return s.combine(o, (*roaring.Bitmap).AndNot) }

func (s *Selection) combine(o *Selection, op func(*roaring.Bitmap, *roaring.Bitmap)) error {
	if o.coll != s.coll {
		return invalidf("selections of different collections (%q and %q)", s.coll.schema.Name, o.coll.schema.Name)
	}
	op(s.bm, o.bm)
	return nil
}

// check rejects a selection made from another collection than c.
func (s *Selection) check(c *collection, what string) error {
	if s.coll != c {
		return invalidf("search %q: the %s selection was made from collection %q (or before it was replaced)", c.schema.Name, what, s.coll.schema.Name)
	}
	return nil
}
