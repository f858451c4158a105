package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/wire"
)

// defaultBenchNProbe is the --nprobe default: powers of two up to 64,
// which spans the useful range of an IVF index from "one list" to "most of
// the recall" for the list counts that build picks.
const defaultBenchNProbe = "1,2,4,8,16,32,64"

// benchWarmup is the number of queries each run issues, untimed, before its
// timed loop, so the first run does not pay for loading the vectors (or the
// index lists) into memory.
const benchWarmup = 10

// benchOptions are the flags of bench.
type benchOptions struct {
	queries string
	format  string
	truth   string
	k       int
	nprobe  string
	refine  int
	exact   bool
	filter  string
	plot    string
	batch   bool
	post    bool
	warmup  int
	// codesOnly is --refine 0 given: searches answer from the codes.
	codesOnly bool
}

// benchJSON is the JSON document bench prints. The contract's keys are k
// and runs; the others describe the setting.
type benchJSON struct {
	K          int            `json:"k"`
	Collection string         `json:"collection"`
	Queries    int            `json:"queries"`
	Filter     string         `json:"filter,omitempty"`
	Refine     int            `json:"refine"`
	Truth      string         `json:"truth"`
	Runs       []benchRunJSON `json:"runs"`
	// Memory is what the database held at the end (its budget and
	// caches), Process what the process did (peak and resident memory).
	Memory  *wire.Memory `json:"memory,omitempty"`
	Process *processJSON `json:"process,omitempty"`
}

// benchRunJSON is one run: one search setting over every query.
type benchRunJSON struct {
	NProbe int     `json:"nprobe"`
	Exact  bool    `json:"exact,omitempty"`
	Recall float64 `json:"recall"`
	QPS    float64 `json:"qps"`
	P50MS  float64 `json:"p50_ms"`
	P99MS  float64 `json:"p99_ms"`
	// QPSBatch (with --batch) is the throughput of all queries as one
	// SearchMany call on all cores.
	QPSBatch float64 `json:"qps_batch,omitempty"`
}

// label names the run in the table and the plot: its nprobe, or "exact".
func (r *benchRunJSON) label() string {
	if r.Exact {
		return "exact"
	}
	return strconv.Itoa(r.NProbe)
}

func (c *cli) benchCommand() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench COLL --queries FILE [--truth FILE] [-k 10] [--nprobe 1,4,16,...] [--refine R] [--exact] [--filter EXPR] [--plot FILE.png]",
		Short: "Measure recall@k, queries per second and latency of searches",
		Long: `Measure the recall@k, throughput and latency of searching COLL with every query
of --queries (fvecs, bvecs, npy or text, format from the name unless --format),
once per --nprobe value (default ` + defaultBenchNProbe + `), each run with
--refine R. --exact adds a run of exact search, reported with nprobe 0 (and
"exact": true in JSON, "exact" in the table and the plot). An empty --nprobe
"" with --exact measures exact search alone. Until the collection has an IVF
index (vecdb build) every run is an exact search, and a note on stderr says so.

Queries are issued one at a time, as a user sees them. Before each run's timed
loop, the first --warmup queries (default ` + strconv.Itoa(benchWarmup) + `) are searched untimed, so the
first run does not pay alone for what a fresh process reads first (pages of the
index's vector file; --warmup 1000 covers a typical query file once). qps = queries / time of the timed loop;
p50_ms and p99_ms are the nearest-rank percentiles of the per-query latency.

Ground truth: --truth FILE is a TEXMEX ivecs file with at least one row per
query; row i lists the nearest record IDs of query i as row numbers, matched to
record IDs as decimal strings (so it fits a collection imported from fvecs,
bvecs or npy; convert text vectors to fvecs to bench them). Negative entries
are padding; a row shorter than k counts what it has. The file must match
--filter, if any. Without --truth, bench computes the exact top k of every
query first (on all cores, honouring --filter, not timed).
recall@k of a query = |results ∩ truth[:k]| / min(k, truth row length), so
when fewer than k records match the filter, recall counts min(k, matches); a
query with no match at all counts 1. The runs report the mean over queries.

--plot FILE.png draws recall (x) against qps (y, log scale), one point per run.
--batch also times all queries as one batch on all cores ("qps_batch").

JSON: {"k":10,"collection":..,"queries":N,"filter":..,"refine":R,"truth":..,
"runs":[{"nprobe":..,"recall":..,"qps":..,"p50_ms":..,"p99_ms":..}, ...]}`,
		Args: args(1, 1, "COLL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.codesOnly = cmd.Flags().Changed("refine") && o.refine == 0
			return c.runBench(cmd.Context(), args[0], &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.queries, "queries", "", "file of query vectors (fvecs, bvecs, npy or text); required")
	f.StringVar(&o.format, "format", "", "format of --queries (default: from the file name)")
	f.StringVar(&o.truth, "truth", "", "ground-truth ivecs file (default: computed by exact search)")
	f.IntVarP(&o.k, "k", "k", db.DefaultK, "number of results per query")
	f.StringVar(&o.nprobe, "nprobe", defaultBenchNProbe, "comma-separated IVF list counts to probe, one run each")
	f.IntVar(&o.refine, "refine", 0, "re-rank depth factor of every nprobe run (not given: the index's default; 0: the codes alone, no raw vector read)")
	f.BoolVar(&o.exact, "exact", false, "add a run of exact search (reported as nprobe 0)")
	f.StringVar(&o.filter, "filter", "", "metadata filter expression")
	f.StringVar(&o.plot, "plot", "", "write a recall/qps chart to this PNG file")
	f.BoolVar(&o.post, "postfilter", false, "answer filtered nprobe runs by an unfiltered probe thinned by the filter (the usual plan elsewhere), for comparison")
	f.BoolVar(&o.batch, "batch", false, "also time all queries as one batch on all cores (qps_batch)")
	f.IntVar(&o.warmup, "warmup", benchWarmup, "queries searched untimed before each run (the first queries, cycling); a fresh process maps pages of the vector files as queries touch them")
	return cmd
}

