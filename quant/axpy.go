package quant

import "github.com/cockroachdb/errors"

// This file holds the update kernels of gradient-descent trainers (word2vec
// and its relatives): Axpy and the fused AxpyCross. As with the distance
// kernels, each exported function checks its lengths and then calls the
// implementation for this machine (axpy_amd64.go: AVX2 and FMA assembly;
// axpy_purego.go and the portable loops below otherwise).
//
// The kernels are goroutine-safe in the sense of the distance kernels: they
// write only their output slices. Trainers that run them concurrently on
// shared rows (Hogwild) accept the races that brings.
//
// The assembly uses fused multiply-add, so each element is rounded once
// instead of twice: results may differ from [AxpyRef] in the last bit.

// Axpy adds a*x to y: y[i] += a*x[i] for every i.
//
// len(x) must equal len(y); otherwise Axpy panics with an assertion
// failure, since callers validate dimensions at the API boundary. x and y
// may be the same slice but must not otherwise overlap.
func Axpy(a float32, x, y []float32) {
	if len(x) != len(y) {
		panic(errors.AssertionFailedf("quant: Axpy: len(x) = %d != len(y) = %d", len(x), len(y)))
	}
	axpy(a, x, y)
}

// AxpyCross does the two updates of a product term a*<x, y> at once: it adds
// a*y to z and a*x to y, reading every y[i] before changing it:
//
//	z[i] += a*y[i]
//	y[i] += a*x[i]
//
// This is the inner step of word2vec's negative sampling, where x is the
// input vector, y an output row and z the input's gradient; fusing the two
// passes reads y once.
//
// The three lengths must be equal; otherwise AxpyCross panics with an
// assertion failure. The slices must not overlap.
func AxpyCross(a float32, x, y, z []float32) {
	if len(x) != len(y) || len(y) != len(z) {
		panic(errors.AssertionFailedf("quant: AxpyCross: lengths %d, %d and %d differ", len(x), len(y), len(z)))
	}
	axpyCross(a, x, y, z)
}

// AxpyRef is the reference [Axpy], a plain loop, for tests in other
// packages. It panics if len(x) != len(y).
func AxpyRef(a float32, x, y []float32) {
	if len(x) != len(y) {
		panic(errors.AssertionFailedf("quant: AxpyRef: len(x) = %d != len(y) = %d", len(x), len(y)))
	}
	for i := range x {
		y[i] += a * x[i]
	}
}

// axpyPortable requires len(x) == len(y). The four-way unrolling lets the
// compiler drop the bounds checks and overlap the independent updates.
func axpyPortable(a float32, x, y []float32) {
	for len(x) >= 4 && len(y) >= 4 {
		y[0] += a * x[0]
		y[1] += a * x[1]
		y[2] += a * x[2]
		y[3] += a * x[3]
		x, y = x[4:], y[4:]
	}
	for i := range x {
		if i < len(y) {
			y[i] += a * x[i]
		}
	}
}

// axpyCrossPortable requires equal lengths.
func axpyCrossPortable(a float32, x, y, z []float32) {
	for len(x) >= 4 && len(y) >= 4 && len(z) >= 4 {
		y0, y1, y2, y3 := y[0], y[1], y[2], y[3]
		z[0] += a * y0
		z[1] += a * y1
		z[2] += a * y2
		z[3] += a * y3
		y[0] = y0 + a*x[0]
		y[1] = y1 + a*x[1]
		y[2] = y2 + a*x[2]
		y[3] = y3 + a*x[3]
		x, y, z = x[4:], y[4:], z[4:]
	}
	for i := range x {
		if i < len(y) && i < len(z) {
			yi := y[i]
			z[i] += a * yi
			y[i] = yi + a*x[i]
		}
	}
}

// axpyKernel is one implementation of the update kernels, for tests.
type axpyKernel struct {
	name  string
	axpy  func(a float32, x, y []float32)
	cross func(a float32, x, y, z []float32)
}

var portableAxpy = axpyKernel{name: "portable", axpy: axpyPortable, cross: axpyCrossPortable}
