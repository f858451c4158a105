package query

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"golang.org/x/sync/errgroup"

	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/internal/fault"
	"github.com/vecdb/vecdb/quant"
)

// Source is an approximate index as the planner sees it: it proposes
// candidates that the planner re-ranks with raw vectors, and it estimates
// what a probe costs, so the planner can weigh it against an exact scan
// of a filter's rows. *IVF is the one implementation.
type Source interface {
	// Search returns up to p.KC candidates for q, best first.
	Search(q []float32, p index.SearchParams) ([]index.Hit, index.SearchStats, error)
	// NumLists is the number of lists a probe chooses from.
	NumLists() int
	// Codes is the number of codes the index holds (live or not).
	Codes() int
	// ProbeCost estimates, in nanoseconds, a filtered probe for a filter
	// allowing card records uncorrelated with the lists, scoring budget
	// allowed codes in at least nprobe lists (re-ranking not included).
	ProbeCost(card uint64, nprobe, budget int) float64
}

// IVF is an IVF index with its posting lists, as a search sees it.
type IVF struct {
	IVF   *index.IVF
	Lists index.ListSource
	// Count is the number of codes in the lists (live or not).
	Count int
}

var _ Source = (*IVF)(nil)

// Search implements Source.
func (ix *IVF) Search(q []float32, p index.SearchParams) ([]index.Hit, index.SearchStats, error) {
	return ix.IVF.Search(q, ix.Lists, p)
}

// NumLists implements Source.
func (ix *IVF) NumLists() int { return ix.IVF.NList }

// Codes implements Source.
func (ix *IVF) Codes() int { return ix.Count }

// Params are the per-query knobs of an approximate search.
type Params struct {
	K, NProbe, Refine int
	// CodesOnly answers from the codes' distance estimates, reading no
	// raw vector (no re-rank): results are ordered by estimate and their
	// distances are estimates. Plans that scan exactly still do.
	CodesOnly bool
	// PostFilter answers a filtered query the way many vector databases
	// do, for comparison: an unfiltered probe, re-ranked, then the
	// results the filter rejects dropped. It can return fewer than k.
	PostFilter bool
	// Total is the number of live records, for the plan's selectivity.
	Total uint64
	// forceProbe skips the cost model's choice (for the benchmark that
	// measures its constants).
	forceProbe bool
	// allowSet is the allow set flattened once for a batch of searches.
	allowSet *index.AllowSet
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
	// allowed codes a filtered probe scores before it stops probing.
	NProbe, Budget int
	// SearchStats sums the work of the probes the search ran. When a
	// filter passing most records is answered by the unfiltered probe,
	// AllowedScored counts the allowed among its candidates.
	index.SearchStats
	// Reranked is the number of candidates re-ranked with raw vectors; for
	// an exact strategy, the rows scanned.
	Reranked int
	// BoundSkipped is the number of candidates not re-ranked because the
	// codes' error bounds (SearchStats.Bounded) put them, with high
	// probability, behind k others.
	BoundSkipped int
	// ScanTime covers probing and scoring codes (or the exact scan);
	// RerankTime the exact re-ranking.
	ScanTime, RerankTime time.Duration
	// Widened counts the probes a filtered search ran again over more
	// lists because its k-th allowed candidate ranked far out among all
	// codes (see wide), Deepened those it ran again keeping more
	// candidates because their exact distances said it may have dropped
	// neighbours (see settle).
	Widened, Deepened int
}

