package db

import (
	"encoding/binary"
	"math"
)

// Key layout. Every key starts with a family byte; all per-collection
// families continue with the collection id (uint32, big-endian), so one
// collection's keys of a family are one contiguous range and dropping a
// collection is a range deletion per family.
//
//	family   key                                            value
//	-------  ---------------------------------------------  ------------------------------
//	0x00     0x00 "format"                                   uint32 LE format version
//	0x00     0x00 "nextcoll"                                 uint32 LE next collection id
//	0x01     0x01 name                                       schema (see schema.go)
//	0x02     0x02 coll                                       uint32 LE next doc id
//	0x03     0x03 coll extID                                 uint32 BE doc id
//	0x04     0x04 coll doc(BE)                               doc record (see record.go)
//	0x05     0x05 coll doc(BE)                               dim x float32 LE
//	0x06     0x06 coll field(u16 BE) tag value               roaring bitmap (merge operator)
//	0x07     0x07 coll                                       roaring bitmap of live docs (merge)
//	0x08     0x08 coll gen(BE) 0x00                          IVF (index.IVF encoding)
//	0x08     0x08 coll gen(BE) 0x01 list(BE) seq(BE)         posting-list block (index block codec)
//	0x08     0x08 coll gen(BE) 0x02                          roaring bitmap of lists with blocks (merge)
//	0x08     0x08 coll gen(BE) 0x03                          recall calibration (see calibrate.go)
//	0x09     0x09 coll                                       index pointer (see ivf.go)
//
// In family 0x06 the tag is tagExists (value empty: docs that have the
// field), tagValue followed by the field value in an order-preserving
// encoding (see appendSortable*), so numeric ranges are key ranges, or
// tagSlice followed by a bit number (see sliceBits).
const (
	famMeta    byte = 0x00
	famCatalog byte = 0x01
	famNextDoc byte = 0x02
	famIDMap   byte = 0x03
	famDoc     byte = 0x04
	famVec     byte = 0x05
	famBitmap  byte = 0x06
	famLive    byte = 0x07
	famIndex   byte = 0x08
	famIdxPtr  byte = 0x09

	famEnd byte = 0x0a // one past the last family

	tagExists byte = 0x00
	tagValue  byte = 0x01
	tagSlice  byte = 0x02
)

var (
	keyFormat   = []byte("\x00format")
	keyNextColl = []byte("\x00nextcoll")
)

func appendCollPrefix(dst []byte, fam byte, coll uint32) []byte {
	dst = append(dst, fam)
	return binary.BigEndian.AppendUint32(dst, coll)
}

func catalogKey(name string) []byte { return append([]byte{famCatalog}, name...) }

func nextDocKey(coll uint32) []byte { return appendCollPrefix(nil, famNextDoc, coll) }

func liveKey(coll uint32) []byte { return appendCollPrefix(nil, famLive, coll) }

func appendIDMapKey(dst []byte, coll uint32, id string) []byte {
	return append(appendCollPrefix(dst, famIDMap, coll), id...)
}

func appendDocKey(dst []byte, fam byte, coll, doc uint32) []byte {
	return binary.BigEndian.AppendUint32(appendCollPrefix(dst, fam, coll), doc)
}

// docFromKey returns the doc id of a famDoc or famVec key.
func docFromKey(k []byte) (uint32, bool) {
	if len(k) != 9 {
		return 0, false
	}
	return binary.BigEndian.Uint32(k[5:]), true
}

func appendFieldPrefix(dst []byte, coll uint32, field uint16, tag byte) []byte {
	dst = binary.BigEndian.AppendUint16(appendCollPrefix(dst, famBitmap, coll), field)
	return append(dst, tag)
}

// sortableInt maps v to a uint64 whose order equals numeric order.
func sortableInt(v int64) uint64 { return uint64(v) ^ (1 << 63) }

// sortableFloat maps v (not NaN) to a uint64 whose order equals numeric
// order; -0 maps like +0.
func sortableFloat(v float64) uint64 {
	if v == 0 {
		v = 0
	}
	b := math.Float64bits(v)
	if b&(1<<63) != 0 {
		return ^b
	}
	return b | 1<<63
}

// appendSortableInt encodes v so that byte order equals numeric order.
func appendSortableInt(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, sortableInt(v))
}

// appendSortableFloat encodes v (not NaN) so that byte order equals numeric
// order; -0 is encoded as +0.
func appendSortableFloat(dst []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(dst, sortableFloat(v))
}

// Numeric fields also keep a bit-sliced index: for each bit b of the
// 64-bit sortable encoding, a bitmap of the docs whose encoding has bit b
// set. A range over a field with many distinct values (prices, timestamps)
// is then 64 steps of bitmap AND/ANDNOT (see bsiRange) instead of one key
// per distinct value, and a write adds at most 64 keys per numeric field
// per batch, however many distinct values the batch holds.
//
//	famBitmap coll field tagSlice bit(1 byte, 0 = least significant)
const sliceBits = 64

func appendSliceKey(prefix []byte, bit int) []byte { return append(prefix, byte(bit)) }

func indexGenPrefix(coll, gen uint32) []byte {
	return binary.BigEndian.AppendUint32(appendCollPrefix(nil, famIndex, coll), gen)
}

func indexIVFKey(coll, gen uint32) []byte { return append(indexGenPrefix(coll, gen), 0x00) }

func indexBlocksPrefix(coll, gen uint32) []byte { return append(indexGenPrefix(coll, gen), 0x01) }

func indexBlockKey(coll, gen uint32, list int, seq uint32) []byte {
	k := binary.BigEndian.AppendUint32(indexBlocksPrefix(coll, gen), uint32(list))
	return binary.BigEndian.AppendUint32(k, seq)
}

// indexBlockList returns the list of a block key under prefix p.
func indexBlockList(k []byte, p []byte) (int, bool) {
	if len(k) != len(p)+8 {
		return 0, false
	}
	return int(binary.BigEndian.Uint32(k[len(p):])), true
}

func indexPtrKey(coll uint32) []byte { return appendCollPrefix(nil, famIdxPtr, coll) }

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil // p is all 0xff: no upper bound
}
