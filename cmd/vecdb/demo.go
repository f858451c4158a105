package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
)

// demoOptions are the flags of demo.
type demoOptions struct {
	n, dim int
	seed   uint64
}

func (c *cli) demoCommand() *cobra.Command {
	o := demoOptions{n: 50000, dim: 64, seed: 1}
	cmd := &cobra.Command{
		Use:   "demo [--n 50000] [--dim 64] [--seed 1]",
		Short: "Generate a collection with metadata and run filtered searches on it",
		Long: `Run vecdb end to end on generated data: (re)create the collection "demo" in
--db, upsert --n clustered vectors with metadata (category, year, price, tags,
in_stock) in durable batches of 1000, run filtered exact searches, check each
against a brute-force scan, time a batch of queries on all cores, then build
the IVF-PQ index and measure its recall and speed against exact search.

The collection stays, so you can explore it afterwards, e.g.
  vecdb search demo --id 42 -k 5 --filter 'category = "books" AND year >= 2015'`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.n < 1 || o.n > 10_000_000 || o.dim < 1 || o.dim > db.MaxDim {
				return errors.Newf("demo: --n must be in [1, 10000000] and --dim in [1, %d]", db.MaxDim)
			}
			return c.withDB(false, true, func(d *db.DB) error { return c.runDemo(cmd.Context(), d, o) })
		},
	}
	cmd.Flags().IntVar(&o.n, "n", o.n, "number of records to generate")
	cmd.Flags().IntVar(&o.dim, "dim", o.dim, "vector dimension")
	cmd.Flags().Uint64Var(&o.seed, "seed", o.seed, "random seed")
	return cmd
}

var demoCategories = []string{"books", "music", "games", "garden", "tools", "toys", "food", "sports"}

// demoData generates clustered vectors (a cluster per category, so filters
// correlate with geometry as real metadata does) and their metadata.
func demoData(o demoOptions) ([][]float32, []db.Meta) {
	r := rand.New(rand.NewPCG(o.seed, 0xdecaf))
	centres := make([][]float32, len(demoCategories)*4)
	for i := range centres {
		centres[i] = make([]float32, o.dim)
		for j := range centres[i] {
			centres[i][j] = float32(r.NormFloat64())
		}
	}
	vecs := make([][]float32, o.n)
	metas := make([]db.Meta, o.n)
	for i := range vecs {
		c := r.IntN(len(centres))
		v := make([]float32, o.dim)
		for j := range v {
			v[j] = centres[c][j] + 0.6*float32(r.NormFloat64())
		}
		vecs[i] = v
		var tags []string
		for _, t := range []string{"sale", "new", "gift"} {
			if r.IntN(4) == 0 {
				tags = append(tags, t)
			}
		}
		metas[i] = db.Meta{
			"category": demoCategories[c%len(demoCategories)],
			"year":     1990 + r.IntN(35),
			"price":    math.Round(r.ExpFloat64()*2000) / 100,
			"tags":     tags,
			"in_stock": r.IntN(5) > 0,
		}
	}
	return vecs, metas
}

func (c *cli) runDemo(ctx context.Context, d *db.DB, o demoOptions) error {
	if err := d.DropCollection("demo"); err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	schema := db.Schema{Name: "demo", Dim: o.dim, Metric: db.L2, Fields: []db.Field{
		{Name: "category", Type: db.Keyword}, {Name: "year", Type: db.Int}, {Name: "price", Type: db.Float},
		{Name: "tags", Type: db.Keywords}, {Name: "in_stock", Type: db.Bool},
	}}
	if err := d.CreateCollection(schema); err != nil {
		return err
	}
	vecs, metas := demoData(o)
	out := c.stdout
	start := time.Now()
	bar := c.progressBar(int64(o.n), "upserting")
	b := d.NewBatch()
	defer b.Close()
	for i, v := range vecs {
		if err := b.Put("demo", strconv.Itoa(i), v, metas[i]); err != nil {
			return err
		}
		if b.Len() == 1000 || i == len(vecs)-1 {
			if err := d.Apply(b, nil); err != nil {
				return err
			}
			b.Reset()
			if bar != nil {
				_ = bar.Set(i + 1) // the bar is cosmetic
			}
		}
	}
	if bar != nil {
		_ = bar.Finish() // the bar is cosmetic
	}
	el := time.Since(start)
	fmt.Fprintf(out, "upserted %d records (%d-d, 5 metadata fields) into %q in %.2fs: %.0f records/s, synced batches of 1000\n\n",
		o.n, o.dim, d.Dir()+"#demo", el.Seconds(), float64(o.n)/el.Seconds())

	q := vecs[o.n/2]
	for _, f := range demoFilters {
		if err := c.demoSearch(ctx, d, out, q, f, vecs, metas); err != nil {
			return err
		}
	}
	queries := vecs[:min(200, o.n)]
	start = time.Now()
	exact, err := d.SearchMany(ctx, "demo", queries, &db.SearchRequest{K: 10})
	if err != nil {
		return err
	}
	el = time.Since(start)
	fmt.Fprintf(out, "%d exact top-10 queries over %d records on all cores: %.0f queries/s\n\n", len(queries), o.n, float64(len(queries))/el.Seconds())
	if o.n >= 1000 {
		if err := c.demoIndex(ctx, d, out, queries, exact); err != nil {
			return err
		}
	}
	// As many users as one per 25 records, 200 to 2,000: the default
	// demo's 50,000 records give 2,000.
	if err := c.demoRecommend(ctx, d, out, min(max(o.n/25, 200), 2000)); err != nil {
		return err
	}
	fmt.Fprintf(out, "explore it:\n  vecdb --db %s search demo --id 42 -k 5 --filter 'category = \"books\" AND year >= 2015' --explain\n  vecdb --db %s stats demo\n", d.Dir(), d.Dir())
	fmt.Fprintf(out, "  vecdb --db %s recommend --users demo_users --items demo_items --user user1 --filter 'genre = \"jazz\"'\n", d.Dir())
	return nil
}

