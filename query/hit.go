package query

import "github.com/vecdb/vecdb/index"

// Hit and TopK are the index package's result types, named here so
// callers of query need not import index.
type (
	Hit  = index.Hit
	TopK = index.TopK
)

// NewTopK returns an empty collector of the k best hits.
func NewTopK(k int) *TopK { return index.NewTopK(k) }
