//go:build !purego

package word2vec

// prefetchRows asks the CPU to bring rows ids of m (dim float32s each) into
// the cache, one PREFETCHT0 per 64-byte line. Training is bound by the
// latency of fetching output rows for random negatives; requesting the
// rows of the next centre word while training the current one overlaps
// those fetches with work. Prefetches never fault, but the ids must still
// be valid rows for the hint to be of use.
//
//go:noescape
func prefetchRows(m []float32, ids []int32, dim int)
