package query

import (
	"context"
	"runtime"

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
}

// Plan says how a query was answered.
type Plan struct {
	// Strategy is "exact" (scan of the allowed rows) or "ivf".
	Strategy string
	// Candidates is the number of allowed docs (the filter's cardinality).
	Candidates uint64
	// Reason says why the strategy was chosen.
	Reason string
	index.SearchStats
	// Reranked is the number of candidates re-ranked with raw vectors.
	Reranked int
}

// Search answers one query: an IVF probe of ix (when ix is not nil) whose
// k x refine best candidates by ADC distance are re-ranked exactly with
// the raw vectors of v, or an exact scan when that is cheaper — when the
// allowed set is smaller than the codes the probe would score — or when
// the probe found fewer than k allowed docs although more exist, so a
// selective filter never returns short.
func Search(v *FlatView, ix *IVF, m quant.Metric, q []float32, p Params, allow *roaring.Bitmap, skip *uint32) ([]Hit, Plan, error) {
	card := allow.GetCardinality()
	plan := Plan{Candidates: card}
	if ix == nil {
		plan.Strategy, plan.Reason = "exact", "no index"
		return Exact(v, m, q, p.K, allow, skip), plan, nil
	}
	nprobe := min(max(p.NProbe, 1), ix.IVF.NList)
	expected := uint64(ix.Count) * uint64(nprobe) / uint64(ix.IVF.NList)
	if card <= expected {
		plan.Strategy, plan.Reason = "exact", "the filter allows fewer records than the probe would score"
		return Exact(v, m, q, p.K, allow, skip), plan, nil
	}
	if card < uint64(ix.Count) {
		// A filter passing a fraction s of the records leaves s of each
		// list's codes: probe 1/s as many lists to score as many allowed
		// codes as an unfiltered search would.
		scaled := (uint64(nprobe)*uint64(ix.Count) + card - 1) / card
		nprobe = int(min(scaled, uint64(ix.IVF.NList)))
	}
	kc := p.K * max(p.Refine, 1)
	if skip != nil {
		kc++
	}
	cands, st, err := ix.IVF.Search(q, ix.Lists, nprobe, kc, allow)
	if err != nil {
		return nil, plan, err
	}
	plan.Strategy, plan.SearchStats, plan.Reranked = "ivf", st, len(cands)
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
	want := card
	if skip != nil && allow.Contains(*skip) {
		want--
	}
	if uint64(len(hits)) < min(uint64(p.K), want) {
		plan.Strategy, plan.Reason = "exact", "the probe found fewer than k allowed records"
		return Exact(v, m, q, p.K, allow, skip), plan, nil
	}
	plan.Reason = "probe"
	return hits, plan, nil
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
