package quant

// Portable kernels in plain Go, compiled on every platform. They are the
// implementation on non-amd64 platforms, under the purego build tag and on
// amd64 CPUs without AVX2 and FMA, and the baseline the assembly is tested
// against. Each inner loop keeps four independent partial sums so that the
// float additions can overlap, and is written so that the compiler proves
// every index in bounds (check with -gcflags=-d=ssa/check_bce).

var portableKernels = kernels{
	name:     "portable",
	dot:      dotPortable,
	l2:       l2Portable,
	dotBatch: dotBatchPortable,
	l2Batch:  l2BatchPortable,
}

// dotPortable requires len(a) == len(b).
func dotPortable(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	for len(a) >= 4 && len(b) >= 4 {
		s0 += a[0] * b[0]
		s1 += a[1] * b[1]
		s2 += a[2] * b[2]
		s3 += a[3] * b[3]
		a, b = a[4:], b[4:]
	}
	for i := range a {
		if i < len(b) {
			s0 += a[i] * b[i]
		}
	}
	return (s0 + s1) + (s2 + s3)
}

// l2Portable requires len(a) == len(b).
func l2Portable(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	for len(a) >= 4 && len(b) >= 4 {
		d0 := a[0] - b[0]
		d1 := a[1] - b[1]
		d2 := a[2] - b[2]
		d3 := a[3] - b[3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
		a, b = a[4:], b[4:]
	}
	for i := range a {
		if i < len(b) {
			d := a[i] - b[i]
			s0 += d * d
		}
	}
	return (s0 + s1) + (s2 + s3)
}

// dotBatchPortable requires len(data) == len(q)*len(out).
func dotBatchPortable(q, data, out []float32) {
	dim := len(q)
	for i := range out {
		out[i] = dotPortable(q, data[i*dim:(i+1)*dim])
	}
}

// l2BatchPortable requires len(data) == len(q)*len(out).
func l2BatchPortable(q, data, out []float32) {
	dim := len(q)
	for i := range out {
		out[i] = l2Portable(q, data[i*dim:(i+1)*dim])
	}
}
