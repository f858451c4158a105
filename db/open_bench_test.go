package db

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
)

// BenchmarkOpenFirstSearch measures an embedded program's start-up: Open
// (read-only, as a shipped build is opened) and its first Search (nprobe
// 8, k 10), then Close, on a built collection of 1M x 128 clustered
// vectors, with the allocations of the whole. The collection is generated,
// imported and built once (about a minute on 2 cores; 100k with -short),
// or taken from $VECDB_BENCH_DB, a database with a built collection
// "bench" (bench/residency.sh leaves one in /tmp/vecdb-residency).
func BenchmarkOpenFirstSearch(b *testing.B) {
	dir := os.Getenv("VECDB_BENCH_DB")
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	if dir == "" {
		dir = b.TempDir()
		buildBenchCollection(b, dir, n)
	}
	q := vectest.Clustered(7, 1, 128, 1000, 0.35)[0]
	ctx := context.Background()
	b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d, err := Open(dir, &Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			res, err := d.Search(ctx, "bench", &SearchRequest{Vector: q, K: 10, NProbe: 8})
			if err != nil || len(res) != 10 {
				b.Fatalf("search: %d results, %v", len(res), err)
			}
			if err := d.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// buildBenchCollection writes n clustered 128-d vectors into a collection
// "bench" of a new database in dir and builds its index.
func buildBenchCollection(b *testing.B, dir string, n int) {
	b.Helper()
	d, err := Open(dir, &Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := d.CreateCollection(Schema{Name: "bench", Dim: 128, Metric: L2}); err != nil {
		b.Fatal(err)
	}
	const chunk = 50_000
	for start := 0; start < n; start += chunk {
		putAll(b, d, "bench", vectest.Clustered(uint64(1+start/chunk), min(chunk, n-start), 128, 1000, 0.35), start, 5000, nil)
	}
	if _, err := d.BuildIndex(context.Background(), "bench", &BuildOptions{Seed: 1}); err != nil {
		b.Fatal(err)
	}
}
