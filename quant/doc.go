// Package quant is vecdb's vector math: the distance metrics and their
// kernels (AVX2+FMA assembly on amd64, a portable Go fallback elsewhere or
// under the purego build tag). It has no storage and does no I/O; later it
// also holds k-means, product quantisation and ADC tables.
//
// Every metric is reported smaller-is-closer (see Metric).
//
// # Caveats
//
//   - All functions are goroutine-safe; batch functions write only the out
//     slice they are given, which callers must not share.
//   - Lengths are the caller's to validate at the API boundary: mismatched
//     lengths panic with an assertion failure rather than return an error.
//   - Assembly and portable kernels sum in different orders, so results may
//     differ in the last bits; tests compare them with a relative tolerance.
package quant