// Search answers one query. Without an index it scans exactly. With one,
// it plans from exact counts:
//   - an unfiltered search probes NProbe lists and re-ranks the k x refine
//     best codes with the raw vectors;
//   - a filter allowing no more records than that is answered exactly;
//   - a filter passing at least wideMin of the records first runs the
//     unfiltered probe, keeping the k x refine best allowed codes, unless
//     the codes near the query turn out mostly refused (see wide);
//   - otherwise, or when that finds too few allowed candidates, a
//     filtered probe visits lists in centroid order, skipping lists with
//     no allowed doc and scoring only the allowed codes of sparse ones,
//     until it has scored its budget of allowed codes (see budgetShare) in
//     at least NProbe lists holding allowed docs (more when it skipped
//     lists, see index.SearchParams). The cost model (exactCheaper)
//     answers exactly instead when scanning the allowed rows is cheaper;
//   - a filtered probe's candidates are re-ranked by settle, which probes
//     again keeping more of them when their exact distances say the
//     probe may have dropped neighbours.
//
// If a probe comes back with fewer than min(k, allowed) results the query
// is answered exactly: a filtered search never returns short.
func Search(v Rows, ix Source, m quant.Metric, q []float32, p Params, allow *roaring.Bitmap, skip *uint32) ([]Hit, Plan, error) {
	card := allow.GetCardinality()
	plan := Plan{Candidates: card, Selectivity: 1}
	if p.Total > 0 {
		plan.Selectivity = min(float64(card)/float64(p.Total), 1)
	}
	exact := func(reason string) ([]Hit, Plan, error) {
		start := time.Now()
		plan.Strategy, plan.Reason, plan.Reranked = "exact", reason, int(card)
		hits, err := Exact(v, m, q, p.K, allow, skip)
		plan.ScanTime = time.Since(start)
		return hits, plan, err
	}
	if ix == nil {
		return exact("no index")
	}
	nprobe := min(max(p.NProbe, 1), ix.NumLists())
	budget := max(ix.Codes()*nprobe/ix.NumLists(), 1)
	plan.NProbe, plan.Budget = nprobe, budget
	kc := p.K * max(p.Refine, 1)
	if p.CodesOnly {
		kc = p.K
	}
	if skip != nil {
		kc++
	}
	if card <= uint64(kc) && !p.PostFilter && !p.forceProbe {
		return exact("the filter allows no more records than a probe would re-rank")
	}
	if p.PostFilter {
		return postFilter(v, ix, m, q, p, allow, skip, kc, plan)
	}
	sp := index.SearchParams{NProbe: nprobe, KC: kc}
	reason := "probe"
	refused := false // wide found the codes near the query mostly refused
	if card < uint64(ix.Codes()) {
		sel := float64(card) / float64(ix.Codes())
		if sel >= wideMin && !p.forceProbe {
			hits, ok, err := wide(v, ix, m, q, p, allow, skip, kc, sel, &plan)
			if err != nil || ok {
				return hits, plan, err
			}
			reason = "the filter refuses most codes near the query; probe until the budget of allowed codes is scored"
			refused = true
		} else {
			reason = "probe until the budget of allowed codes is scored"
		}
		budget = max(int(float64(budget)*budgetShare(sel)), kc)
		plan.Budget = budget
		if !p.forceProbe && exactCheaper(v, ix, card, nprobe, budget, kc) {
			return exact("the cost model prefers scanning the allowed records")
		}
		sp.Allow, sp.AllowSet, sp.Budget, sp.MinLists = allow, p.allowSet, budget, nprobe
		if refused {
			// The allowed neighbours lie past the lists nearest the query
			// (wide found the codes there mostly refused): the probe
			// visits 1/sel times the lists, as many as hold nprobe lists'
			// worth of allowed records. With few, large lists (sqrt(N),
			// the fast codecs' default) the nprobe nearest missed them:
			// bench/filtered.sh's anti-correlated 50% filter at IVF512,
			// nprobe 64 found 0.954 of them, at 128 lists 0.9998.
			sp.MinLists = min(int(math.Ceil(float64(nprobe)/sel)), ix.NumLists())
		}
	}
	start := time.Now()
	cands, st, err := ix.Search(q, sp)
	if err != nil {
		return nil, plan, err
	}
	plan.ScanTime += time.Since(start)
	plan.Strategy, plan.Reason = "ivf", reason
	plan.SearchStats = addStats(plan.SearchStats, st)
	var hits []Hit
	if sp.Allow != nil {
		hits, err = settle(v, ix, m, q, p, skip, sp, cands, st, &plan)
	} else {
		hits, err = rerank(v, m, q, cands, p, skip, nil, &plan)
	}
	if err != nil {
		return nil, plan, err
	}
	want := card
	if skip != nil && allow.Contains(*skip) {
		want--
	}
	if uint64(len(hits)) < min(uint64(p.K), want) {
		return exact("the probe found fewer than k allowed records")
	}
	return hits, plan, nil
}

