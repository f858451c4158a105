//go:build !amd64 || purego

package word2vec

// prefetchRows is a no-op without assembly; see prefetch_amd64.go.
func prefetchRows(m []float32, ids []int32, dim int) {}