// benchRun is one search setting to measure.
type benchRun struct {
	nprobe int
	exact  bool
}

// runs checks the flags and returns the runs they ask for: one per
// --nprobe value, in order, then the exact run.
func (o *benchOptions) runs() ([]benchRun, error) {
	if o.queries == "" {
		return nil, errors.New("--queries FILE is required")
	}
	if o.k < 1 || o.k > db.MaxK {
		return nil, errors.Newf("-k %d: want 1 to %d", o.k, db.MaxK)
	}
	if o.refine < 0 {
		return nil, errors.Newf("--refine %d: want 0 or more", o.refine)
	}
	if o.warmup < 0 {
		return nil, errors.Newf("--warmup %d: want 0 or more", o.warmup)
	}
	nprobes, err := parseNProbe(o.nprobe)
	if err != nil {
		return nil, err
	}
	var runs []benchRun
	for _, n := range nprobes {
		runs = append(runs, benchRun{nprobe: n})
	}
	if o.exact {
		runs = append(runs, benchRun{exact: true})
	}
	if len(runs) == 0 {
		return nil, errors.New("nothing to measure: give --nprobe values or --exact")
	}
	return runs, nil
}

// parseNProbe parses the --nprobe list: positive integers separated by
// commas (and optional spaces); an empty list means no nprobe runs.
func parseNProbe(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, errors.Newf("--nprobe %q: %q is not a positive integer", s, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func (c *cli) runBench(ctx context.Context, coll string, o *benchOptions) error {
	runs, err := o.runs()
	if err != nil {
		return errors.Wrap(err, "bench")
	}
	nprobeRuns := !runs[0].exact
	out := benchJSON{K: o.k, Collection: coll, Filter: o.filter, Refine: o.refine, Truth: "exact search", Runs: []benchRunJSON{}}
	if o.truth != "" {
		out.Truth = o.truth
	}
	err = c.withBackend(readMode, func(b backend) error {
		if _, ok := b.(*localBackend); !ok && o.post {
			return errors.New("--postfilter: not offered through a server")
		}
		s, err := b.Schema(ctx, coll)
		if err != nil {
			return err
		}
		qs, err := readQueries(o.queries, o.format, s)
		if err != nil {
			return err
		}
		if len(qs) == 0 {
			return errors.Newf("--queries %s has no vectors", o.queries)
		}
		out.Queries = len(qs)
		truth, err := benchTruth(ctx, b, coll, qs, o)
		if err != nil {
			return err
		}
		st, err := b.Stats(ctx, []string{coll})
		if err != nil {
			return err
		}
		if err := c.noteNoIndex(st.Collections[0].Index == nil, coll, nprobeRuns); err != nil {
			return err
		}
		for _, r := range runs {
			res, err := benchOne(ctx, b, coll, qs, truth, o, r)
			if err != nil {
				return err
			}
			out.Runs = append(out.Runs, res)
		}
		// What the database holds at the end, and, when it is this
		// process, the process's own memory.
		if st, err = b.Stats(ctx, []string{coll}); err != nil {
			return err
		}
		out.Memory = st.Memory
		if b.Process() {
			proc := readProcess()
			out.Process = &proc
		}
		return nil
	})
	if err != nil {
		return errors.Wrap(err, "bench")
	}
	if o.plot != "" {
		if err := writeBenchPlot(o.plot, &out); err != nil {
			return errors.Wrapf(err, "bench: --plot %s", o.plot)
		}
	}
	if c.json {
		return c.printJSON(out)
	}
	return c.printText(func(w io.Writer) { printBench(w, &out, o.plot) })
}

// noteNoIndex prints a note on stderr (stdout stays one JSON document
// with --json) when nprobe runs are asked of a collection that has no
// index, whose searches are all exact.
func (c *cli) noteNoIndex(noIndex bool, coll string, nprobeRuns bool) error {
	if !nprobeRuns || !noIndex {
		return nil
	}
	_, err := fmt.Fprintf(c.stderr, "note: collection %q has no index yet (see vecdb build), so every run is an exact search\n", coll)
	return errors.Wrap(err, "writing to stderr")
}

// benchTruth returns, for every query, the IDs of its true nearest records
// (at most k): the rows of the --truth file, or else the results of an
// exact search with the filter.
func benchTruth(ctx context.Context, b backend, coll string, qs [][]float32, o *benchOptions) ([][]string, error) {
	truth := make([][]string, len(qs))
	if o.truth == "" {
		res, err := b.Search(ctx, coll, &wire.SearchRequest{Queries: qs, K: o.k, Filter: o.filter, Exact: true})
		if err != nil {
			return nil, errors.Wrap(err, "computing the ground truth")
		}
		for i, rs := range res.Results {
			truth[i] = make([]string, len(rs))
			for j, r := range rs {
				truth[i][j] = r.ID
			}
		}
		return truth, nil
	}
	rows, err := vecio.ReadIvecs(o.truth)
	if err != nil {
		return nil, errors.Wrapf(err, "--truth %s", o.truth)
	}
	if len(rows) < len(qs) {
		return nil, errors.Newf("--truth %s has %d rows, fewer than the %d queries of %s",
			o.truth, len(rows), len(qs), o.queries)
	}
	for i := range qs {
		for _, id := range rows[i] {
			if len(truth[i]) == o.k {
				break
			}
			if id >= 0 { // negative entries pad rows with fewer neighbours
				truth[i] = append(truth[i], strconv.Itoa(int(id)))
			}
		}
	}
	return truth, nil
}

// benchOne measures one run: a warm-up, then every query one at a time.
func benchOne(
	ctx context.Context, b backend, coll string, qs [][]float32, truth [][]string, o *benchOptions, r benchRun,
) (benchRunJSON, error) {
	req := wire.SearchRequest{K: o.k, Filter: o.filter, NProbe: r.nprobe, PostFilter: o.post}
	if o.refine != 0 || o.codesOnly {
		req.Refine = &o.refine
	}
	name := "nprobe " + strconv.Itoa(r.nprobe)
	if r.exact {
		req = wire.SearchRequest{K: o.k, Filter: o.filter, Exact: true}
		name = "exact"
	}
	for i := range o.warmup {
		req.Vector = qs[i%len(qs)]
		if _, err := b.Search(ctx, coll, &req); err != nil {
			return benchRunJSON{}, errors.Wrapf(err, "%s: query %d", name, i+1)
		}
	}
	lat := make([]time.Duration, len(qs))
	var recall float64
	// One clock reading between consecutive queries: each latency is the
	// time from one reading to the next, and the loop time is their sum.
	prev := now()
	start := prev
	for i, q := range qs {
		req.Vector = q
		res, err := b.Search(ctx, coll, &req)
		t := now()
		if err != nil {
			return benchRunJSON{}, errors.Wrapf(err, "%s: query %d", name, i+1)
		}
		lat[i], prev = t.Sub(prev), t
		recall += hitsRecall(firstList(&res), truth[i])
	}
	total := max(prev.Sub(start), time.Nanosecond)
	slices.Sort(lat)
	var qpsBatch float64
	if o.batch {
		req.Vector, req.Queries = nil, qs
		start := now()
		if _, err := b.Search(ctx, coll, &req); err != nil {
			return benchRunJSON{}, errors.Wrapf(err, "%s: batch", name)
		}
		qpsBatch = roundTo(float64(len(qs))/max(now().Sub(start), time.Nanosecond).Seconds(), 1)
	}
	return benchRunJSON{
		QPSBatch: qpsBatch,
		NProbe:   r.nprobe,
		Exact:    r.exact,
		Recall:   roundTo(recall/float64(len(qs)), 6),
		QPS:      roundTo(float64(len(qs))/total.Seconds(), 1),
		P50MS:    roundTo(ms(percentile(lat, 50)), 3),
		P99MS:    roundTo(ms(percentile(lat, 99)), 3),
	}, nil
}

// queryRecall returns |res ∩ truth| / len(truth), where truth holds at most
// k IDs; an empty truth (nothing matches) counts as full recall.
func queryRecall(res []db.Result, truth []string) float64 {
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	return idRecall(ids, truth)
}

// hitsRecall is queryRecall of a result list in wire form.
func hitsRecall(res []wire.Hit, truth []string) float64 {
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	return idRecall(ids, truth)
}

// idRecall returns |ids ∩ truth| / len(truth); an empty truth counts as
// full recall.
func idRecall(ids, truth []string) float64 {
	if len(truth) == 0 {
		return 1
	}
	hits := 0
	for _, id := range ids {
		if slices.Contains(truth, id) {
			hits++
		}
	}
	return float64(hits) / float64(len(truth))
}

// percentile returns the nearest-rank p-th percentile of the sorted
// durations: the smallest value with at least p% of them at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

// roundTo rounds x to the given number of decimals (dividing by the power
// of ten gives the float64 nearest the decimal, so JSON shows it briefly).
func roundTo(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}

// printBench writes a header line and a table with one row per run.
func printBench(w io.Writer, b *benchJSON, plot string) {
	queries := "queries"
	if b.Queries == 1 {
		queries = "query"
	}
	fprintf(w, "bench %q: %d %s, k=%d", b.Collection, b.Queries, queries, b.K)
	if b.Filter != "" {
		fprintf(w, ", filter %s", b.Filter)
	}
	if b.Refine != 0 {
		fprintf(w, ", refine %d", b.Refine)
	}
	fprintf(w, ", truth: %s\n", b.Truth)
	batch := len(b.Runs) > 0 && b.Runs[0].QPSBatch > 0
	fprintf(w, "NPROBE\tRECALL@%d\tQPS\tP50_MS\tP99_MS", b.K)
	if batch {
		fprintf(w, "\tQPS_ALL_CORES")
	}
	fprintf(w, "\n")
	for _, r := range b.Runs {
		fprintf(w, "%s\t%.4f\t%s\t%.3f\t%.3f", r.label(), r.Recall, formatQPS(r.QPS), r.P50MS, r.P99MS)
		if batch {
			fprintf(w, "\t%s", formatQPS(r.QPSBatch))
		}
		fprintf(w, "\n")
	}
	if plot != "" {
		fprintf(w, "plot: %s\n", plot)
	}
	if p := b.Process; p != nil && p.Measured {
		fprintf(w, "process: peak RSS %s; now %s own, %s of mapped vector files and binary (page cache, reclaimable)\n",
			humanBytes(uint64(p.PeakRSS)), humanBytes(uint64(p.RSSAnon)), humanBytes(uint64(p.RSSFile)))
	}
	if m := b.Memory; m != nil {
		fprintf(w, "budget: %s; block cache %s, rows %s, lists %s, bitmaps %s in use; vector files mapped %s, %s resident\n",
			humanBytes(uint64(m.Budget)), humanBytes(uint64(m.BlockCacheUsed)), humanBytes(uint64(m.RowsUsed)),
			humanBytes(uint64(m.ListsUsed)), humanBytes(uint64(m.BitmapsUsed)), humanBytes(uint64(m.Mapped)), humanBytes(uint64(m.MappedResident)))
	}
}

// formatQPS renders a queries-per-second figure with one decimal below
// 100 and none above, where the decimal is noise.
func formatQPS(q float64) string {
	if q < 100 {
		return fmt.Sprintf("%.1f", q)
	}
	return fmt.Sprintf("%.0f", q)
}
