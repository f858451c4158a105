package quant

import (
	"math/bits"

	"github.com/cockroachdb/errors"
)

// Kernels for the RaBitQ codec: the dot product of a vector's unsigned
// code (8 or 4 bits a coordinate) with the query quantised to int16, and the
// fast Walsh–Hadamard transform that makes up its random rotation. Each has
// a portable Go version and, on amd64, an AVX2 one giving exactly the same
// result, so that an estimate does not depend on the machine.

// rabitqDotBlock is the number of coordinates the dot-product lengths must be
// a multiple of: 64 codes of 8 or 4 bits, 64 or 32 bytes.
const rabitqDotBlock = 64

// rabitqMaxLen bounds the vectors the kernels take, the largest dimension a
// collection may have (db.MaxDim).
const rabitqMaxLen = 1 << 16

// The dot products are computed in int32 arithmetic, which wraps modulo
// 2^32 the same way in every kernel, so the result is the exact sum
// whenever that fits an int32, whatever the partial sums did. With q[i] in
// [-4095, 4095] (so terms up to 255*4095 and 15*4095) that is guaranteed
// up to these lengths; past them, callers must bound q by the length (for
// instance |q[i]| <= 127 lets dotU8I16 take 65536 coordinates).
const (
	dotU8I16ExactLen = 2048
	dotU4I16ExactLen = 34944
)

// rabitqKernel is one implementation of the three RaBitQ kernels after
// their checks.
type rabitqKernel struct {
	name     string
	dotU8I16 func(u []byte, q []int16) int32
	dotU4I16 func(u []byte, q []int16) int32
	fwht     func(x []float32)
}

// goRaBitQKernel is the portable implementation, which every platform has.
var goRaBitQKernel = rabitqKernel{"go", dotU8I16Go, dotU4I16Go, fwhtGo}

// dotU8I16 returns the sum over i of int32(u[i]) * int32(q[i]), computed in
// int32 arithmetic (modulo 2^32). len(u) must equal len(q) and be a multiple
// of 64 no larger than 65536 (0 is fine); anything else is a bug of the
// caller and panics with an assertion failure. The result is the exact sum
// when that fits an int32, as it does when q[i] is in [-4095, 4095] and
// len(u) <= 2048, or more generally when 255 * len(u) * max|q[i]| < 2^31.
func dotU8I16(u []byte, q []int16) int32 {
	if len(u) != len(q) || len(u)%rabitqDotBlock != 0 || len(u) > rabitqMaxLen {
		panic(errors.AssertionFailedf("quant: dotU8I16: len(u) = %d, len(q) = %d", len(u), len(q)))
	}
	if useAVX2RaBitQ {
		return dotU8I16AVX2(u, q)
	}
	return dotU8I16Go(u, q)
}

// dotU4I16 is dotU8I16 for 4-bit codes packed two a byte: coordinate i is
// u[i/2] >> (4*(i%2)) & 15, the even ones in the low nibbles. It returns the
// sum over i of that times int32(q[i]), modulo 2^32. len(q) must be
// 2*len(u), a multiple of 64 no larger than 65536; anything else panics
// with an assertion failure. The result is the exact sum when that fits an
// int32, as it does when q[i] is in [-4095, 4095] and len(q) <= 34944, or
// more generally when 15 * len(q) * max|q[i]| < 2^31.
func dotU4I16(u []byte, q []int16) int32 {
	if len(q) != 2*len(u) || len(q)%rabitqDotBlock != 0 || len(q) > rabitqMaxLen {
		panic(errors.AssertionFailedf("quant: dotU4I16: len(u) = %d, len(q) = %d", len(u), len(q)))
	}
	if useAVX2RaBitQ {
		return dotU4I16AVX2(u, q)
	}
	return dotU4I16Go(u, q)
}

// fwht applies the unnormalised fast Walsh–Hadamard transform to x in
// place: for h = 1, 2, 4, ... below n = len(x), for every i with i&h == 0,
// with a, b = x[i], x[i+h], it sets x[i], x[i+h] = a+b, a-b. This is x times
// the n×n Hadamard matrix H (H[i][j] = (-1)^popcount(i&j)), and applying it
// twice multiplies x by n. n must be a power of two in [64, 65536];
// anything else panics with an assertion failure.
//
// Every kernel computes each butterfly from the same two float32 inputs,
// so the result is the same, bit for bit, whatever the kernel (but for the
// payloads of NaNs, should the input hold some).
func fwht(x []float32) {
	if n := len(x); n < 64 || n > rabitqMaxLen || bits.OnesCount(uint(n)) != 1 {
		panic(errors.AssertionFailedf("quant: fwht: len(x) = %d", len(x)))
	}
	if useAVX2RaBitQ {
		fwhtAVX2(x)
		return
	}
	fwhtGo(x)
}

// dotU8I16Go is the portable dotU8I16. It keeps four partial sums, whose
// wrapping int32 additions give the same result in any order, and slices
// fixed-size arrays so that the compiler drops the bounds checks.
func dotU8I16Go(u []byte, q []int16) int32 {
	var s0, s1, s2, s3 int32
	for len(u) >= 8 && len(q) >= 8 {
		a := (*[8]byte)(u)
		b := (*[8]int16)(q)
		s0 += int32(a[0])*int32(b[0]) + int32(a[4])*int32(b[4])
		s1 += int32(a[1])*int32(b[1]) + int32(a[5])*int32(b[5])
		s2 += int32(a[2])*int32(b[2]) + int32(a[6])*int32(b[6])
		s3 += int32(a[3])*int32(b[3]) + int32(a[7])*int32(b[7])
		u, q = u[8:], q[8:]
	}
	return s0 + s1 + s2 + s3
}

// dotU4I16Go is the portable dotU4I16, four bytes (eight coordinates) at a
// time.
func dotU4I16Go(u []byte, q []int16) int32 {
	var s0, s1, s2, s3 int32
	for len(u) >= 4 && len(q) >= 8 {
		a := (*[4]byte)(u)
		b := (*[8]int16)(q)
		s0 += int32(a[0]&15)*int32(b[0]) + int32(a[0]>>4)*int32(b[1])
		s1 += int32(a[1]&15)*int32(b[2]) + int32(a[1]>>4)*int32(b[3])
		s2 += int32(a[2]&15)*int32(b[4]) + int32(a[2]>>4)*int32(b[5])
		s3 += int32(a[3]&15)*int32(b[6]) + int32(a[3]>>4)*int32(b[7])
		u, q = u[4:], q[8:]
	}
	return s0 + s1 + s2 + s3
}

// fwhtGo is the portable fwht. It does the stages 1 and 2 together, four
// floats at a time, which saves the loop below its overhead on runs of one
// or two floats; the butterflies, and so the result, are the same.
func fwhtGo(x []float32) {
	for i := 0; i+4 <= len(x); i += 4 {
		v := (*[4]float32)(x[i : i+4])
		s0, d0 := v[0]+v[1], v[0]-v[1]
		s1, d1 := v[2]+v[3], v[2]-v[3]
		v[0], v[2] = s0+s1, s0-s1
		v[1], v[3] = d0+d1, d0-d1
	}
	n := len(x)
	for h := 4; h < n; h *= 2 {
		for i := 0; i+2*h <= n; i += 2 * h {
			a := x[i : i+h]
			b := x[i+h : i+2*h]
			b = b[:len(a)]
			for j := range a {
				a[j], b[j] = a[j]+b[j], a[j]-b[j]
			}
		}
	}
}
