package quant

import (
	"encoding/binary"
	"math"

	"github.com/cockroachdb/errors"
)

// SQ8 is a scalar quantiser: each dimension d has a trained range
// [Min[d], Max[d]] cut into 255 equal steps, and each value is stored as
// the byte of the nearest step, so that a code is Dim bytes (a quarter of
// the float32 vector) and reconstructs every in-range value within half a
// step, (Max[d]-Min[d])/510. Values outside the range are clamped to it.
//
// It lives in this file because the files of package quant are shared out
// by name; it is not a product quantiser.
//
// An SQ8 is immutable once built: its methods are goroutine-safe, and its
// fields must not be modified.
type SQ8 struct {
	// Dim is the dimension of the vectors.
	Dim int
	// Min and Max hold each dimension's range, Dim values each, Min[d] <=
	// Max[d].
	Min, Max []float32
}

// TrainSQ8 returns the SQ8 whose ranges are the per-dimension minimum and
// maximum of the n = len(data)/dim vectors of data (row-major,
// contiguous). It returns an error if dim is outside 1 to 65536,
// len(data) is not a positive multiple of dim or data holds a NaN or an
// infinity. It does not modify data.
func TrainSQ8(data []float32, dim int) (*SQ8, error) {
	if dim < 1 || dim > maxPQDim {
		return nil, errors.Newf("quant: SQ8: dimension %d, want 1 to %d", dim, maxPQDim)
	}
	if len(data) == 0 || len(data)%dim != 0 {
		return nil, errors.Newf("quant: SQ8: %d values are not a positive multiple of dimension %d", len(data), dim)
	}
	sq := &SQ8{Dim: dim, Min: append([]float32(nil), data[:dim]...), Max: append([]float32(nil), data[:dim]...)}
	for i, x := range data {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, errors.Newf("quant: SQ8: vector %d holds %v", i/dim, x)
		}
		d := i % dim
		sq.Min[d] = min(sq.Min[d], x)
		sq.Max[d] = max(sq.Max[d], x)
	}
	return sq, nil
}

// Validate returns an error if Dim is outside 1 to 65536, Min or Max does
// not hold Dim values, a value is a NaN or an infinity, Min[d] > Max[d],
// or a range is too wide for float32 (Max[d]-Min[d] overflows).
func (sq *SQ8) Validate() error {
	if sq.Dim < 1 || sq.Dim > maxPQDim {
		return errors.Newf("quant: SQ8: dimension %d, want 1 to %d", sq.Dim, maxPQDim)
	}
	if len(sq.Min) != sq.Dim || len(sq.Max) != sq.Dim {
		return errors.Newf("quant: SQ8: %d minima and %d maxima for dimension %d", len(sq.Min), len(sq.Max), sq.Dim)
	}
	for d := range sq.Dim {
		lo, hi := sq.Min[d], sq.Max[d]
		if !(lo <= hi) || math.IsInf(float64(hi-lo), 0) || math.IsInf(float64(lo), 0) || math.IsInf(float64(hi), 0) {
			return errors.Newf("quant: SQ8: dimension %d has range [%v, %v]", d, lo, hi)
		}
	}
	return nil
}

// CodeSize returns the length of a code in bytes, Dim.
func (sq *SQ8) CodeSize() int { return sq.Dim }

// Encode appends the Dim-byte code of v to dst and returns the extended
// slice. len(v) must be Dim; otherwise Encode panics with an assertion
// failure. A NaN encodes as 0.
func (sq *SQ8) Encode(dst []byte, v []float32) []byte {
	if len(v) != sq.Dim || len(sq.Min) != sq.Dim || len(sq.Max) != sq.Dim {
		panic(errors.AssertionFailedf("quant: SQ8.Encode: len(v) = %d, want %d", len(v), sq.Dim))
	}
	for d, x := range v {
		lo, hi := sq.Min[d], sq.Max[d]
		var c float32
		if hi > lo {
			c = (x - lo) / (hi - lo) * 255
		}
		switch {
		case c >= 255:
			dst = append(dst, 255)
		case c > 0:
			dst = append(dst, byte(c+0.5))
		default: // negative, zero or NaN
			dst = append(dst, 0)
		}
	}
	return dst
}

// Decode appends the reconstruction of code, Dim values, each within its
// dimension's range, to dst and returns the extended slice. len(code) must be Dim; otherwise Decode
// panics with an assertion failure.
func (sq *SQ8) Decode(dst []float32, code []byte) []float32 {
	if len(code) != sq.Dim || len(sq.Min) != sq.Dim || len(sq.Max) != sq.Dim {
		panic(errors.AssertionFailedf("quant: SQ8.Decode: len(code) = %d, want %d", len(code), sq.Dim))
	}
	for d, c := range code {
		lo, hi := sq.Min[d], sq.Max[d]
		// Rounding can carry the top steps past Max when |Min| is much
		// larger than the range; clamp so every value decodes in range.
		dst = append(dst, min(lo+float32(c)*((hi-lo)/255), hi))
	}
	return dst
}

// A stored SQ8, all integers and floats little-endian:
//
//	+---------+---------+---------------------+---------------------+
//	| version | dim u32 | Min: dim float32    | Max: dim float32    |
//	| 1 byte  | 4 bytes |                     |                     |
//	+---------+---------+---------------------+---------------------+
//
// The encoding is exactly 5 + 8*dim bytes; nothing may follow it.
const sq8Version byte = 1

// sq8HeaderSize is the size of the version and dim.
const sq8HeaderSize = 5

// AppendBinary appends sq's encoding (see the layout above) to dst and
// returns the extended slice. It implements encoding.BinaryAppender and
// returns the error of [SQ8.Validate] if sq is invalid, in which case dst
// is returned unchanged. It is goroutine-safe.
func (sq *SQ8) AppendBinary(dst []byte) ([]byte, error) {
	if err := sq.Validate(); err != nil {
		return dst, errors.Wrap(err, "encoding SQ8")
	}
	dst = append(dst, sq8Version)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(sq.Dim))
	for _, v := range [][]float32{sq.Min, sq.Max} {
		for _, x := range v {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
		}
	}
	return dst, nil
}

// DecodeSQ8 decodes an SQ8 encoded by [SQ8.AppendBinary]. It checks the
// version, the dimension and the exact length before it allocates, then
// validates the ranges as [SQ8.Validate] does, and never panics. The SQ8
// does not alias b.
func DecodeSQ8(b []byte) (*SQ8, error) {
	if len(b) < sq8HeaderSize {
		return nil, errors.Newf("quant: SQ8 of %d bytes is shorter than its %d-byte header", len(b), sq8HeaderSize)
	}
	if b[0] != sq8Version {
		return nil, errors.Newf("quant: SQ8 format version %d, want %d", b[0], sq8Version)
	}
	dim := binary.LittleEndian.Uint32(b[1:])
	if dim < 1 || dim > maxPQDim {
		return nil, errors.Newf("quant: SQ8 dimension %d, want 1 to %d", dim, maxPQDim)
	}
	body := b[sq8HeaderSize:]
	if want := 8 * uint64(dim); uint64(len(body)) != want {
		return nil, errors.Newf("quant: SQ8 of dimension %d needs %d bytes of ranges, has %d", dim, want, len(body))
	}
	vals := make([]float32, 2*int(dim))
	for i := range vals {
		vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	sq := &SQ8{Dim: int(dim), Min: vals[:dim:dim], Max: vals[dim:]}
	if err := sq.Validate(); err != nil {
		return nil, errors.Wrap(err, "decoding SQ8")
	}
	return sq, nil
}
