package quant

import (
	"math"

	"github.com/cockroachdb/errors"
)

// This file holds the exported distance kernels. Each one checks its
// arguments and then calls the implementation in impl, which is the portable
// Go code in distance_portable.go unless an architecture file replaces it at
// init with assembly (distance_amd64.go: AVX2 and FMA).
//
// Every function here is goroutine-safe: it reads its inputs, writes only its
// output argument and keeps no state. Callers that share an output slice
// between goroutines must synchronise themselves.
//
// The kernels sum in a different order from the reference loops (several
// partial sums, fused multiply-add), so results differ from [DotRef] and
// [L2SquaredRef] by float rounding only: the difference is bounded by a small
// multiple of len * 2^-24 * sum(|a[i]*b[i]|).

// kernels is one implementation of the hot loops. The lengths have been
// checked by the caller: len(a) == len(b), len(data) == len(q)*len(out).
type kernels struct {
	name     string
	dot      func(a, b []float32) float32
	l2       func(a, b []float32) float32
	dotBatch func(q, data, out []float32)
	l2Batch  func(q, data, out []float32)
}

// impl is the implementation used by the exported functions. It is set
// during package initialisation and never changed afterwards (tests call the
// entries of allKernels directly instead of swapping it).
var impl = portableKernels

// DotProduct returns the inner product sum(a[i]*b[i]).
//
// It is named DotProduct, not Dot, because [Dot] is the [Metric].
//
// len(a) must equal len(b); otherwise DotProduct panics with an assertion
// failure, since callers validate dimensions at the API boundary. Empty
// slices give 0. It is goroutine-safe.
func DotProduct(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(errors.AssertionFailedf("quant: DotProduct: len(a) = %d != len(b) = %d", len(a), len(b)))
	}
	return impl.dot(a, b)
}

// L2Squared returns the squared Euclidean distance sum((a[i]-b[i])^2).
//
// len(a) must equal len(b); otherwise L2Squared panics with an assertion
// failure. Empty slices give 0. It is goroutine-safe.
func L2Squared(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(errors.AssertionFailedf("quant: L2Squared: len(a) = %d != len(b) = %d", len(a), len(b)))
	}
	return impl.l2(a, b)
}

// Norm2 returns the squared Euclidean norm sum(a[i]^2). It overflows to +Inf
// when that sum exceeds the float32 range. It is goroutine-safe.
func Norm2(a []float32) float32 {
	return impl.dot(a, a)
}

// Normalize scales v in place to unit Euclidean length and reports whether
// it did. If the norm of v is zero, or v holds an Inf or a NaN, Normalize
// returns false and leaves v untouched. A vector whose squared norm is tiny
// or overflows float32 (elements around 1e-10 or 1e19 and beyond) is still
// normalised, through a float64 path. It is safe to call concurrently on
// different vectors.
func Normalize(v []float32) bool {
	n := float64(Norm2(v))
	// The float32 sum is used only when it cannot have lost range to overflow
	// or precision to squares that underflowed (each loses < 2^-126, which is
	// negligible next to 1e-20 even for thousands of elements).
	if !(n >= 1e-20 && n <= math.MaxFloat32) {
		n = 0
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if !(n > 0) || math.IsInf(n, 0) {
			return false // zero, NaN or Inf
		}
	}
	s := 1 / math.Sqrt(n)
	for i, x := range v {
		v[i] = float32(float64(x) * s)
	}
	return true
}

// DotBatch sets out[i] to the inner product of q and row i of data, for
// every i < len(out). data holds len(out) rows of len(q) floats each, stored
// contiguously: row i is data[i*len(q) : (i+1)*len(q)].
//
// len(data) must equal len(q)*len(out); otherwise DotBatch panics with an
// assertion failure. It reads q and data and writes only out, so it is
// goroutine-safe as long as out is not shared.
func DotBatch(q, data, out []float32) {
	checkBatch("DotBatch", q, data, out)
	impl.dotBatch(q, data, out)
}

// L2SquaredBatch sets out[i] to the squared Euclidean distance between q and
// row i of data, with the same layout, length requirement and goroutine
// safety as [DotBatch].
func L2SquaredBatch(q, data, out []float32) {
	checkBatch("L2SquaredBatch", q, data, out)
	impl.l2Batch(q, data, out)
}

// Distance returns the distance between a and b under m, smaller meaning
// closer: [L2] gives the squared Euclidean distance, [Cosine] gives
// 1 - <a, b> (both vectors must already be unit-normalised, see [Normalize]),
// and [Dot] gives -<a, b>.
//
// len(a) must equal len(b) and m must be valid; otherwise Distance panics
// with an assertion failure. It is goroutine-safe.
func Distance(m Metric, a, b []float32) float32 {
	switch m {
	case L2:
		return L2Squared(a, b)
	case Cosine:
		return 1 - DotProduct(a, b)
	case Dot:
		return -DotProduct(a, b)
	}
	panic(errors.AssertionFailedf("quant: Distance: invalid metric %d", m))
}

// DistanceBatch sets out[i] to Distance(m, q, row i of data) for every
// i < len(out), with the layout of [DotBatch]. len(data) must equal
// len(q)*len(out) and m must be valid; otherwise DistanceBatch panics with
// an assertion failure. It is goroutine-safe as long as out is not shared.
func DistanceBatch(m Metric, q, data, out []float32) {
	switch m {
	case L2:
		L2SquaredBatch(q, data, out)
	case Cosine:
		DotBatch(q, data, out)
		for i, d := range out {
			out[i] = 1 - d
		}
	case Dot:
		DotBatch(q, data, out)
		for i, d := range out {
			out[i] = -d
		}
	default:
		panic(errors.AssertionFailedf("quant: DistanceBatch: invalid metric %d", m))
	}
}

func checkBatch(fn string, q, data, out []float32) {
	// Compare without multiplying, which could overflow for absurd lengths.
	if len(q) == 0 {
		if len(data) != 0 {
			panic(errors.AssertionFailedf("quant: %s: len(data) = %d, want 0 for an empty query", errors.Safe(fn), len(data)))
		}
		return
	}
	if len(data)%len(q) != 0 || len(data)/len(q) != len(out) {
		panic(errors.AssertionFailedf("quant: %s: len(data) = %d, want len(q)*len(out) = %d*%d",
			errors.Safe(fn), len(data), len(q), len(out)))
	}
}

// DotRef is the reference inner product: one plain loop accumulating in
// float32 in index order. It is exported so that tests in other packages can
// check kernels against it; it is slow and not meant for production use.
// It panics if len(a) != len(b).
func DotRef(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(errors.AssertionFailedf("quant: DotRef: len(a) = %d != len(b) = %d", len(a), len(b)))
	}
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// L2SquaredRef is the reference squared Euclidean distance, a plain loop like
// [DotRef]. It panics if len(a) != len(b).
func L2SquaredRef(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(errors.AssertionFailedf("quant: L2SquaredRef: len(a) = %d != len(b) = %d", len(a), len(b)))
	}
	var s float32
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}
