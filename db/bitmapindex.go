package db

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/query"
)

// bitmapIndex answers filter predicates from the stored bitmaps of one
// collection, as of one snapshot. It implements query.Index.
type bitmapIndex struct {
	r   reader
	c   *collection
	gen uint64 // the snapshot's write generation, or noGeneration
}

func (ix bitmapIndex) read(key []byte) (*roaring.Bitmap, error) {
	return readCached(ix.r, ix.c, ix.gen, key)
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
	return ix.read(liveKey(ix.c.id))
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
	return ix.read(k)
}

// Exists implements query.Index.
func (ix bitmapIndex) Exists(f query.Field) (*roaring.Bitmap, error) {
	k, err := ix.fieldPrefix(f, tagExists)
	if err != nil {
		return nil, err
	}
	return ix.read(k)
}

// IntRange implements query.Index.
func (ix bitmapIndex) IntRange(f query.Field, lo, hi int64) (*roaring.Bitmap, error) {
	return ix.numericRange(f, sortableInt(lo), sortableInt(hi))
}

// FloatRange implements query.Index.
func (ix bitmapIndex) FloatRange(f query.Field, lo, hi float64, loIncl, hiIncl bool) (*roaring.Bitmap, error) {
	if !loIncl {
		lo = math.Nextafter(lo, math.Inf(1))
	}
	if !hiIncl {
		hi = math.Nextafter(hi, math.Inf(-1))
	}
	if lo > hi || math.IsNaN(lo) || math.IsNaN(hi) {
		return roaring.New(), nil
	}
	return ix.numericRange(f, sortableFloat(lo), sortableFloat(hi))
}

// maxRangeKeys is how many distinct values a range reads one by one before
// it switches to the bit-sliced index: a value key costs about as much as
// one of the 64 slice steps, so past 64 values the slices win. A variable
// so tests can force either path.
var maxRangeKeys = 64

// numericRange returns the docs whose encoded value lies in [lo, hi]: the
// union of the value bitmaps when the range holds few distinct values, else
// the bit-sliced index. Neither visits documents one by one.
func (ix bitmapIndex) numericRange(f query.Field, lo, hi uint64) (*roaring.Bitmap, error) {
	p, err := ix.fieldPrefix(f, tagValue)
	if err != nil {
		return nil, err
	}
	start := binary.BigEndian.AppendUint64(slices.Clip(p), lo)
	end := prefixEnd(binary.BigEndian.AppendUint64(slices.Clip(p), hi))
	parts, complete, err := ix.collectRange(start, end, maxRangeKeys)
	if err != nil || complete {
		return roaring.FastOr(parts...), err
	}
	return ix.bsiRange(f, lo, hi)
}

// collectRange returns the bitmaps of the keys in [lo, hi), or complete =
// false once it has seen more than limit keys.
func (ix bitmapIndex) collectRange(lo, hi []byte, limit int) (parts []*roaring.Bitmap, complete bool, err error) {
	it, err := ix.r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, false, err
	}
	for it.First(); it.Valid(); it.Next() {
		if len(parts) == limit {
			return nil, false, it.Close()
		}
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close() // the value error is the one to report
			return nil, false, err
		}
		bm, err := decodeBitmapValue(v)
		if err != nil {
			_ = it.Close() // the decode error is the one to report
			return nil, false, err
		}
		parts = append(parts, bm)
	}
	return parts, true, it.Close()
}

// bsiRange evaluates lo <= x <= hi over the bit-sliced index (O'Neil and
// Quass): scanning the bits from the most significant, docs whose prefix
// equals the bound's prefix stay in eq, and they drop into the result as
// soon as one of their bits decides the comparison.
func (ix bitmapIndex) bsiRange(f query.Field, lo, hi uint64) (*roaring.Bitmap, error) {
	exists, err := ix.Exists(f)
	if err != nil {
		return nil, err
	}
	p, err := ix.fieldPrefix(f, tagSlice)
	if err != nil {
		return nil, err
	}
	var slice [sliceBits]*roaring.Bitmap
	for b := range sliceBits {
		if slice[b], err = ix.read(appendSliceKey(slices.Clip(p), b)); err != nil {
			return nil, err
		}
	}
	ge := bsiCompare(exists, &slice, lo, true)
	le := bsiCompare(exists, &slice, hi, false)
	ge.And(le)
	return ge, nil
}

// bsiCompare returns the docs of exists whose value is >= c (ge) or <= c.
func bsiCompare(exists *roaring.Bitmap, slice *[sliceBits]*roaring.Bitmap, c uint64, ge bool) *roaring.Bitmap {
	if (ge && c == 0) || (!ge && c == math.MaxUint64) {
		return exists.Clone()
	}
	res := roaring.New()
	eq := exists.Clone()
	for b := sliceBits - 1; b >= 0 && !eq.IsEmpty(); b-- {
		bitSet := c&(1<<b) != 0
		switch {
		case ge && !bitSet: // docs with this bit set are greater
			res.Or(roaring.And(eq, slice[b]))
			eq.AndNot(slice[b])
		case !ge && bitSet: // docs with this bit clear are smaller
			res.Or(roaring.AndNot(eq, slice[b]))
			eq.And(slice[b])
		case bitSet:
			eq.And(slice[b])
		default:
			eq.AndNot(slice[b])
		}
	}
	res.Or(eq) // equal to c
	return res
}
