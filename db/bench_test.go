package db

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vecdb/vecdb/internal/membw"
	"github.com/vecdb/vecdb/internal/vectest"
)

var (
	bwMu sync.Mutex
	bw   = map[int]float64{}
)

// readBandwidth measures the machine's single-thread streaming read
// bandwidth over a buffer of the given size (the scanned data's size, so
// that both sit at the same level of the cache hierarchy: this machine's
// L3 holds 260 MiB), once per size and process, so throughput can be
// quoted as a fraction of it measured in the same run.
func readBandwidth(bytes int) float64 {
	bwMu.Lock()
	defer bwMu.Unlock()
	if _, ok := bw[bytes]; !ok {
		bw[bytes] = membw.ReadBandwidth(bytes, time.Second)
	}
	return bw[bytes]
}

// BenchmarkImport writes 100k generated 128-d vectors in synced batches of
// 1000 (the durable default), reporting vectors per second.
func BenchmarkImport(b *testing.B) {
	const n, dim, batch = 100_000, 128, 1000
	vecs := vectest.Uniform(1, n, dim)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	for _, sync := range []bool{true, false} {
		b.Run("n=100000/dim=128/sync="+strconv.FormatBool(sync), func(b *testing.B) {
			b.ReportAllocs()
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				d, err := Open(b.TempDir(), &Options{NoSync: !sync})
				if err != nil {
					b.Fatal(err)
				}
				if err := d.CreateCollection(Schema{Name: "v", Dim: dim, Metric: L2}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				bt := d.NewBatch()
				for i := range n {
					if err := bt.Put("v", ids[i], vecs[i], nil); err != nil {
						b.Fatal(err)
					}
					if bt.Len() == batch {
						if err := d.Apply(bt, nil); err != nil {
							b.Fatal(err)
						}
						bt.Reset()
					}
				}
				elapsed += time.Since(start)
				b.StopTimer()
				if err := d.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "vectors/s")
			b.ReportMetric(float64(n*b.N*dim*4)/elapsed.Seconds()/1e6, "MB/s")
		})
	}
}

// BenchmarkExactSearch runs single exact queries over 100k generated 128-d
// vectors on one goroutine and reports the scan rate as a fraction of the
// machine's measured single-thread read bandwidth ("bw-frac"), plus a
// batch of queries over all cores.
func BenchmarkExactSearch(b *testing.B) {
	const n, dim = 100_000, 128
	d, err := Open(b.TempDir(), &Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := d.CreateCollection(Schema{Name: "v", Dim: dim, Metric: L2, Fields: []Field{{Name: "g", Type: Int}}}); err != nil {
		b.Fatal(err)
	}
	vecs := vectest.Clustered(2, n, dim, 100, 0.5)
	bt := d.NewBatch()
	for i, v := range vecs {
		if err := bt.Put("v", strconv.Itoa(i), v, Meta{"g": i % 100}); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.Apply(bt, nil); err != nil {
		b.Fatal(err)
	}
	queries := vectest.Clustered(3, 64, dim, 100, 0.5)
	ctx := context.Background()
	bandwidth := readBandwidth(n * dim * 4)
	for _, filter := range []string{"", "g < 50", "g = 1"} {
		b.Run("n=100000/dim=128/single/filter="+filter, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := d.Search(ctx, "v", &SearchRequest{Vector: queries[i%len(queries)], K: 10, Filter: filter}); err != nil {
					b.Fatal(err)
				}
				i++
			}
			qps := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(qps, "qps")
			if filter == "" {
				b.ReportMetric(qps*n*dim*4/bandwidth, "bw-frac")
				b.ReportMetric(bandwidth/1e9, "bw-GB/s")
			}
		})
	}
	b.Run("n=100000/dim=128/batch64/all-cores", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.SearchMany(ctx, "v", queries, &SearchRequest{K: 10}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(queries)*b.N)/b.Elapsed().Seconds(), "qps")
	})
}
