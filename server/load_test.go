package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vecdb/vecdb/client"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/server"
	"github.com/vecdb/vecdb/wire"
)

// The load test of the server: Searchers clients search concurrently, each
// a fixed number of queries, while one client upserts a batch of records
// per period; the same searches then run in process through db.Search,
// with the same writer beside them (the same write load in both runs, so
// the comparison is of the searches). The two alternate for a number of
// rounds, and the ratio reported is the median of the rounds' ratios: the
// machine's speed drifts between minutes, and a pair taken close together
// sees the same machine. It reports throughput, p50/p99 latency and
// errors. Loopback only; bounded in requests.

// loadSpec sizes one load run.
type loadSpec struct {
	records, dim int           // the collection
	searchers    int           // concurrent searching clients
	searches     int           // searches per client
	batch        int           // records per upsert
	every        time.Duration // one upsert per period, at most
	k            int
	rounds       int // pairs of runs, server then in process (default 1)
}

// loadResult is what a run (or several, added) measured.
type loadResult struct {
	errors  int
	elapsed time.Duration   // of the searches
	lat     []time.Duration // each search's latency
	upserts int             // batches answered 200
	batches []string        // the "batch" value of each batch answered 200
	acked   []string        // IDs of every record whose batch was answered 200
}

func (r loadResult) searches() int { return len(r.lat) }

func (r loadResult) qps() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

// quantile returns the q-quantile of the latencies.
func (r loadResult) quantile(q float64) time.Duration {
	lat := slices.Sorted(slices.Values(r.lat))
	return lat[min(len(lat)-1, int(q*float64(len(lat))))]
}

// add adds the figures of another run.
func (r *loadResult) add(o loadResult) {
	r.errors += o.errors
	r.elapsed += o.elapsed
	r.lat = append(r.lat, o.lat...)
	r.upserts += o.upserts
	r.batches = append(r.batches, o.batches...)
	r.acked = append(r.acked, o.acked...)
}

// loadDB makes the collection: spec.records clustered vectors with a
// keyword field "batch" ("base" for these) and an index, and returns the
// query vectors (as many as the searchers ask).
func loadDB(tb testing.TB, spec loadSpec) (*db.DB, [][]float32) {
	tb.Helper()
	vecs := vectest.Clustered(1, spec.records+spec.searchers*spec.searches, spec.dim, 64, 0.3)
	return indexedDB(tb, db.L2, vecs[:spec.records]), vecs[spec.records:]
}