// demoIndex builds the IVF-PQ index and measures its recall@10 against
// the exact results, unfiltered and under a filter, with the plan of one
// filtered query.
func (c *cli) demoIndex(ctx context.Context, d *db.DB, out io.Writer, queries [][]float32, exact [][]db.Result) error {
	st, err := d.BuildIndex(ctx, "demo", &db.BuildOptions{Seed: 1})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "built an IVF%d,PQ%d index in %.2fs (search defaults: nprobe %d, refine %d)\n",
		st.Lists, st.M, (st.Train + st.Encode + st.Write).Seconds(), st.NProbe, st.Refine)
	// The first queries of a process map the pages of the index's vector
	// file they touch; time a second pass, as a serving process runs.
	start := time.Now()
	if _, err := d.SearchMany(ctx, "demo", queries, &db.SearchRequest{K: 10}); err != nil {
		return err
	}
	first := time.Since(start)
	start = time.Now()
	approx, err := d.SearchMany(ctx, "demo", queries, &db.SearchRequest{K: 10})
	if err != nil {
		return err
	}
	el := time.Since(start)
	hits, total := 0, 0
	for i := range queries {
		want := map[string]bool{}
		for _, r := range exact[i] {
			want[r.ID] = true
		}
		for _, r := range approx[i] {
			if want[r.ID] {
				hits++
			}
		}
		total += len(exact[i])
	}
	fmt.Fprintf(out, "%d indexed top-10 queries on all cores: %.0f queries/s (the first pass, which maps the index's file: %.0f), recall@10 %.3f against exact search\n",
		len(queries), float64(len(queries))/el.Seconds(), float64(len(queries))/first.Seconds(), float64(hits)/float64(total))
	filter := `category = "books" AND year >= 2015`
	_, plans, err := d.Explain(ctx, "demo", queries[:1], &db.SearchRequest{K: 10, Filter: filter})
	if err != nil {
		return err
	}
	p := plans[0]
	fmt.Fprintf(out, "plan of a query filtered by %s: %s (%s), %d candidates (selectivity %.3f)\n\n",
		filter, p.Strategy, p.Reason, p.Candidates, p.Selectivity)
	return nil
}

// demoSearch runs one filtered search, prints it, and checks it against a
// brute-force scan of the generated data.
func (c *cli) demoSearch(ctx context.Context, d *db.DB, out io.Writer, q []float32, f demoFilter, vecs [][]float32, metas []db.Meta) error {
	filter := f.expr
	start := time.Now()
	res, err := d.Search(ctx, "demo", &db.SearchRequest{Vector: q, K: 5, Filter: filter, WithMeta: true})
	if err != nil {
		return err
	}
	el := time.Since(start)
	shown := filter
	if shown == "" {
		shown = "(no filter)"
	}
	fmt.Fprintf(out, "search k=5 %s: %d results in %.2f ms\n", shown, len(res), float64(el.Microseconds())/1000)
	for i, r := range res {
		fmt.Fprintf(out, "  %d. id=%-6s distance=%-10.4g category=%v year=%v price=%v tags=%v in_stock=%v\n",
			i+1, r.ID, r.Distance, r.Meta["category"], r.Meta["year"], r.Meta["price"], r.Meta["tags"], r.Meta["in_stock"])
	}
	want := demoBruteForce(q, vecs, metas, f.match, 5)
	got := make([]string, len(res))
	for i, r := range res {
		got[i] = r.ID
	}
	if !slices.Equal(got, want) {
		return errors.Newf("demo: search %q returned %v, brute force says %v", filter, got, want)
	}
	fmt.Fprintf(out, "  = brute-force scan of all %d records: same top 5\n\n", len(vecs))
	return nil
}

// demoFilter is a filter expression and the same condition in Go, for the
// brute-force check.
type demoFilter struct {
	expr  string
	match func(m db.Meta) bool
}

var demoFilters = []demoFilter{
	{"", func(db.Meta) bool { return true }},
	{`category = "books" AND year >= 2015`, func(m db.Meta) bool {
		return m["category"] == "books" && m["year"].(int) >= 2015
	}},
	{`price < 5 AND NOT tags IN ("sale") AND in_stock = true`, func(m db.Meta) bool {
		return m["price"].(float64) < 5 && !slices.Contains(m["tags"].([]string), "sale") && m["in_stock"] == true
	}},
	{`year BETWEEN 1990 AND 1991 AND category IN ("toys", "games")`, func(m db.Meta) bool {
		y := m["year"].(int)
		return y >= 1990 && y <= 1991 && (m["category"] == "toys" || m["category"] == "games")
	}},
}

// demoBruteForce returns the IDs of the k nearest matching records by a
// plain float64 scan, ties by lower row (insertion order).
func demoBruteForce(q []float32, vecs [][]float32, metas []db.Meta, match func(db.Meta) bool, k int) []string {
	type hit struct {
		i int
		d float64
	}
	var hits []hit
	for i, v := range vecs {
		if !match(metas[i]) {
			continue
		}
		var s float64
		for j, x := range v {
			diff := float64(x) - float64(q[j])
			s += diff * diff
		}
		hits = append(hits, hit{i, s})
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		if a.d < b.d {
			return -1
		}
		if a.d > b.d {
			return 1
		}
		return 0
	})
	ids := []string{}
	for _, h := range hits[:min(k, len(hits))] {
		ids = append(ids, strconv.Itoa(h.i))
	}
	return ids
}
