package query

import (
	"context"
	"runtime"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/quant"
	"golang.org/x/sync/errgroup"
)

// IVF is an IVF index with its posting lists, as a search sees it.
type IVF struct {
	IVF   *index.IVF
	Lists index.ListSource
	// Count is the number of codes in the lists (live or not).
	Count int
}

// Params are the per-query knobs of an approximate search.
type Params struct {
	K, NProbe, Refine int
	// PostFilter answers a filtered query the way many vector databases
	// do, for comparison: an unfiltered probe, re-ranked, then the
	// results the filter rejects dropped. It can return fewer than k.
	PostFilter bool
	// Total is the number of live records, for the plan's selectivity.
	Total uint64
}

// Plan says how a query was answered (vecdb search --explain).
type Plan struct {
	// Strategy is "exact" (scan of the allowed rows) or "ivf".
	Strategy string
	// Reason says why the strategy was chosen.
	Reason string
	// Candidates is the number of allowed docs (the filter's cardinality)
	// and Selectivity its fraction of the live records.
	Candidates  uint64
	Selectivity float64
	// NProbe is the unfiltered probe depth and Budget the number of
	// allowed codes an IVF search scores before it stops probing.
	NProbe, Budget int
	index.SearchStats
	// Reranked is the number of candidates re-ranked with raw vectors; for
	// an exact strategy, the rows scanned.
	Reranked int
	// ScanTime covers probing and scoring codes (or the exact scan);
	// RerankTime the exact re-ranking.
	ScanTime, RerankTime time.Duration
}

// Search answers one query. Without an index it scans exactly. With one,
// it plans from exact counts: an unfiltered search probes NProbe lists and
// scores their codes; a filtered one probes lists in centroid order,
// skipping lists with no allowed doc, until it has scored as many allowed
// codes as the unfiltered search would score (Budget) — so correlated
// filters stop early and selective ones go wider. When the filter allows
// no more records than that budget, scanning them exactly is cheaper and
// exact. Either way the k x refine best candidates are re-ranked with the
// raw vectors, and if the probe comes back with fewer than min(k, allowed)
// results the query is answered exactly: a filtered search never returns
// short.
func Search(v *FlatView, ix *IVF, m quant.Metric, q []float32, p Params, allow *roaring.Bitmap, skip *uint32) ([]Hit, Plan, error) {
	card := allow.GetCardinality()
	plan := Plan{Candidates: card, Selectivity: 1}
	if p.Total > 0 {
		plan.Selectivity = min(float64(card)/float64(p.Total), 1)
	}
	exact := func(reason string) ([]Hit, Plan, error) {
		start := time.Now()
		plan.Strategy, plan.Reason, plan.Reranked = "exact", reason, int(card)
		hits := Exact(v, m, q, p.K, allow, skip)
		plan.ScanTime = time.Since(start)
		return hits, plan, nil
	}
	if ix == nil {
		return exact("no index")
	}
	nprobe := min(max(p.NProbe, 1), ix.IVF.NList)
	budget := max(ix.Count*nprobe/ix.IVF.NList, 1)
	plan.NProbe, plan.Budget = nprobe, budget
	if card <= uint64(budget) && !p.PostFilter {
		return exact("the filter allows no more records than the probe would score")
	}
	// A filter passing a share s of the records needs only s x budget
	// allowed codes to have seen what the unfiltered probe would see, if
	// it is uncorrelated with the lists. The budget is scaled so, but
	// never below half: a selective filter correlated with the query has
	// its matches among the query's neighbours, and fashion-mnist's
	// own-label filter (10%) lost recall with a fully scaled budget. At
	// 50%, this made planned probing 1.55x faster at the same recall
	// (bench/filtered.sh).
	share := max(float64(card)/float64(ix.Count), minBudgetShare)
	if card < uint64(ix.Count) {
		budget = max(int(float64(budget)*share), 1)
		plan.Budget = budget
	}
	if card < uint64(ix.Count) && !p.PostFilter && exactCheaper(ix, m, card, nprobe, share) {
		return exact("the cost model prefers scanning the allowed records")
	}
	kc := p.K * max(p.Refine, 1)
	if skip != nil {
		kc++
	}
	if p.PostFilter {
		return postFilter(v, ix, m, q, p, allow, skip, kc, plan)
	}
	sp := index.SearchParams{NProbe: nprobe, KC: kc}
	if card < uint64(ix.Count) {
		sp.Allow, sp.Budget = allow, budget
	}
	start := time.Now()
	cands, st, err := ix.IVF.Search(q, ix.Lists, sp)
	if err != nil {
		return nil, plan, err
	}
	plan.ScanTime = time.Since(start)
	plan.Strategy, plan.SearchStats, plan.Reranked = "ivf", st, len(cands)
	start = time.Now()
	top := NewTopK(p.K)
	for _, c := range cands {
		if skip != nil && c.Doc == *skip {
			continue
		}
		row := v.Row(c.Doc)
		if row == nil {
			continue // not yet visible to this view
		}
		top.Push(Hit{Doc: c.Doc, Distance: quant.Distance(m, q, row)})
	}
	hits := top.Sorted(nil)
	plan.RerankTime = time.Since(start)
	want := card
	if skip != nil && allow.Contains(*skip) {
		want--
	}
	if uint64(len(hits)) < min(uint64(p.K), want) {
		return exact("the probe found fewer than k allowed records")
	}
	plan.Reason = "probe"
	if sp.Allow != nil {
		plan.Reason = "probe until the budget of allowed codes is scored"
	}
	return hits, plan, nil
}