// indexedDB opens a database in a temporary directory holding the
// collection "load" of base (IDs the row numbers, field "batch" = "base")
// with its default index.
func indexedDB(tb testing.TB, metric db.Metric, base [][]float32) *db.DB {
	tb.Helper()
	d, err := db.Open(tb.TempDir(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	if err := d.CreateCollection(db.Schema{Name: "load", Dim: len(base[0]), Metric: metric, Fields: []db.Field{{Name: "batch", Type: db.Keyword}}}); err != nil {
		tb.Fatal(err)
	}
	b := d.NewBatch()
	defer b.Close()
	for i, v := range base {
		if err := b.Put("load", strconv.Itoa(i), v, db.Meta{"batch": "base"}); err != nil {
			tb.Fatal(err)
		}
		if b.Len() == 10_000 || i == len(base)-1 {
			if err := d.Apply(b, nil); err != nil {
				tb.Fatal(err)
			}
			b.Reset()
		}
	}
	if _, err := d.BuildIndex(context.Background(), "load", nil); err != nil {
		tb.Fatal(err)
	}
	return d
}

// runLoad runs the searchers (search is one query's call) beside a writer
// (upsert is one batch's call) until every searcher is done. The writer's
// batches are named prefix0, prefix1, ... (their "batch" field; record IDs
// prefixN-I).
func runLoad(spec loadSpec, prefix string, queries [][]float32, search func(ctx context.Context, q []float32) error,
	upsert func(ctx context.Context, recs []wire.Record) error) loadResult {
	ctx := context.Background()
	var res loadResult
	var mu sync.Mutex
	lat := make([]time.Duration, 0, spec.searchers*spec.searches)
	done := make(chan struct{})
	writer := make(chan struct{})
	go func() { // the writer: a batch per period until the searchers finish
		defer close(writer)
		tick := time.NewTicker(spec.every)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			recs := make([]wire.Record, spec.batch)
			for i := range recs {
				v := queries[(n*spec.batch+i)%len(queries)]
				recs[i] = wire.Record{ID: fmt.Sprintf("%s%d-%d", prefix, n, i), Vector: v, Meta: map[string]any{"batch": fmt.Sprintf("%s%d", prefix, n)}}
			}
			if err := upsert(ctx, recs); err != nil {
				mu.Lock()
				res.errors++
				mu.Unlock()
				continue
			}
			mu.Lock()
			res.upserts++
			res.batches = append(res.batches, fmt.Sprintf("%s%d", prefix, n))
			for _, r := range recs {
				res.acked = append(res.acked, r.ID)
			}
			mu.Unlock()
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	for s := range spec.searchers {
		wg.Go(func() {
			mine := make([]time.Duration, 0, spec.searches)
			errs := 0
			for i := range spec.searches {
				t0 := time.Now()
				if err := search(ctx, queries[s*spec.searches+i]); err != nil {
					errs++
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			res.errors += errs
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	close(done)
	<-writer
	res.lat = lat
	return res
}

// serverLoad runs the load through a server on the loopback address and
// in process, on the same database.
func serverLoad(tb testing.TB, spec loadSpec) (viaServer, inProcess loadResult, ratio float64, d *db.DB) {
	d, queries := loadDB(tb, spec)
	viaServer, inProcess, ratio = compareLoad(tb, spec, d, queries)
	return viaServer, inProcess, ratio, d
}

// compareLoad runs the load on collection "load" of d through a server on
// the loopback address, then in process, spec.rounds times, and returns
// the runs added up and the median of the rounds' throughput ratios.
func compareLoad(tb testing.TB, spec loadSpec, d *db.DB, queries [][]float32) (viaServer, inProcess loadResult, ratio float64) {
	srv := server.New(d, nil)
	ts := httptest.NewServer(srv) // 127.0.0.1
	tb.Cleanup(func() { ts.Close(); _ = srv.Close() })
	c, err := client.New(ts.URL, nil) // its default transport keeps a connection per searcher
	if err != nil {
		tb.Fatal(err)
	}
	sink := wire.DBSink(d, "load")
	var ratios []float64
	for r := range max(spec.rounds, 1) {
		s := runLoad(spec, fmt.Sprintf("s%d.", r), queries,
			func(ctx context.Context, q []float32) error {
				_, err := c.Search(ctx, "load", &wire.SearchRequest{Vector: q, K: spec.k})
				return err
			},
			func(ctx context.Context, recs []wire.Record) error {
				_, err := c.Upsert(ctx, "load", recs)
				return err
			})
		p := runLoad(spec, fmt.Sprintf("p%d.", r), queries,
			func(ctx context.Context, q []float32) error {
				_, err := d.Search(ctx, "load", &db.SearchRequest{Vector: q, K: spec.k})
				return err
			},
			sink)
		ratios = append(ratios, s.qps()/p.qps())
		viaServer.add(s)
		inProcess.add(p)
	}
	slices.Sort(ratios)
	return viaServer, inProcess, ratios[len(ratios)/2]
}

// TestServerLoad: under 16 concurrent searching clients and a writer, no
// request fails, and every record of a batch the server answered 200 is
// there afterwards with its metadata filterable.
func TestServerLoad(t *testing.T) {
	spec := loadSpec{records: 5000, dim: 32, searchers: 16, searches: 40, batch: 50, every: 10 * time.Millisecond, k: 10}
	if testing.Short() {
		spec.records, spec.searches = 2000, 10
	}
	srv, inproc, ratio, d := serverLoad(t, spec)
	t.Logf("server: %d searches in %s (%.0f q/s), p50 %s, p99 %s, %d upserts; in process: %.0f q/s; ratio %.2f",
		srv.searches(), srv.elapsed, srv.qps(), srv.quantile(0.5), srv.quantile(0.99), srv.upserts, inproc.qps(), ratio)
	if srv.errors != 0 || inproc.errors != 0 {
		t.Fatalf("%d errors through the server, %d in process; want 0", srv.errors, inproc.errors)
	}
	if srv.upserts == 0 {
		t.Fatal("the writer got no batch in while the searchers ran")
	}
	for _, id := range srv.acked {
		if _, err := d.Get("load", id); err != nil {
			t.Fatalf("acknowledged record %s: %v", id, err)
		}
	}
	for _, batch := range srv.batches {
		sel, err := d.Select("load", fmt.Sprintf("batch = %q", batch))
		if err != nil {
			t.Fatal(err)
		}
		if got := sel.Len(); got != uint64(spec.batch) {
			t.Fatalf("filter batch = %q matches %d records, want %d", batch, got, spec.batch)
		}
	}
}

// BenchmarkServerLoad reports the load run's figures on 100,000
// generated 64-d vectors: search q/s through the server and in process
// (over all rounds), the median of the rounds' ratios, p50/p99 latency
// through the server, upserts, errors, and
// the process's peak RSS (server, clients and the in-process run
// together). b.N is ignored beyond running the fixed load once per call.
func BenchmarkServerLoad(b *testing.B) {
	spec := loadSpec{records: 100_000, dim: 64, searchers: 16, searches: 100, batch: 100, every: 50 * time.Millisecond, k: 10, rounds: 7}
	var srv, inproc loadResult
	var ratio float64
	for range b.N {
		srv, inproc, ratio, _ = serverLoad(b, spec)
	}
	reportLoad(b, srv, inproc, ratio)
}

// BenchmarkServerLoadGlove is BenchmarkServerLoad on glove-100k (100-d,
// cosine, the default index): its 1,000 queries, each searched by 4 of
// the 16 clients.
func BenchmarkServerLoadGlove(b *testing.B) {
	dir := vectest.DataDir(b, "glove-6b-100d-100k")
	read := func(name string) [][]float32 {
		r, err := vecio.OpenReader(filepath.Join(dir, name), vecio.Text)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		var out [][]float32
		for r.Next() {
			out = append(out, slices.Clone(r.Record().Vector))
		}
		if err := r.Err(); err != nil {
			b.Fatal(err)
		}
		return out
	}
	base, queries := read("glove.6B.100d.base100k.txt.gz"), read("glove.6B.100d.query1k.txt.gz")
	spec := loadSpec{searchers: 16, searches: 100, batch: 100, every: 50 * time.Millisecond, k: 10, rounds: 7}
	for len(queries) < spec.searchers*spec.searches {
		queries = append(queries, queries...)
	}
	var srv, inproc loadResult
	var ratio float64
	for range b.N {
		d := indexedDB(b, db.Cosine, base)
		srv, inproc, ratio = compareLoad(b, spec, d, queries)
	}
	reportLoad(b, srv, inproc, ratio)
}

// reportLoad reports a comparison's figures; ratio is the median of its
// rounds' ratios.
func reportLoad(b *testing.B, srv, inproc loadResult, ratio float64) {
	b.ReportMetric(srv.qps(), "server_qps")
	b.ReportMetric(inproc.qps(), "inprocess_qps")
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(float64(srv.quantile(0.5).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(srv.quantile(0.99).Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(srv.upserts), "upserts")
	b.ReportMetric(float64(inproc.upserts), "inprocess_upserts")
	b.ReportMetric(float64(srv.errors+inproc.errors), "errors")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak_rss_MB")
	}
}
