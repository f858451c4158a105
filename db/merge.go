package db

import (
	"encoding/binary"
	"io"
	"math/bits"
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
	// the input length and reports malformed input as an error, but not
	// what the containers hold: checkRoaring does.
	if err := checkRoaring(b); err != nil {
		return sentinel.Mark(errors.Wrap(err, "decoding bitmap"), ErrCorruption)
	}
	if err := safeUnmarshal(bm, b); err != nil {
		return sentinel.Mark(errors.Wrap(err, "decoding bitmap"), ErrCorruption)
	}
	return nil
}

// The portable roaring format (github.com/RoaringBitmap/RoaringFormatSpec).
const (
	roaringCookie      = 12347 // low 16 bits; high 16: containers - 1; run flags follow
	roaringCookieNoRun = 12346 // then containers as uint32
	roaringNoOffsets   = 4     // with run flags, fewer containers have no offset table
	roaringArrayMax    = 4096  // more values make a bitmap container
)

// checkRoaring checks, in one pass over a serialized bitmap, what the
// decoder trusts without checking: container keys in increasing order,
// array values in increasing order, runs in order, apart and within their
// container, a bitmap container's cardinality matching its bits, and no
// bytes after the last container. A bitmap that breaks them decodes
// without an error and then answers wrong or panics (keys out of order
// made a filtered index search index past its dense copy of the live
// set). The library's own Bitmap.Validate checks the same but compares
// every pair of runs: tens of milliseconds for one large bitmap.
func checkRoaring(b []byte) error {
	le := binary.LittleEndian
	pos := 0
	next := func(n int) ([]byte, error) {
		if n < 0 || len(b)-pos < n {
			return nil, errors.Newf("roaring bitmap truncated at byte %d", pos)
		}
		pos += n
		return b[pos-n : pos], nil
	}
	h, err := next(4)
	if err != nil {
		return err
	}
	cookie := le.Uint32(h)
	var size int
	var runs []byte
	switch {
	case cookie&0xffff == roaringCookie:
		size = int(cookie>>16) + 1
		if runs, err = next((size + 7) / 8); err != nil {
			return err
		}
	case cookie == roaringCookieNoRun:
		if h, err = next(4); err != nil {
			return err
		}
		if n := le.Uint32(h); n <= 1<<16 {
			size = int(n)
		} else {
			return errors.Newf("roaring bitmap of %d containers", n)
		}
	default:
		return errors.Newf("roaring bitmap cookie %#x", cookie)
	}
	keycard, err := next(4 * size)
	if err != nil {
		return err
	}
	if runs == nil || size >= roaringNoOffsets {
		if _, err := next(4 * size); err != nil { // offsets: the decoder skips them
			return err
		}
	}
	prev := -1
	for i := range size {
		key, card := int(le.Uint16(keycard[4*i:])), int(le.Uint16(keycard[4*i+2:]))+1
		if key <= prev {
			return errors.Newf("roaring bitmap container %d: key %d after %d", i, key, prev)
		}
		prev = key
		switch {
		case runs != nil && runs[i/8]&(1<<(i%8)) != 0:
			h, err := next(2)
			if err != nil {
				return err
			}
			n := int(le.Uint16(h))
			iv, err := next(4 * n)
			if err != nil {
				return err
			}
			from, total := 0, 0 // from: the least value the next run may start at
			for r := range n {
				start, length := int(le.Uint16(iv[4*r:])), int(le.Uint16(iv[4*r+2:]))
				if start < from || start+length > 0xffff {
					return errors.Newf("roaring bitmap container %d: run %d [%d, %d] out of order or range", i, r, start, start+length)
				}
				from, total = start+length+1, total+length+1
			}
			if n == 0 || total != card {
				return errors.Newf("roaring bitmap container %d: %d runs of %d values, header says %d", i, n, total, card)
			}
		case card > roaringArrayMax:
			words, err := next(8192)
			if err != nil {
				return err
			}
			ones := 0
			for w := 0; w < len(words); w += 8 {
				ones += bits.OnesCount64(le.Uint64(words[w:]))
			}
			if ones != card {
				return errors.Newf("roaring bitmap container %d: %d bits set, header says %d", i, ones, card)
			}
		default:
			vals, err := next(2 * card)
			if err != nil {
				return err
			}
			for j := 2; j < len(vals); j += 2 {
				if le.Uint16(vals[j:]) <= le.Uint16(vals[j-2:]) {
					return errors.Newf("roaring bitmap container %d: values out of order at %d", i, j/2)
				}
			}
		}
	}
	if pos != len(b) {
		return errors.Newf("roaring bitmap: %d bytes after its last container", len(b)-pos)
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
