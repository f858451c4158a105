// Package reduce fits linear dimensionality reductions on vectors and
// applies them: principal component analysis ([FitPCA], optionally
// whitened) and a seeded Gaussian random projection ([RandomProjection]).
// Both give a [Projection] y = M (x - mean), which [Projection.Config] and
// [Projection.Params] describe completely, so that [New] rebuilds it
// exactly (for example from a collection's stored metadata).
//
// The package is pure computation: it reads no database and writes no
// file.
//
// # Caveats
//
// A [Projection] is immutable and goroutine-safe. [FitPCA] holds an in x in
// float64 covariance matrix and a chunk of the sample per core in memory
// (784-d: about 5 MB plus 6 MB per core) and costs O(n x in^2) to
// accumulate plus O(in^3) for the eigen-decomposition. [Projection.Apply]
// accumulates in float32, so outputs agree with a float64 reference to
// about 1e-6 relative to the input's scale.
package reduce
