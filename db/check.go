package db

import (
	"encoding/binary"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/index"
)

// Check verifies the database's internal consistency: for every collection,
// the live bitmap, records, vectors and ID map name the same docs, and every
// metadata bitmap holds exactly the docs whose metadata has that value. It
// reads everything, so it is meant for tests and `vecdb check`, not for
// serving paths. Errors are marked ErrCorruption.
func (d *DB) Check() error {
	release, err := d.enter()
	if err != nil {
		return err
	}
	defer release()
	snap := d.pdb.NewSnapshot()
	defer snap.Close()
	d.mu.RLock()
	colls := make([]*collection, 0, len(d.mu.colls))
	for _, c := range d.mu.colls {
		colls = append(colls, c)
	}
	d.mu.RUnlock()
	for _, c := range colls {
		if err := checkCollection(snap, c); err != nil {
			return errors.Wrapf(err, "checking collection %q", c.schema.Name)
		}
	}
	return nil
}

func checkCollection(snap *pebble.Snapshot, c *collection) error {
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
	return checkIndex(snap, c, live)
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

// checkIndex verifies that every live doc has a code in the serving index
// generation (codes of deleted docs may remain until the next build) and
// that no other generation left keys behind.
func checkIndex(snap *pebble.Snapshot, c *collection, live *roaring.Bitmap) error {
	st := c.ix.Load()
	if st == nil {
		return nil
	}
	coded := roaring.New()
	cs := st.ivf.CodeSize()
	p := indexBlocksPrefix(c.id, st.gen)
	stored := make([]*roaring.Bitmap, st.ivf.NList)
	var docs []uint32
	var codes []byte
	err := scanFamilyRange(snap, p, prefixEnd(p), func(k, v []byte) error {
		l, ok := indexBlockList(k, p)
		if !ok || l >= st.ivf.NList {
			return corruptionf("bad index block key %x", k)
		}
		var err error
		if docs, codes, err = index.DecodeBlock(v, cs, docs[:0], codes[:0]); err != nil {
			return errors.Mark(err, ErrCorruption)
		}
		if stored[l] == nil {
			stored[l] = roaring.New()
		}
		for _, d := range docs {
			if coded.Contains(d) {
				return corruptionf("doc %d coded twice", d)
			}
			coded.Add(d)
			stored[l].Add(d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The in-memory lists, when loaded, hold what is stored, and L2 lists
	// a distance term per code.
	if ls := st.lists.Load(); ls != nil {
		for l := range st.ivf.NList {
			list := ls.List(l)
			want := stored[l]
			if want == nil {
				want = roaring.New()
			}
			got := roaring.BitmapOf(list.Docs...)
			if !got.Equals(want) || got.GetCardinality() != uint64(len(list.Docs)) {
				return corruptionf("list %d: in memory %d docs (%d distinct), stored %d", l, len(list.Docs), got.GetCardinality(), want.GetCardinality())
			}
			if st.ivf.Metric == L2 && len(list.Terms) != len(list.Docs) {
				return corruptionf("list %d: %d distance terms for %d codes", l, len(list.Terms), len(list.Docs))
			}
		}
	}
	if missing := roaring.AndNot(live, coded); !missing.IsEmpty() {
		return corruptionf("%d live docs have no code in index generation %d (first: %d)", missing.GetCardinality(), st.gen, missing.Minimum())
	}
	return nil
}