// wideMin is the least selectivity at which a filtered search first tries
// the unfiltered probe (see wide). Below it the filtered probe scores
// mostly gathered allowed codes, which cost about as much per probed doc
// (0.3 x 31 ns at 30%, plus the count) as scoring every code (8 ns for 32
// bytes), and the unfiltered probe's candidate heap grows as 1/sel. At
// 0.4 it stays clear of the 50% filters of bench/filtered.sh, which
// straddle one half.
const wideMin = 0.4

// wideShare: wide's candidates are accepted when the filter let in at
// least this share of the selectivity among them (see wide). An
// uncorrelated filter lets in about the selectivity itself (50% of 1,900
// candidates: within 1-2 points); bench/filtered.sh's anti-correlated 50%
// filter let in a third, and at one half of the selectivity, the bound
// before, wide accepted them and missed 3.4% of the neighbours with
// sqrt(N) lists.
const wideShare = 0.8

// wide answers a filter passing a share sel >= wideMin of the records the
// way an unfiltered search would: it probes nprobe lists (below one half,
// the lists the filtered probe's budget would take: budgetShare / sel
// times nprobe, for the same recall) and scores every code, keeping the
// kc best allowed ones, without the filtered probe's per-list count of
// allowed docs or its gathering of allowed codes. Those are exactly the
// candidates the filtered probe would find in the same lists. But when
// the codes near the query are mostly refused (a filter anti-correlated
// with the query: of the codes that scored well enough to be candidates,
// the allowed share is under half the selectivity), the allowed
// neighbours lie in other lists: ok is false and the caller runs the
// filtered probe, which goes on to further lists. When the candidates are
// accepted but the k-th of them ranks past the rankCovered x k best codes
// of all, the allowed neighbours lie as far out as an unfiltered search's
// rank-Rank neighbour, past what nprobe lists cover well: wide probes
// again over Rank / (rankCovered x k) times the lists. Then settle
// re-ranks.
func wide(v Rows, ix Source, m quant.Metric, q []float32, p Params, allow *roaring.Bitmap, skip *uint32, kc int, sel float64, plan *Plan) (hits []Hit, ok bool, err error) {
	start := time.Now()
	nprobe := min(int(math.Ceil(float64(plan.NProbe)*budgetShare(sel)/sel)), ix.NumLists())
	sp := index.SearchParams{NProbe: nprobe, KC: kc, Allow: allow, AllowSet: p.allowSet, RankK: p.K}
	cands, st, err := ix.Search(q, sp)
	if err != nil {
		return nil, false, err
	}
	plan.ScanTime = time.Since(start)
	plan.SearchStats = st
	if len(cands) < kc || float64(st.AllowedScored) < wideShare*sel*float64(st.AllowedScored+st.Rejected) {
		return nil, false, nil
	}
	plan.Strategy, plan.Reason = "ivf", "the filter passes most records: probe as unfiltered, keep the allowed candidates"
	sp.RankK = 0
	if covered := rankCovered * p.K; st.Rank > covered && nprobe < ix.NumLists() {
		// The k-th allowed candidate ranks past the rankCovered x k best
		// codes of all: as far out as an unfiltered search's rank-Rank
		// neighbour, which nprobe lists cover less well. Probe
		// Rank / covered times the lists.
		sp.NProbe = min(int(math.Ceil(float64(nprobe)*min(float64(st.Rank)/float64(covered), rankWidenMax))), ix.NumLists())
		start = time.Now()
		cands, st, err = ix.Search(q, sp)
		plan.ScanTime += time.Since(start)
		if err != nil {
			return nil, false, err
		}
		plan.SearchStats = addStats(plan.SearchStats, st)
		plan.Widened++
	}
	hits, err = settle(v, ix, m, q, p, skip, sp, cands, st, plan)
	return hits, err == nil, err
}

