package quant

import (
	"encoding/binary"
	"math"

	"github.com/cockroachdb/errors"
)

// A stored PQ, all integers and floats little-endian:
//
//	+---------+---------+--------+------------------------------------------+
//	| version | dim u32 | M u32  | codebooks: 256*dim float32               |
//	| 1 byte  | 4 bytes | 4 bytes| (sub-quantiser m's centroid j at         |
//	|         |         |        |  (m*256+j)*(dim/M), as in PQ.Codebooks)  |
//	+---------+---------+--------+------------------------------------------+
//
// The encoding is exactly 9 + 1024*dim bytes; nothing may follow it.
const pqVersion byte = 1

// pqHeaderSize is the size of the version, dim and M.
const pqHeaderSize = 9

// AppendBinary appends pq's encoding (see the layout above) to dst and
// returns the extended slice. It implements encoding.BinaryAppender and
// returns the error of [PQ.Validate] if pq is not a valid quantiser, in
// which case dst is returned unchanged. It is goroutine-safe.
func (pq *PQ) AppendBinary(dst []byte) ([]byte, error) {
	if err := pq.Validate(); err != nil {
		return dst, errors.Wrap(err, "encoding PQ")
	}
	dst = append(dst, pqVersion)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(pq.Dim))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(pq.M))
	for _, x := range pq.Codebooks {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
	}
	return dst, nil
}

// DecodePQ decodes a PQ encoded by [PQ.AppendBinary]. It checks the
// version, the shape (1 <= dim <= 65536, M dividing dim) and the exact
// length before it allocates, rejects NaN and infinite codebook values, and
// never panics. The PQ does not alias b.
func DecodePQ(b []byte) (*PQ, error) {
	if len(b) < pqHeaderSize {
		return nil, errors.Newf("quant: PQ of %d bytes is shorter than its %d-byte header", len(b), pqHeaderSize)
	}
	if b[0] != pqVersion {
		return nil, errors.Newf("quant: PQ format version %d, want %d", b[0], pqVersion)
	}
	dim := binary.LittleEndian.Uint32(b[1:])
	m := binary.LittleEndian.Uint32(b[5:])
	if dim < 1 || dim > maxPQDim || m < 1 || dim%m != 0 {
		return nil, errors.Newf("quant: PQ shape dim %d, M %d: want 1 <= dim <= %d and M dividing dim", dim, m, maxPQDim)
	}
	body := b[pqHeaderSize:]
	if want := uint64(PQCentroids) * uint64(dim) * 4; uint64(len(body)) != want {
		return nil, errors.Newf("quant: PQ of dim %d needs %d codebook bytes, has %d", dim, want, len(body))
	}
	cb := make([]float32, PQCentroids*int(dim))
	for i := range cb {
		cb[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	pq, err := NewPQ(int(dim), int(m), cb)
	if err != nil {
		return nil, errors.Wrap(err, "decoding PQ")
	}
	return pq, nil
}

// PQEncodedLen returns the length of the PQ encoding at the start of b,
// read from its header (9 + 1024 x dim bytes), so that a container can
// store other data after it. It checks only the header.
func PQEncodedLen(b []byte) (int, error) {
	if len(b) < pqHeaderSize || b[0] != pqVersion {
		return 0, errors.Newf("quant: not a PQ encoding")
	}
	dim := binary.LittleEndian.Uint32(b[1:])
	if dim < 1 || dim > maxPQDim {
		return 0, errors.Newf("quant: PQ dimension %d out of range", dim)
	}
	return pqHeaderSize + PQCentroids*int(dim)*4, nil
}