// postFilter is the comparison plan of Params.PostFilter.
func postFilter(v *FlatView, ix *IVF, m quant.Metric, q []float32, p Params, allow *roaring.Bitmap, skip *uint32, kc int, plan Plan) ([]Hit, Plan, error) {
	start := time.Now()
	cands, st, err := ix.IVF.Search(q, ix.Lists, index.SearchParams{NProbe: plan.NProbe, KC: kc})
	if err != nil {
		return nil, plan, err
	}
	plan.ScanTime = time.Since(start)
	plan.Strategy, plan.Reason, plan.SearchStats, plan.Reranked = "ivf-postfilter", "asked for", st, len(cands)
	start = time.Now()
	top := NewTopK(p.K)
	for _, c := range cands {
		row := v.Row(c.Doc)
		if row == nil || (skip != nil && c.Doc == *skip) || !allow.Contains(c.Doc) {
			continue
		}
		top.Push(Hit{Doc: c.Doc, Distance: quant.Distance(m, q, row)})
	}
	plan.RerankTime = time.Since(start)
	return top.Sorted(nil), plan, nil
}

// Cost model constants, measured on the 2-core Xeon the project
// benchmarks on (bench/filtered.sh on 200k x 128, quant's benchmarks): an
// exact row costs about 0.6 ns per dimension on the sparse path (bitmap
// walk plus one distance call; 20k rows in 1.45 ms); an ADC code about
// 0.26 ns per byte (AVX2 gather scan); a probed list about 2 us for any
// metric (the count intersection, the heap and the scan's set-up: every
// metric scores codes with one table shared by all lists, since L2 lists
// carry per-code terms, see index.IVF.CodeTerms; a 10% filter probing 640
// lists took 1.94 ms).
const (
	rowNsPerDim   = 0.6
	codeNsPerByte = 0.26
	listNs        = 2000
)

// minBudgetShare is the least share of the unfiltered budget a filtered
// probe scores in allowed codes.
const minBudgetShare = 0.5

// exactCheaper estimates, for a filter allowing card records uncorrelated
// with the lists, whether scanning them exactly costs less than probing:
// a filter passing a fraction s of the records makes the probe visit about
// share x nprobe/s lists, scoring all their codes, to find its budget of
// share x (the unfiltered budget) allowed codes.
func exactCheaper(ix *IVF, m quant.Metric, card uint64, nprobe int, share float64) bool {
	s := float64(card) / float64(ix.Count)
	lists := min(share*float64(nprobe)/s, float64(ix.IVF.NList))
	codes := min(lists*float64(ix.Count)/float64(ix.IVF.NList), float64(ix.Count))
	probe := lists*listNs + codes*codeNsPerByte*float64(ix.IVF.CodeSize())
	scan := float64(card) * rowNsPerDim * float64(ix.IVF.Dim)
	return scan < probe
}

// SearchBatch runs Search for every query on up to threads goroutines (0:
// GOMAXPROCS); skips, when not nil, has one entry per query.
func SearchBatch(ctx context.Context, v *FlatView, ix *IVF, m quant.Metric, qs [][]float32, p Params, allow *roaring.Bitmap, skips []*uint32, threads int) ([][]Hit, []Plan, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	out := make([][]Hit, len(qs))
	plans := make([]Plan, len(qs))
	if len(qs) == 1 || threads == 1 {
		// No goroutines: a single query pays no scheduling latency.
		for i, q := range qs {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			var skip *uint32
			if skips != nil {
				skip = skips[i]
			}
			var err error
			if out[i], plans[i], err = Search(v, ix, m, q, p, allow, skip); err != nil {
				return nil, nil, err
			}
		}
		return out, plans, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(threads)
	for i := range qs {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			var skip *uint32
			if skips != nil {
				skip = skips[i]
			}
			var err error
			out[i], plans[i], err = Search(v, ix, m, qs[i], p, allow, skip)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return out, plans, ctx.Err()
}
