// Package quant is vecdb's vector math: the distance metrics and their
// kernels, k-means, product quantisation (PQ) with asymmetric-distance
// (ADC) lookup tables and scan, OPQ rotations, and SQ8 scalar
// quantisation. Hot kernels are AVX2(+FMA) assembly on amd64 with a
// portable Go fallback elsewhere or under the purego build tag. It has no
// storage and does no I/O; besides the standard library it uses gonum only
// for the SVD of OPQ's Procrustes step.
//
// Every metric is reported smaller-is-closer (see Metric).
//
// # Caveats
//
//   - All functions are goroutine-safe, and so are trained PQ, SQ8 and
//     CentroidSet values; batch functions, ADCScan and the table builders
//     write only the out slice they are given, which callers must not share.
//   - Build PQs with TrainPQ, NewPQ or DecodePQ: they lay the codebooks out
//     for the fast paths.
//   - k-means and PQ training are deterministic for a seed whatever the
//     thread count; machines with and without AVX2 may round differently.
//   - Lengths are the caller's to validate at the API boundary: mismatched
//     lengths panic with an assertion failure rather than return an error.
//   - Assembly and portable kernels sum in different orders, so results may
//     differ in the last bits; tests compare them with a relative tolerance.
package quant
