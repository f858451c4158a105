package db

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
	"github.com/vecdb/vecdb/query"
)

// BenchmarkRowRead measures what a raw vector costs from each place it can
// live, per row ("ns/row"): the constants of rows.go's cost model and the
// README's choice of the vector file rest on it. 200k x 128 (100 MB of
// rows), with a budget of 64 MiB (a block cache of 32 MiB: most reads of
// the storage engine miss it and go to the page cache) and of 1 GiB (it
// holds every block).
//
//   - fetch: re-ranking's access, 100 scattered docs per op, from the
//     mapped vector file, from memory (a Flat), from the storage engine
//     one point read each (what a layout without the file would pay), and
//     from the storage engine with one iterator seeking the sorted docs
//     (what rowSource does for rows newer than the file);
//   - scan: an exact scan's access, every row in order, from the file and
//     from the storage engine's iterator.
func BenchmarkRowRead(b *testing.B) {
	for _, cache := range []int64{64 << 20, 1 << 30} {
		b.Run(fmt.Sprintf("cache=%dMiB", cache>>20), func(b *testing.B) { benchRowRead(b, cache) })
	}
}

func benchRowRead(b *testing.B, cache int64) {
	const n, dim, fetch = 200_000, 128, 100
	d, err := Open(b.TempDir(), &Options{NoSync: true, CacheBytes: cache})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := d.CreateCollection(Schema{Name: "v", Dim: dim, Metric: L2}); err != nil {
		b.Fatal(err)
	}
	vecs := vectest.Uniform(1, n, dim)
	putAll(b, d, "v", vecs, 0, 5000, nil)
	flat := query.NewFlat(dim)
	for i, v := range vecs {
		flat.Set(uint32(i), v)
	}
	flat.Publish(n)
	if _, err := d.BuildIndex(context.Background(), "v", &BuildOptions{Seed: 1, Lists: 256}); err != nil {
		b.Fatal(err)
	}
	if err := d.pdb.Flush(); err != nil {
		b.Fatal(err)
	}
	c, err := d.coll("v")
	if err != nil {
		b.Fatal(err)
	}
	ix, unhold, err := d.acquireIndex(c)
	if err != nil {
		b.Fatal(err)
	}
	defer unhold()
	snap := d.pdb.NewSnapshot()
	defer snap.Close()
	inFile := d.rows(c, snap, ix, nil)
	// The same collection as if it had no vector file: every row from
	// the storage engine.
	inStore := &rowSource{c: c, snap: snap, tailN: n}
	r := rand.New(rand.NewPCG(1, 2))
	sets := make([][]uint32, 256)
	for i := range sets {
		for range fetch {
			sets[i] = append(sets[i], uint32(r.IntN(n)))
		}
	}
	perRow := func(b *testing.B, rows int) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	}
	sink := float32(0)
	use := func(_ int, row []float32) { sink += row[0] }
	// Warm the page cache and the file's checksums, as a serving process
	// is after its first queries (the build dropped the file's pages).
	if err := inFile.Scan(nil, func(blk query.Block) bool { return true }); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i += 16 {
		_ = inFile.Fetch([]uint32{uint32(i)}, use)
	}
	b.Run("fetch/file", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if err := inFile.Fetch(sets[i%len(sets)], use); err != nil {
				b.Fatal(err)
			}
			i++
		}
		perRow(b, fetch)
	})
	b.Run("fetch/memory", func(b *testing.B) {
		v := flat.View()
		i := 0
		for b.Loop() {
			_ = v.Fetch(sets[i%len(sets)], use)
			i++
		}
		perRow(b, fetch)
	})
	b.Run("fetch/store-get", func(b *testing.B) {
		i := 0
		var buf []float32
		for b.Loop() {
			for _, doc := range sets[i%len(sets)] {
				if buf, err = readVector(snap, c, doc, buf); err != nil {
					b.Fatal(err)
				}
				sink += buf[0]
			}
			i++
		}
		perRow(b, fetch)
	})
	b.Run("fetch/store-sorted", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if err := inStore.Fetch(slices.Clone(sets[i%len(sets)]), use); err != nil {
				b.Fatal(err)
			}
			i++
		}
		perRow(b, fetch)
	})
	// A scan scores every row against a query, as exact search does.
	q := vecs[0]
	dist := make([]float32, scanBlockRows)
	scan := func(rows query.Rows) func(b *testing.B) {
		return func(b *testing.B) {
			for b.Loop() {
				err := rows.Scan(nil, func(blk query.Block) bool {
					m := blk.Len(dim)
					quant.DistanceBatch(quant.L2, q, blk.Rows, dist[:m])
					sink += dist[0]
					return true
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			perRow(b, n)
		}
	}
	b.Run("scan/file", scan(inFile))
	b.Run("scan/memory", scan(flat.View()))
	b.Run("scan/store", scan(inStore))
	_ = sink
}
