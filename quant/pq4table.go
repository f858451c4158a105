package quant

import (
	"math"

	"github.com/cockroachdb/errors"
)

// pq4Table builds the fast-scan lookup table of a PQ4 query: for each of the
// m sub-quantisers, its 16 float distances and their quantisation to bytes
// in the lut layout of FastScanBlocks.
//
// For each sub-quantiser i in [0, m) and entry j in [0, 16), with
// t = a[16i+j] + b[16i+j] (t = a[16i+j] when b is nil):
//
//   - ft[16i+j] = t;
//   - lo_i is the minimum of the 16 values t, and span the largest range
//     max_j t - lo_i over the sub-quantisers;
//   - delta = span / 255, or 1 when that is 0, NaN or infinite;
//   - lut[(i/2)*32 + (i%2)*16 + j] = byte(int32((t - lo_i) * (1/delta) + 0.5)),
//     computed in float32 without fusing the multiply and the add, so that
//     every kernel gives the same bytes. (t - lo_i) / delta is at most about
//     255, so for finite inputs the entry fits a byte without clamping.
//
// When m is odd, the 16 entries of the padding sub-quantiser m are set to 0,
// as FastScanBlocks needs. It returns delta and base, the sum of the lo_i,
// so that a distance is about base + delta * (sum of the lut entries).
//
// The minimum and maximum follow the Go loop below: they start from t at
// j = 0 and skip later NaN values. So every kernel gives the same bytes for
// any input, although the bytes mean little unless the values are finite.
// A tiny nonzero span (below about 255 * 2^-128) makes 1/delta infinite and
// its entries 0; distances from the fast-scan tables are only estimates, and
// the float tables in ft remain exact.
func pq4Table(a, b []float32, m int, ft []float32, lut []byte) (base, delta float32) {
	if m < 1 || m > maxPQ4M || len(a) < m*PQ4Centroids || (b != nil && len(b) < m*PQ4Centroids) ||
		len(ft) < m*PQ4Centroids || len(lut) < (m+1)/2*32 {
		panic(errors.AssertionFailedf("quant: pq4Table: m = %d, len(a) = %d, len(b) = %d, len(ft) = %d, len(lut) = %d",
			m, len(a), len(b), len(ft), len(lut)))
	}
	if useAVX2PQ4Table {
		return pq4TableAVX2(a, b, m, ft, lut)
	}
	return pq4TableGo(a, b, m, ft, lut)
}

// pq4TableKernel is one implementation of pq4Table after its checks.
type pq4TableKernel struct {
	name  string
	table func(a, b []float32, m int, ft []float32, lut []byte) (base, delta float32)
}

// pq4Delta returns the quantisation step for the largest span: span / 255,
// or 1 when span is 0, negative, NaN or infinite, for which no step would
// map the values onto [0, 255].
func pq4Delta(span float32) float32 { return levelsDelta(span, 255) }

// levelsDelta is pq4Delta for levels instead of 255.
func levelsDelta(span, levels float32) float32 {
	delta := span / levels
	if !(delta > 0) || math.IsInf(float64(delta), 1) {
		return 1
	}
	return delta
}

// pq4TableGo is the portable kernel. It writes ft and finds the minima and
// the span in one pass, then quantises from ft, which is still in the cache.
func pq4TableGo(a, b []float32, m int, ft []float32, lut []byte) (base, delta float32) {
	var mins [maxPQ4M]float32
	return levelsTable(a, b, m, 255, ft, lut, mins[:m])
}

// levelsTable is pq4TableGo for any m (mins holds m values of working
// memory), quantising to levels instead of 255: RaBitQ's tables of more
// than 256 nibbles use fewer levels, so that their 16-bit sums cannot
// overflow.
func levelsTable(a, b []float32, m int, levels float32, ft []float32, lut []byte, mins []float32) (base, delta float32) {
	var span float32
	for i := range m {
		t := (*[PQ4Centroids]float32)(ft[i*PQ4Centroids:])
		ta := (*[PQ4Centroids]float32)(a[i*PQ4Centroids:])
		var lo, hi float32
		if b != nil {
			tb := (*[PQ4Centroids]float32)(b[i*PQ4Centroids:])
			lo = ta[0] + tb[0]
			hi = lo
			for j := range t {
				v := ta[j] + tb[j]
				t[j] = v
				if v < lo {
					lo = v
				}
				if v > hi {
					hi = v
				}
			}
		} else {
			lo, hi = ta[0], ta[0]
			for j, v := range ta {
				t[j] = v
				if v < lo {
					lo = v
				}
				if v > hi {
					hi = v
				}
			}
		}
		mins[i] = lo
		if hi-lo > span {
			span = hi - lo
		}
	}
	delta = levelsDelta(span, levels)
	inv := 1 / delta
	for i := range m {
		lo := mins[i]
		base += lo
		t := (*[PQ4Centroids]float32)(ft[i*PQ4Centroids:])
		q := (*[PQ4Centroids]byte)(lut[i/2*32+(i%2)*16:])
		for j, v := range t {
			// The conversion to float32 keeps the compiler from fusing the
			// multiply and the add (it does with GOAMD64=v3 and on arm64),
			// which would round differently from the assembly.
			q[j] = byte(int32(float32((v-lo)*inv) + 0.5))
		}
	}
	if m%2 == 1 {
		clear(lut[m/2*32+16:][:PQ4Centroids])
	}
	return base, delta
}
