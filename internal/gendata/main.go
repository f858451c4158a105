// Command gendata writes a generated clustered vector set for benchmarks:
// base and query vectors (fvecs) drawn around the same random centres, and
// the exact top-100 squared-L2 ground truth of the queries (ivecs), so vecdb
// and its peers can be measured on identical files.
//
//	go run ./internal/gendata -n 1000000 -dim 128 -out /tmp/synth1m
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/quant"
)

func main() {
	n := flag.Int("n", 1000000, "base vectors")
	nq := flag.Int("queries", 1000, "query vectors")
	dim := flag.Int("dim", 128, "dimension")
	clusters := flag.Int("clusters", 1000, "cluster centres")
	spread := flag.Float64("spread", 0.35, "standard deviation around a centre (centres are N(0,1))")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "", "output folder (required)")
	meta := flag.Bool("meta", false, "also write meta.jsonl (u: int uniform in [0, 10000), uncorrelated with the vectors; pos: bool, the sign of the first coordinate, correlated with them) and split the queries by that sign into queries_pos.fvecs and queries_neg.fvecs")
	flag.Parse()
	if *out == "" || *n < 1 || *nq < 1 || *dim < 1 || *clusters < 1 {
		fmt.Fprintln(os.Stderr, "gendata: -out is required; -n, -queries, -dim and -clusters must be positive")
		os.Exit(2)
	}
	if err := run(*n, *nq, *dim, *clusters, float32(*spread), *seed, *out, *meta); err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}

func run(n, nq, dim, clusters int, spread float32, seed uint64, out string, meta bool) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, 0x6e6))
	centres := make([]float32, clusters*dim)
	for i := range centres {
		centres[i] = float32(r.NormFloat64())
	}
	draw := func(count int) []float32 {
		v := make([]float32, count*dim)
		for i := range count {
			c := centres[r.IntN(clusters)*dim:]
			for j := range dim {
				v[i*dim+j] = c[j] + spread*float32(r.NormFloat64())
			}
		}
		return v
	}
	base, queries := draw(n), draw(nq)
	if err := writeFvecs(filepath.Join(out, "base.fvecs"), base, dim); err != nil {
		return err
	}
	if err := writeFvecs(filepath.Join(out, "queries.fvecs"), queries, dim); err != nil {
		return err
	}
	truth := groundTruth(base, queries, dim, 100)
	if err := vecio.WriteIvecsFile(filepath.Join(out, "truth.ivecs"), truth); err != nil {
		return err
	}
	if !meta {
		return nil
	}
	return writeMeta(out, r, base, queries, dim)
}

// writeMeta writes the attributes of the filtered benchmarks and the
// queries split by the correlated attribute.
func writeMeta(out string, r *rand.Rand, base, queries []float32, dim int) error {
	f, err := os.Create(filepath.Join(out, "meta.jsonl"))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := 0; i < len(base); i += dim {
		fmt.Fprintf(w, "{\"u\":%d,\"pos\":%t}\n", r.IntN(10000), base[i] > 0)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	var pos, neg []float32
	for i := 0; i < len(queries); i += dim {
		if queries[i] > 0 {
			pos = append(pos, queries[i:i+dim]...)
		} else {
			neg = append(neg, queries[i:i+dim]...)
		}
	}
	if err := writeFvecs(filepath.Join(out, "queries_pos.fvecs"), pos, dim); err != nil {
		return err
	}
	return writeFvecs(filepath.Join(out, "queries_neg.fvecs"), neg, dim)
}

func writeFvecs(path string, data []float32, dim int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var buf []byte
	for i := 0; i < len(data); i += dim {
		buf = vecio.AppendFvecs(buf[:0], data[i:i+dim])
		if _, err := w.Write(buf); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// groundTruth returns the k nearest base rows of each query (squared L2,
// ties by lower row), on all cores.
func groundTruth(base, queries []float32, dim, k int) [][]int32 {
	nq := len(queries) / dim
	out := make([][]int32, nq)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			dist := make([]float32, len(base)/dim)
			for q := range next {
				quant.L2SquaredBatch(queries[q*dim:(q+1)*dim], base, dist)
				top := index.NewTopK(k)
				for i, d := range dist {
					top.Push(index.Hit{Doc: uint32(i), Distance: d})
				}
				for _, h := range top.Sorted(nil) {
					out[q] = append(out[q], int32(h.Doc))
				}
			}
		})
	}
	for q := range nq {
		next <- q
	}
	close(next)
	wg.Wait()
	return out
}
