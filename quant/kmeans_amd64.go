//go:build !purego

package quant

import (
	"math"
	"unsafe"

	"github.com/cockroachdb/errors"
)

var avx2Nearest = nearestKernel{name: "avx2", nearest: nearestAVX2}

// allNearest lists every nearest-centroid kernel that can run on this
// machine, the portable one first, so that tests can compare them.
var allNearest = []nearestKernel{portableNearest}

// useAVX2Nearest selects the kernel Nearest, KMeans and PQ encoding use
// (see nearestRows). It is set during package initialisation and never
// changed afterwards.
var useAVX2Nearest = hasAVX2FMA

func init() {
	if useAVX2Nearest {
		allNearest = append(allNearest, avx2Nearest)
	}
}

// nearest4AVX2 scores rows x0..x3 (dim floats each) against npanels panels
// of 16 centroids (panels: npanels*dim*16 floats, norms: npanels*16) and
// folds the scores into best: for row r, best[16r+l] is the smallest score
// (float32 bits) seen in lane l and best[16r+8+l] its centroid index, where
// the first panel's centroids are numbered from base. Lane l sees centroids
// 16p+l and 16p+8+l of each panel p, in increasing order, and takes a score
// only when it is strictly smaller, so ties keep the lowest index. The four
// row pointers may be equal. If out is not nil, nearest4AVX2 then reduces
// each row's lanes to the index of its smallest score (the lowest index
// among equal scores) in out[r]. In kmeans_amd64.s.
//
//go:noescape
func nearest4AVX2(x0, x1, x2, x3 *float32, dim int, panels, norms *float32, npanels, base int, best *[64]uint32, out *[4]int32)

// nearest1AVX2 returns what nearest4AVX2 would for the row x (from base 0,
// over all npanels panels, reduced), with a quarter of the work. npanels
// must be a positive multiple of 4. In kmeans_amd64.s.
//
//go:noescape
func nearest1AVX2(x *float32, dim int, panels, norms *float32, npanels int) int32

// nearestBlockBytes is the size of the panel blocks nearestAVX2 runs a
// group of rows against: small enough to stay in the L1 cache while the
// group's rows stream through it, so that the panels are read from L2 once
// per group instead of once per four rows.
const nearestBlockBytes = 24 << 10

// nearestGroup is the number of row quads scored against one panel block.
const nearestGroup = 16

// nearestAVX2 runs nearest4AVX2 on groups of four rows; a last group of
// fewer rows repeats its last row. When the panels do not fit in L1 it
// scores nearestGroup quads against each block of panels in turn.
func nearestAVX2(t *centroidTable, data []float32, stride int, assign []int32) {
	n := len(assign)
	if n == 0 {
		return
	}
	// The caller guarantees these; check them once, since the assembly
	// cannot.
	np := t.npanels()
	if t.dim < 1 || len(data) < (n-1)*stride+t.dim || len(t.panels) != np*t.dim*panelWidth {
		panic(errors.AssertionFailedf("quant: nearestAVX2: %d rows of stride %d in %d floats, table of %d panels", n, stride, len(data), np))
	}
	base := unsafe.Pointer(unsafe.SliceData(data))
	row := func(i int) *float32 { return (*float32)(unsafe.Add(base, uintptr(min(i, n-1)*stride)*4)) }
	panelFloats := t.dim * panelWidth
	block := max(1, nearestBlockBytes/(panelFloats*4))
	if n == 1 && np%4 == 0 {
		assign[0] = nearest1AVX2(row(0), t.dim, unsafe.SliceData(t.panels), unsafe.SliceData(t.norms), np)
		return
	}
	if np <= block {
		// One call per quad does it all (the PQ case: 256 centroids of a few
		// dimensions).
		for i := 0; i < n; i += 4 {
			best, out := bestInit, [4]int32{}
			nearest4AVX2(row(i), row(i+1), row(i+2), row(i+3), t.dim,
				unsafe.SliceData(t.panels), unsafe.SliceData(t.norms), np, 0, &best, &out)
			copy(assign[i:min(i+4, n)], out[:])
		}
		return
	}
	var best [nearestGroup][64]uint32
	var out [nearestGroup][4]int32
	for g := 0; g < n; g += 4 * nearestGroup {
		quads := min(nearestGroup, (n-g+3)/4)
		for q := range quads {
			best[q] = bestInit
		}
		for p := 0; p < np; p += block {
			pb := min(block, np-p)
			panels, norms := &t.panels[p*panelFloats], &t.norms[p*panelWidth]
			last := p+pb == np
			for q := range quads {
				i := g + 4*q
				var res *[4]int32
				if last {
					res = &out[q]
				}
				nearest4AVX2(row(i), row(i+1), row(i+2), row(i+3), t.dim, panels, norms, pb, p*panelWidth, &best[q], res)
			}
		}
		for q := range quads {
			i := g + 4*q
			copy(assign[i:min(i+4, n)], out[q][:])
		}
	}
}

// bestInit is a best array with every lane at score +Inf, index 0.
var bestInit = func() (b [64]uint32) {
	inf := math.Float32bits(float32(math.Inf(1)))
	for r := range 4 {
		for l := range 8 {
			b[r*16+l] = inf
		}
	}
	return b
}()
