package db

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
)

// BenchmarkFilteredSearch measures filter evaluation plus exact search on
// 50k records written in 50 batches (so bitmaps carry many merge operands)
// with a range over many distinct float values and an equality.
func BenchmarkFilteredSearch(b *testing.B) {
	const n, dim = 50_000, 64
	dir := b.TempDir()
	d, err := Open(dir, &Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := d.CreateCollection(Schema{Name: "v", Dim: dim, Metric: L2, Fields: []Field{{Name: "price", Type: Float}, {Name: "cat", Type: Keyword}}}); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	vecs := vectest.Uniform(1, n, dim)
	bt := d.NewBatch()
	for i, v := range vecs {
		if err := bt.Put("v", strconv.Itoa(i), v, Meta{"price": float64(r.IntN(10000)) / 100, "cat": strconv.Itoa(r.IntN(8))}); err != nil {
			b.Fatal(err)
		}
		if bt.Len() == 1000 {
			if err := d.Apply(bt, nil); err != nil {
				b.Fatal(err)
			}
			bt.Reset()
		}
	}
	ctx := context.Background()
	for _, reopen := range []bool{false, true} {
		if reopen {
			if err := d.Close(); err != nil {
				b.Fatal(err)
			}
			if d, err = Open(dir, &Options{NoSync: true}); err != nil {
				b.Fatal(err)
			}
		}
		for _, filter := range []string{"", `cat = "3"`, "price < 5", "price < 50"} {
			b.Run("reopened="+strconv.FormatBool(reopen)+"/filter="+filter, func(b *testing.B) {
				for b.Loop() {
					if _, err := d.Search(ctx, "v", &SearchRequest{Vector: vecs[0], K: 10, Filter: filter}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
}