// rankCovered: wide takes an index's nprobe lists to cover an unfiltered
// search's rankCovered x k nearest codes well (the default refine's
// candidates, which nprobe is chosen to find), whatever the query's own
// refine. On bench/filtered.sh's anti-correlated 50% filter with pq4fs
// codes (IVF512, nprobe 64), the queries wide accepted whose 10th allowed
// candidate ranked within the 150 best codes found every neighbour even
// at 64 lists; past it, 0.90-0.99 of them, and every one over 128 lists.
// Measured against kc instead, a query with refine 40 widened less:
// under TestFilteredRecallEveryCodec's anti-correlated filter at refine
// 40, rabitq found 0.988 of the neighbours that way, 0.995 this way.
const rankCovered = 10

// rankWidenMax bounds how many times the lists wide probes again.
const rankWidenMax = 4

// coverage is what the exact distances of a filtered probe's re-ranked
// candidates say about the candidates it dropped.
type coverage struct {
	// margin is how far past its exact distance a candidate's estimate
	// can lie: the most it did among the re-ranked candidates, and at
	// least their mean plus marginZ standard deviations; cutoff is the
	// estimate of the last candidate.
	margin, cutoff float32
}

// marginZ: the estimates of the re-ranked candidates err below their
// exact distances more often than those of the candidates a probe dropped
// (they were kept for estimating low), so the largest error seen among
// them understates how far a dropped one's estimate can overshoot. On
// bench/filtered.sh's anti-correlated 50% filter with pq4fs codes
// (IVF512), the mean plus 3 standard deviations found 0.9994 of the
// neighbours re-ranking 1,100 candidates a query on average, plus 4
// 0.9998 for 4,700; the largest error alone, 0.985 in a development run.
const marginZ = 3

// frontierShare: a filtered probe that scored its budget also goes on
// over twice the lists when one of its k results came from past this
// share of the lists it visited: the neighbours reach the edge of what it
// probed, and lists past it may hold more. With few large lists (sqrt(N),
// the fast codecs' default) the budget can fill in too few of them: on
// TestFilteredRecallEveryCodec's 10% filter (256 lists) pq4fs and rabitq
// found 0.991 of the neighbours without it, 0.996 with it at one half,
// 0.993 at three quarters; on bench/filtered.sh's set it changed neither
// the 10% row (1.000) nor the q/s of the 10% and anti-correlated rows.
const frontierShare = 0.5

// settleRounds bounds settle's deeper probes.
const settleRounds = 3

