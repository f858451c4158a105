package db

import (
	"io"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// Bitmap values are kept with a merge operator so that a writer adds or
// removes doc ids without reading the whole bitmap. Every stored value and
// every operand is a delta:
//
//	+---------+---------------+------------------+-------------------+
//	| version | flags (1 byte)| adds len uvarint | adds (roaring)    | removes (roaring, rest)
//	+---------+---------------+------------------+-------------------+
//
// Applying a delta to a base bitmap gives (base - removes) | adds. Two deltas
// compose: newer after older = (adds_o - removes_n) | adds_n,
// (removes_o - adds_n) | removes_n. When the merge includes the base (the
// oldest operand), removes are dropped: the result is a plain set.
const (
	bitmapVersion  byte = 1
	mergerName          = "vecdb.bitmap.v1"
	maxBitmapBytes      = 1 << 30
)

var bitmapMerger = &pebble.Merger{
	Name: mergerName,
	Merge: func(key, value []byte) (pebble.ValueMerger, error) {
		return &bitmapMerge{operands: [][]byte{slices.Clone(value)}}, nil
	},
}

// bitmapMerge collects operands and folds them once, oldest first, at
// Finish: each operand is applied in place to one accumulator, so merging
// n small deltas into a large bitmap costs O(total size), not O(n x size).
type bitmapMerge struct {
	operands [][]byte // oldest first once older operands are prepended
	older    [][]byte // operands received by MergeOlder, newest first
}

// MergeNewer implements pebble.ValueMerger.
func (m *bitmapMerge) MergeNewer(value []byte) error {
	m.operands = append(m.operands, slices.Clone(value))
	return nil
}

// MergeOlder implements pebble.ValueMerger.
func (m *bitmapMerge) MergeOlder(value []byte) error {
	m.older = append(m.older, slices.Clone(value))
	return nil
}

// Finish implements pebble.ValueMerger.
func (m *bitmapMerge) Finish(includesBase bool) ([]byte, io.Closer, error) {
	var acc bitmapDelta
	first := true
	apply := func(b []byte) error {
		var d bitmapDelta
		if err := d.decode(b); err != nil {
			return err
		}
		if first {
			acc, first = d, false
			return nil
		}
		acc.adds.AndNot(d.removes)
		acc.adds.Or(d.adds)
		acc.removes.AndNot(d.adds)
		acc.removes.Or(d.removes)
		return nil
	}
	for i := len(m.older) - 1; i >= 0; i-- {
		if err := apply(m.older[i]); err != nil {
			return nil, nil, err
		}
	}
	for _, b := range m.operands {
		if err := apply(b); err != nil {
			return nil, nil, err
		}
	}
	if includesBase {
		return encodeBitmapDelta(acc.adds, nil), nil, nil
	}
	return encodeBitmapDelta(acc.adds, acc.removes), nil, nil
}

// bitmapDelta is a set of additions and removals of doc ids.
type bitmapDelta struct {
	adds, removes *roaring.Bitmap
}

func (d *bitmapDelta) decode(b []byte) error {
	if len(b) < 2 {
		return corruptionf("bitmap value: %d bytes, want at least 2", len(b))
	}
	if b[0] != bitmapVersion {
		return corruptionf("bitmap value: unknown version %d", b[0])
	}
	b = b[2:]
	n, k := uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) || n > maxBitmapBytes {
		return corruptionf("bitmap value: bad adds length")
	}
	d.adds = roaring.New()
	if err := unmarshalBitmap(d.adds, b[k:k+int(n)]); err != nil {
		return err
	}
	d.removes = roaring.New()
	return unmarshalBitmap(d.removes, b[k+int(n):])
}

func unmarshalBitmap(bm *roaring.Bitmap, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	// UnmarshalBinary copies; it validates the container headers against
	// the input length and reports malformed input as an error.
	if err := safeUnmarshal(bm, b); err != nil {
		return sentinel.Mark(errors.Wrap(err, "decoding bitmap"), ErrCorruption)
	}
	return nil
}

// safeUnmarshal decodes b into bm, turning a panic in the decoder into an
// error: stored bytes must never crash the process.
func safeUnmarshal(bm *roaring.Bitmap, b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Newf("malformed roaring bitmap: %v", r)
		}
	}()
	return bm.UnmarshalBinary(b)
}

func encodeBitmapDelta(adds, removes *roaring.Bitmap) []byte {
	var ab []byte
	if adds != nil && !adds.IsEmpty() {
		adds.RunOptimize()
		ab, _ = adds.ToBytes() // cannot fail: writes to a bytes.Buffer
	}
	out := []byte{bitmapVersion, 0}
	out = appendUvarint(out, uint64(len(ab)))
	out = append(out, ab...)
	if removes != nil && !removes.IsEmpty() {
		removes.RunOptimize()
		rb, _ := removes.ToBytes() // cannot fail: writes to a bytes.Buffer
		out = append(out, rb...)
	}
	return out
}

// decodeBitmapValue returns the set a stored (fully merged) value denotes.
func decodeBitmapValue(b []byte) (*roaring.Bitmap, error) {
	var d bitmapDelta
	if err := d.decode(b); err != nil {
		return nil, err
	}
	return d.adds, nil
}
