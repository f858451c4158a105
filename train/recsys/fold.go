package recsys

import (
	"slices"
	"sync"

	"github.com/cockroachdb/errors"
)

// Folder computes ALS user vectors against fixed item factors: the same
// least-squares solve [TrainALS] does for each user, so folding in a
// training user's items reproduces that user's trained vector. It holds the
// items' Gram matrix, so each [Folder.FoldIn] costs one Factors×Factors
// system, not a pass over all items.
//
// A Folder is goroutine-safe. It keeps a reference to the item factors,
// which must not be modified while it is in use.
type Folder struct {
	dim   int
	items []float32
	gram  []float64
	pool  sync.Pool // *alsSolver
}

// NewFolder returns a Folder for itemFactors (row-major, dim columns), with
// the Alpha and Lambda of opts (nil means [DefaultALSOptions]); they must
// be the values the factors were trained with. opts.Factors is ignored in
// favour of dim. Computing the Gram matrix uses opts.Threads goroutines.
func NewFolder(itemFactors []float32, dim int, opts *ALSOptions) (*Folder, error) {
	o, err := resolveALSOptions(opts)
	if err != nil {
		return nil, err
	}
	if dim < 1 || dim > maxFactors {
		return nil, errors.Newf("recsys: fold-in dimension %d out of range [1, %d]", dim, maxFactors)
	}
	if len(itemFactors)%dim != 0 {
		return nil, errors.Newf("recsys: %d item floats is not a multiple of dimension %d", len(itemFactors), dim)
	}
	fo := &Folder{
		dim: dim, items: itemFactors,
		gram: gram(itemFactors, dim, threadsOrDefault(o.Threads)),
	}
	fo.pool.New = func() any { return newALSSolver(dim, o.Alpha, o.Lambda) }
	return fo, nil
}

// NumItems returns the number of items the Folder solves against.
func (fo *Folder) NumItems() int { return len(fo.items) / fo.dim }

// FoldIn returns the user vector for the given items and weights (nil
// weights mean 1 each), appended to dst[:0] (dst may be nil). Items may
// come in any order; repeated items are summed, as [ReadInteractions] sums
// duplicate lines. An item out of range, a weights slice of the wrong
// length, or a negative or non-finite weight is an error. No items gives
// the zero vector.
func (fo *Folder) FoldIn(items []int32, weights []float32, dst []float32) ([]float32, error) {
	if weights != nil && len(weights) != len(items) {
		return nil, errors.Newf("recsys: %d weights for %d items", len(weights), len(items))
	}
	n := int32(fo.NumItems())
	sorted := true
	for k, i := range items {
		if i < 0 || i >= n {
			return nil, errors.Newf("recsys: fold-in item %d out of range [0, %d)", i, n)
		}
		if weights != nil && !(weights[k] >= 0 && weights[k] <= maxFloat32) {
			return nil, errors.Newf("recsys: fold-in weight %v for item %d is not a finite non-negative number", weights[k], i)
		}
		sorted = sorted && (k == 0 || items[k-1] < i)
	}
	if weights == nil {
		weights = make([]float32, len(items))
		for k := range weights {
			weights[k] = 1
		}
	}
	if !sorted {
		items, weights = mergeDuplicates(items, weights)
	}
	dst = slices.Grow(dst[:0], fo.dim)[:fo.dim]
	s := fo.pool.Get().(*alsSolver)
	defer fo.pool.Put(s)
	if !s.solve(dst, fo.items, fo.gram, items, weights) {
		return nil, errors.New("recsys: fold-in system is not positive definite (NaN or overflow in the item factors?)")
	}
	return dst, nil
}

// mergeDuplicates returns copies of items and weights sorted by item, with
// repeated items' weights summed.
func mergeDuplicates(items []int32, weights []float32) ([]int32, []float32) {
	order := make([]int, len(items))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(items[a]) - int(items[b]) })
	outI := make([]int32, 0, len(items))
	outW := make([]float32, 0, len(items))
	for _, k := range order {
		if n := len(outI); n > 0 && outI[n-1] == items[k] {
			outW[n-1] += weights[k]
			continue
		}
		outI = append(outI, items[k])
		outW = append(outW, weights[k])
	}
	return outI, outW
}

// FoldIn is a one-off [Folder.FoldIn]: it builds the Gram matrix of
// itemFactors (row-major, factors columns) and solves for one user. For
// repeated calls, keep a [Folder].
func FoldIn(itemFactors []float32, factors int, items []int32, weights []float32, opts *ALSOptions) ([]float32, error) {
	fo, err := NewFolder(itemFactors, factors, opts)
	if err != nil {
		return nil, err
	}
	return fo.FoldIn(items, weights, nil)
}