// settle re-ranks a filtered probe's candidates and, while their exact
// distances say that the probe may have missed neighbours, probes again:
//   - deeper, keeping more candidates, when the probe returned all kc it
//     could keep and the k-th exact distance plus the estimates' margin
//     (see coverage) is past the last candidate's estimate: a candidate
//     the probe dropped, estimated past the last, may be closer than the
//     k-th;
//   - wider, over twice the lists and budget, when a probe with a budget
//     found one of its k results in its last lists (see frontierShare).
//
// A filter anti-correlated with the query puts the allowed neighbours far
// from it, where distances crowd together and a codec's errors reorder
// many more candidates than near the query: on bench/filtered.sh's
// anti-correlated 50% filter, pq4fs codes (IVF512, refine 10) found 0.901
// of the neighbours of the queries the filtered probe answered, 0.9993
// with settle (pq8: 1.000 either way). Unfiltered searches are left to
// NProbe and Refine.
func settle(v Rows, ix Source, m quant.Metric, q []float32, p Params, skip *uint32, sp index.SearchParams, cands []index.Hit, st index.SearchStats, plan *Plan) ([]Hit, error) {
	for round := 0; ; round++ {
		var cov coverage
		hits, err := rerankCov(v, m, q, cands, p, skip, nil, plan, &cov)
		if err != nil || p.CodesOnly || round == settleRounds || len(hits) < p.K {
			return hits, err
		}
		// Deeper only when the probe may have dropped candidates (it
		// kept as many as it could).
		target := hits[p.K-1].Distance + cov.margin
		deeper := len(cands) >= sp.KC && cov.cutoff < target
		visited, edge := st.ListsProbed+st.ListsSkipped, 0
		for _, h := range hits {
			edge = max(edge, int(h.Probe)+1)
		}
		wider := sp.Budget > 0 && visited < ix.NumLists() && float64(edge) > frontierShare*float64(visited)
		if !deeper && !wider {
			return hits, nil
		}
		if deeper {
			plan.Deepened++
			sp.KC = deeperKC(cands, sp.KC, target)
		}
		if wider {
			plan.Widened++
			sp.MinLists = min(2*max(sp.MinLists, visited), ix.NumLists())
			sp.Budget *= 2
		}
		if sp.Budget > 0 {
			sp.Budget = max(sp.Budget, sp.KC)
		}
		start := time.Now()
		cands, st, err = ix.Search(q, sp)
		plan.ScanTime += time.Since(start)
		if err != nil {
			return nil, err
		}
		plan.SearchStats = addStats(plan.SearchStats, st)
	}
}

// deeperKC extrapolates from the estimates of the kc candidates (best
// first) how many a probe must keep for its last one's estimate to reach
// target, and returns 1.5 times that, at least 2 x kc and at most
// 64 x kc.
func deeperKC(cands []index.Hit, kc int, target float32) int {
	n := len(cands)
	lo, hi := cands[n/2].Distance, cands[n-1].Distance
	need := 2 * n
	if slope := float64(hi-lo) / float64(n-1-n/2); slope > 0 {
		need = max(need, int(1.5*(float64(n)+float64(target-hi)/slope)))
	}
	return min(need, 64*kc)
}

// addStats sums the work of two searches.
func addStats(a, b index.SearchStats) index.SearchStats {
	return index.SearchStats{
		ListsProbed: a.ListsProbed + b.ListsProbed, ListsSkipped: a.ListsSkipped + b.ListsSkipped,
		CodesScored: a.CodesScored + b.CodesScored, AllowedScored: a.AllowedScored + b.AllowedScored,
		Rejected: a.Rejected + b.Rejected, Bounded: a.Bounded || b.Bounded,
	}
}

// rerank returns the p.K best of cands by exact distance to q (with
// p.CodesOnly, by their estimates, reading no row), leaving out
// skip, docs without a row in v and, when allow is not nil, docs it does
// not hold; it records the count and time in plan. When cov is not nil it
// also records what the exact distances say of the probe (see coverage).
func rerank(v Rows, m quant.Metric, q []float32, cands []index.Hit, p Params, skip *uint32, allow *roaring.Bitmap, plan *Plan) ([]Hit, error) {
	return rerankCov(v, m, q, cands, p, skip, allow, plan, nil)
}

