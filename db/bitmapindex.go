package db

import (
	"math"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/query"
)

// bitmapIndex answers filter predicates from the stored bitmaps of one
// collection, as of one snapshot. It implements query.Index.
type bitmapIndex struct {
	r reader
	c *collection
}

func (ix bitmapIndex) fieldPrefix(f query.Field, tag byte) ([]byte, error) {
	i := ix.c.schema.fieldIndex(f.Name)
	if i < 0 {
		return nil, errors.AssertionFailedf("filter field %q not in schema", f.Name)
	}
	return appendFieldPrefix(nil, ix.c.id, uint16(i), tag), nil
}

// All implements query.Index.
func (ix bitmapIndex) All() (*roaring.Bitmap, error) {
	return readBitmap(ix.r, liveKey(ix.c.id))
}

// Equal implements query.Index.
func (ix bitmapIndex) Equal(f query.Field, v query.Value) (*roaring.Bitmap, error) {
	k, err := ix.fieldPrefix(f, tagValue)
	if err != nil {
		return nil, err
	}
	switch f.Type {
	case Keyword, Keywords:
		k = append(k, v.Str...)
	case Bool:
		if v.Bool {
			k = append(k, 1)
		} else {
			k = append(k, 0)
		}
	case Int:
		k = appendSortableInt(k, v.Int)
	case Float:
		k = appendSortableFloat(k, v.Float)
	}
	return readBitmap(ix.r, k)
}

// Exists implements query.Index.
func (ix bitmapIndex) Exists(f query.Field) (*roaring.Bitmap, error) {
	k, err := ix.fieldPrefix(f, tagExists)
	if err != nil {
		return nil, err
	}
	return readBitmap(ix.r, k)
}

// IntRange implements query.Index: the union of the value bitmaps whose
// keys lie in [lo, hi]. Values are one key each, in numeric order, so the
// cost is one iterator step per distinct value in the range, never per doc.
func (ix bitmapIndex) IntRange(f query.Field, lo, hi int64) (*roaring.Bitmap, error) {
	p, err := ix.fieldPrefix(f, tagValue)
	if err != nil {
		return nil, err
	}
	return ix.unionRange(appendSortableInt(p, lo), prefixEnd(appendSortableInt(p, hi)))
}

// FloatRange implements query.Index.
func (ix bitmapIndex) FloatRange(f query.Field, lo, hi float64, loIncl, hiIncl bool) (*roaring.Bitmap, error) {
	p, err := ix.fieldPrefix(f, tagValue)
	if err != nil {
		return nil, err
	}
	if !loIncl {
		lo = math.Nextafter(lo, math.Inf(1))
	}
	if !hiIncl {
		hi = math.Nextafter(hi, math.Inf(-1))
	}
	if lo > hi || math.IsNaN(lo) || math.IsNaN(hi) {
		return roaring.New(), nil
	}
	return ix.unionRange(appendSortableFloat(p, lo), prefixEnd(appendSortableFloat(p, hi)))
}

func (ix bitmapIndex) unionRange(lo, hi []byte) (*roaring.Bitmap, error) {
	it, err := ix.r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	var parts []*roaring.Bitmap
	for it.First(); it.Valid(); it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close() // the value error is the one to report
			return nil, err
		}
		bm, err := decodeBitmapValue(v)
		if err != nil {
			_ = it.Close() // the decode error is the one to report
			return nil, err
		}
		parts = append(parts, bm)
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	return roaring.FastOr(parts...), nil
}
