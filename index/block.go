package index

import (
	"encoding/binary"

	"github.com/cockroachdb/errors"
)

// A posting-list block holds the doc ids and codes of some of a list's
// entries. Doc ids ascend within a block and are delta-coded:
//
//	+---------+------------+-------------------+--------------------------------+-------------------+
//	| version | n uvarint  | codeSize uvarint  | first doc uvarint, n-1 deltas  | n x codeSize code |
//	+---------+------------+-------------------+--------------------------------+-------------------+
//
// PQ codes are near-random bytes, so they are stored as they are: general
// compressors gain nothing on them.
const blockVersion byte = 1

// MaxBlockEntries bounds the entries of one block.
const MaxBlockEntries = 1 << 20

// AppendBlock appends a block of len(docs) entries; codes holds
// len(docs)*codeSize bytes and docs must strictly ascend.
func AppendBlock(dst []byte, docs []uint32, codes []byte, codeSize int) ([]byte, error) {
	if len(codes) != len(docs)*codeSize || len(docs) > MaxBlockEntries {
		return nil, errors.AssertionFailedf("index: block of %d docs with %d code bytes (code size %d)", len(docs), len(codes), codeSize)
	}
	dst = append(dst, blockVersion)
	dst = binary.AppendUvarint(dst, uint64(len(docs)))
	dst = binary.AppendUvarint(dst, uint64(codeSize))
	prev := uint32(0)
	for i, d := range docs {
		if i > 0 && d <= prev {
			return nil, errors.AssertionFailedf("index: block doc ids not ascending (%d after %d)", d, prev)
		}
		dst = binary.AppendUvarint(dst, uint64(d-prev))
		prev = d
	}
	return append(dst, codes...), nil
}

// BlockLen returns the number of entries of an encoded block without
// decoding it.
func BlockLen(b []byte) (int, error) {
	if len(b) < 1 || b[0] != blockVersion {
		return 0, errors.Newf("index: block: bad version")
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 || n > MaxBlockEntries {
		return 0, errors.Newf("index: block: bad entry count")
	}
	return int(n), nil
}

// DecodeBlock appends a block's doc ids and codes to docs and codes. It
// checks every length against the input and never panics.
func DecodeBlock(b []byte, codeSize int, docs []uint32, codes []byte) ([]uint32, []byte, error) {
	if len(b) < 1 || b[0] != blockVersion {
		return nil, nil, errors.Newf("index: block: bad version")
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > MaxBlockEntries || n > uint64(len(b)) {
		return nil, nil, errors.Newf("index: block: bad entry count")
	}
	b = b[k:]
	cs, k := binary.Uvarint(b)
	if k <= 0 || cs != uint64(codeSize) {
		return nil, nil, errors.Newf("index: block: code size %d, want %d", cs, codeSize)
	}
	b = b[k:]
	doc := uint64(0)
	for i := uint64(0); i < n; i++ {
		delta, k := binary.Uvarint(b)
		if k <= 0 || (i > 0 && delta == 0) || doc+delta > 1<<32-1 {
			return nil, nil, errors.Newf("index: block: bad doc id %d", i)
		}
		doc += delta
		docs = append(docs, uint32(doc))
		b = b[k:]
	}
	if uint64(len(b)) != n*uint64(codeSize) {
		return nil, nil, errors.Newf("index: block: %d code bytes, want %d", len(b), n*uint64(codeSize))
	}
	return docs, append(codes, b...), nil
}