func rerankCov(v Rows, m quant.Metric, q []float32, cands []index.Hit, p Params, skip *uint32, allow *roaring.Bitmap, plan *Plan, cov *coverage) ([]Hit, error) {
	k := p.K
	if p.CodesOnly {
		return fromCodes(cands, k, skip, allow), nil
	}
	start := time.Now()
	rs := rerankPool.Get().(*rerankScratch)
	defer rerankPool.Put(rs)
	elig := rs.hits[:0]
	for _, c := range cands {
		if (skip != nil && c.Doc == *skip) || (allow != nil && !allow.Contains(c.Doc)) {
			continue
		}
		elig = append(elig, c)
	}
	rs.hits = elig
	docs, picked := rs.docs[:0], rs.picked[:0]
	if plan.Bounded && len(elig) > k {
		// The k-th smallest upper bound: a candidate whose lower bound
		// is above it has k others before it.
		ub := rs.ub[:0]
		for _, c := range elig {
			ub = append(ub, c.Distance+c.Err)
		}
		rs.ub = ub
		slices.Sort(ub)
		for _, c := range elig {
			if c.Distance-c.Err <= ub[k-1] {
				docs, picked = append(docs, c.Doc), append(picked, c)
			}
		}
		plan.BoundSkipped += len(elig) - len(docs)
	} else {
		for _, c := range elig {
			docs, picked = append(docs, c.Doc), append(picked, c)
		}
	}
	rs.docs, rs.picked = docs, picked
	top := &rs.top
	top.Reset(k)
	n := 0
	over := float32(math.Inf(-1))
	var sum, sum2 float64
	err := v.Fetch(docs, func(i int, row []float32) {
		n++
		d := quant.Distance(m, q, row)
		e := picked[i].Distance - d
		sum += float64(e)
		sum2 += float64(e) * float64(e)
		over = max(over, e)
		top.Push(Hit{Doc: docs[i], Distance: d, Probe: picked[i].Probe})
	})
	plan.Reranked += n
	plan.RerankTime += time.Since(start)
	if err != nil {
		return nil, err
	}
	if cov != nil && len(cands) > 0 {
		cov.margin, cov.cutoff = over, cands[len(cands)-1].Distance
		if n > 1 {
			mu := sum / float64(n)
			sd := math.Sqrt(max(sum2/float64(n)-mu*mu, 0))
			cov.margin = max(over, float32(mu+marginZ*sd))
		}
	}
	return top.Sorted(nil), nil
}

// fromCodes returns the first k of cands (best first by estimate),
// leaving out skip and, when allow is not nil, docs it does not hold.
func fromCodes(cands []index.Hit, k int, skip *uint32, allow *roaring.Bitmap) []Hit {
	out := make([]Hit, 0, k)
	for _, c := range cands {
		if len(out) == k {
			break
		}
		if (skip != nil && c.Doc == *skip) || (allow != nil && !allow.Contains(c.Doc)) {
			continue
		}
		out = append(out, Hit{Doc: c.Doc, Distance: c.Distance})
	}
	return out
}

// rerankScratch is a re-rank's working memory, pooled.
type rerankScratch struct {
	docs []uint32
	// picked are the candidates behind docs.
	picked []index.Hit
	hits   []index.Hit
	ub     []float32
	top    TopK
}

var rerankPool = sync.Pool{New: func() any { return &rerankScratch{} }}

// postFilter is the comparison plan of Params.PostFilter.
func postFilter(v Rows, ix Source, m quant.Metric, q []float32, p Params, allow *roaring.Bitmap, skip *uint32, kc int, plan Plan) ([]Hit, Plan, error) {
	start := time.Now()
	cands, st, err := ix.Search(q, index.SearchParams{NProbe: plan.NProbe, KC: kc})
	if err != nil {
		return nil, plan, err
	}
	plan.ScanTime = time.Since(start)
	plan.Strategy, plan.Reason, plan.SearchStats = "ivf-postfilter", "asked for", st
	hits, err := rerank(v, m, q, cands, p, skip, allow, &plan)
	return hits, plan, err
}

// budgetShare returns the share of the unfiltered budget (the codes an
// unfiltered probe scores) that a filtered probe scores in allowed codes,
// for a filter passing a share s of the records.
//
// An uncorrelated filter leaves s x budget allowed codes in the lists the
// unfiltered search probes, so scoring that many visits the same lists:
// never more work than post-filtering those lists, and at 50% no loss of
// recall (glove-100k, nprobe 64: 0.951 filtered, 0.956 unfiltered;
// bench/filtered-glove.sh). A more selective filter has its k-th match at
// rank k/s of the unfiltered order, farther out: with the same lists
// (the budget forced to s x B, in a development run), recall at 10% fell
// to 0.911. Below
// one half the share is sqrt(s/2), continuous at 1/2, which widens the
// probe by 1/sqrt(2s) (2.2x the lists at 10%, 7x at 1%): on glove-100k the
// filtered recall then stayed within 0.02 of the unfiltered one at the
// same nprobe (16 and 64, from 3% to 50% selectivity; the script above).
// The earlier rule, never below half the budget, bought a few points more
// at 10% (0.993, development run) for 2.3x the lists, and made the 10%
// plan slower than post-filtering.
func budgetShare(s float64) float64 {
	if s >= 0.5 {
		return s
	}
	return math.Sqrt(s / 2)
}

// Cost model constants, in nanoseconds, fitted to BenchmarkPlanCosts
// (100k clustered records, 1,000 lists, 32 and 128 dimensions, 0.5% to
// 25% selectivity) on the 2-core Xeon the project benchmarks on:
//   - an exact row, visited through the allowed set, costs 12 plus 0.31 per
//     dimension (22 ns at 32-d, 52 ns at 128-d, where reading the row from
//     memory dominates); a re-ranked candidate costs the same;
//   - a filtered probe pays a fixed 15 us plus 0.1 us per dimension (the
//     query's flattened allow set, its code table, the probe order and the
//     re-rank's set-up), 0.1 per centroid dimension for the centroid
//     distances, 100 per probed list, 1.1 per doc of every probed list to
//     find its allowed entries, and per allowed code either about 31 when
//     they are gathered (lists less than half allowed; the scattered reads
//     of codes dominate) or 0.26 per byte of every code of the list when it
//     is scanned whole (the AVX2 gather scan).
//
// The measured crossover, where a probe starts to beat the exact scan,
// sits near 3.5% selectivity at 32-d and 2.2% at 128-d; the model puts it
// at about 3% and 1.8%.
const (
	rowNs              = 12
	rowNsPerDim        = 0.31
	probeFixedNs       = 15_000
	probeFixedNsPerDim = 100
	centroidNsPerDim   = 0.1
	listNs             = 100
	docNs              = 1.1
	gatherNs           = 31
	codeNsPerByte      = 0.26
)

// exactCheaper estimates, for a filter allowing card records uncorrelated
// with the lists, whether scanning them exactly costs less than a filtered
// probe scoring budget allowed codes in at least nprobe lists and
// re-ranking kc candidates. Where the rows live (memory, a mapped file,
// the storage engine) sets what a row costs: see [Rows.Costs].
func exactCheaper(v Rows, ix Source, card uint64, nprobe, budget, kc int) bool {
	fetch, scan := v.Costs(card)
	return exactCost(card, scan) < probeCost(ix, card, nprobe, budget, kc, fetch)
}

// exactCost is the cost model's estimate, in nanoseconds, of scanning card
// allowed rows exactly at scanNs a row.
func exactCost(card uint64, scanNs float64) float64 {
	return float64(card) * scanNs
}

// probeCost is the cost model's estimate, in nanoseconds, of a filtered
// probe that re-ranks kc candidates at fetchNs a row (see exactCheaper).
func probeCost(ix Source, card uint64, nprobe, budget, kc int, fetchNs float64) float64 {
	return ix.ProbeCost(card, nprobe, budget) + float64(kc)*fetchNs
}

// ProbeCost implements Source with the constants above.
func (ix *IVF) ProbeCost(card uint64, nprobe, budget int) float64 {
	s := float64(card) / float64(ix.Count)
	perList := float64(ix.Count) / float64(ix.IVF.NList)
	lists := min(max(float64(nprobe), float64(budget)/(s*perList)), float64(ix.IVF.NList))
	docs := lists * perList
	dim, space := float64(ix.IVF.Dim), float64(ix.IVF.SpaceDim())
	cost := probeFixedNs + probeFixedNsPerDim*dim + float64(ix.IVF.NList)*space*centroidNsPerDim + lists*listNs + docs*docNs
	if ix.IVF.PCA != nil {
		cost += space * dim * centroidNsPerDim // projecting the query: SpaceDim rows of Dim
	}
	if s < index.SparseScanMax {
		cost += docs * s * gatherNs
	} else {
		cost += docs * codeNsPerByte * float64(ix.IVF.CodeSize())
	}
	return cost
}

// SearchBatch runs Search for every query on up to threads goroutines (0:
// GOMAXPROCS); skips, when not nil, has one entry per query. Each search
// runs under fault.Guard: rows and lists may be read from a mapped file,
// and a fault reading it becomes the returned error.
func SearchBatch(ctx context.Context, v Rows, ix Source, m quant.Metric, qs [][]float32, p Params, allow *roaring.Bitmap, skips []*uint32, threads int) ([][]Hit, []Plan, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if ix != nil && len(qs) > 1 && allow.GetCardinality() < uint64(ix.Codes()) {
		// Every query probes with the same filter: flatten it once (for
		// 200k records, 25 KB cleared and written per query otherwise,
		// about 3% of a 50% search).
		p.allowSet = index.NewAllowSet(allow)
	}
	if ix == nil && len(qs) > 1 {
		return exactBatch(ctx, v, m, qs, p, allow, skips, threads)
	}
	out := make([][]Hit, len(qs))
	plans := make([]Plan, len(qs))
	one := func(i int) error {
		var skip *uint32
		if skips != nil {
			skip = skips[i]
		}
		var err error
		out[i], plans[i], err = Search(v, ix, m, qs[i], p, allow, skip)
		return err
	}
	if len(qs) == 1 || threads == 1 {
		// No goroutines: a single query pays no scheduling latency.
		err := fault.Guard(func() error {
			for i := range qs {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := one(i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
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
			return fault.Guard(func() error { return one(i) })
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return out, plans, ctx.Err()
}

// exactBatch answers queries with no index to probe (none built, or
// every search exact): the queries are split into groups, one per thread
// and of at most exactGroupMax, and each group shares one scan of the
// rows (ExactGroup). Each query's plan gets an equal share of its group's
// scan time.
func exactBatch(ctx context.Context, v Rows, m quant.Metric, qs [][]float32, p Params, allow *roaring.Bitmap, skips []*uint32, threads int) ([][]Hit, []Plan, error) {
	card := allow.GetCardinality()
	sel := 1.0
	if p.Total > 0 {
		sel = min(float64(card)/float64(p.Total), 1)
	}
	out := make([][]Hit, len(qs))
	plans := make([]Plan, len(qs))
	size := min((len(qs)+threads-1)/threads, exactGroupMax)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(threads)
	for lo := 0; lo < len(qs); lo += size {
		hi := min(lo+size, len(qs))
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			var sk []*uint32
			if skips != nil {
				sk = skips[lo:hi]
			}
			start := time.Now()
			var res [][]Hit
			err := fault.Guard(func() error {
				var err error
				res, err = ExactGroup(v, m, qs[lo:hi], p.K, allow, sk)
				return err
			})
			if err != nil {
				return err
			}
			share := time.Since(start) / time.Duration(hi-lo)
			for i := lo; i < hi; i++ {
				out[i] = res[i-lo]
				plans[i] = Plan{Strategy: "exact", Reason: "no index", Candidates: card, Selectivity: sel, Reranked: int(card), ScanTime: share}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return out, plans, ctx.Err()
}
