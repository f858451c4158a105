package index

import (
	"math"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/vecdb/vecdb/quant"
)

// scanChunk is the number of codes scored per ADCScan call: small enough
// that the distances stay in L1, large enough to amortise the call.
const scanChunk = 256

// SearchStats describes the work of one search.
type SearchStats struct {
	// ListsProbed is the number of lists scanned; ListsSkipped the number
	// of probed lists that were empty.
	ListsProbed, ListsSkipped int
	// CodesScored is the number of codes whose ADC distance was computed;
	// AllowedScored how many of them the filter allowed (in a search with
	// Allow and no Budget, which does not count them, how many entered the
	// candidates).
	CodesScored, AllowedScored int
	// Rejected, in a search with Allow and no Budget, is the number of
	// codes that scored well enough to enter the candidates but that the
	// filter refused: against AllowedScored it gives the filter's share of
	// the codes near the query.
	Rejected int
	// Bounded says the hits carry error bounds (Hit.Err): the codec's
	// estimator knows them (RaBitQ).
	Bounded bool
	// Rank answers SearchParams.RankK: the number of codes estimated at
	// most as far as the RankK-th allowed candidate (0 when there were
	// fewer than RankK candidates).
	Rank int
}

// scratch is per-query working memory.
type scratch struct {
	centroidDist []float32
	// codec is the codec the estimators were made by.
	codec quant.Codec
	// shared scores the codes of every list against the query itself:
	// -2<q, r̂> for L2 lists with code terms, -<q, r̂> for inner products.
	// local scores an L2 list without terms against the query's residual.
	shared, local quant.Estimator
	resid         []float32
	// q holds the query projected into the index's space (with a PCA).
	q    []float32
	dist [scanChunk]float32
	errs [scanChunk]float32
	// keep holds the allowed codes of a chunk's blocks, one mask each.
	keep [scanChunk / quant.FastScanBlock]uint32
	top  TopK
	// refused holds, for SearchParams.RankK, the estimates of the codes
	// good enough to be candidates that the filter refused.
	refused []float32
	kth     []float32
	order   probeOrder
	// allow is a filtered search's Allow as a flat bitset.
	allow bitset
	// pos holds the positions of a list's allowed entries.
	pos []int32
	// gather holds allowed codes of sparse lists until a chunk is full.
	gather gather
	// coarse is the working memory of an estimated coarse step; when
	// estimated, centroidDist is exact only where coarse.exact says so.
	coarse    coarseScratch
	estimated bool
}

// gather collects the allowed entries of sparsely allowed lists, from any
// number of lists scored with the same table, so the scan kernel runs over
// full chunks: a 10% filter leaves about ten codes per list, and scanning
// each list's few codes on its own paid the kernel's set-up and scalar tail
// per list.
type gather struct {
	n     int
	codes []byte
	// extra is each code's distance term plus its list's bias.
	extra [scanChunk]float32
	docs  [scanChunk]uint32
	probe [scanChunk]int32
}

// add appends the entries of list at pos, flushing full chunks into s.top.
func (g *gather) add(s *scratch, est quant.Estimator, list *List, cs int, pos []int32, bias float32, terms bool, probe int32) {
	for _, i := range pos {
		if g.n == scanChunk {
			g.flush(s, est, cs)
		}
		dst, src := g.codes[g.n*cs:(g.n+1)*cs], list.Codes[int(i)*cs:(int(i)+1)*cs]
		copy(dst, src)
		x := bias
		if terms {
			x += list.Terms[i]
		}
		g.extra[g.n] = x
		g.docs[g.n] = list.Docs[i]
		g.probe[g.n] = probe
		g.n++
	}
}

// flush scores the gathered codes into s.top.
func (g *gather) flush(s *scratch, est quant.Estimator, cs int) {
	if g.n == 0 {
		return
	}
	d := s.dist[:g.n]
	est.Scan(g.codes[:g.n*cs], 0, d)
	for i, x := range d {
		x += g.extra[i]
		if s.top.Full() && x > s.top.Worst() {
			continue
		}
		s.top.Push(Hit{Doc: g.docs[i], Distance: x, Probe: g.probe[i]})
	}
	g.n = 0
}

// bitset is a flat set of doc ids: testing a doc is one load and a shift,
// where a roaring lookup first searches its container. A filtered search
// flattens its allow set once (or takes an AllowSet flattened for many
// searches), then counts each probed list's allowed docs and checks
// candidates against it.
type bitset []uint64

// AllowSet is an allow set flattened for searches (see SearchParams): a
// caller running many searches with one filter flattens it once.
type AllowSet struct{ b bitset }

// NewAllowSet flattens bm, which must not change while the set is used.
func NewAllowSet(bm *roaring.Bitmap) *AllowSet { return &AllowSet{b: bitset(nil).setFrom(bm)} }

// setFrom makes b the set of the docs of bm, reusing b's memory.
func (b bitset) setFrom(bm *roaring.Bitmap) bitset {
	n := int(bm.DenseSize())
	if cap(b) < n {
		b = make(bitset, n)
	}
	b = b[:n]
	clear(b)
	bm.WriteDenseTo(b)
	return b
}

// bit returns 1 when b holds doc, else 0, without a data-dependent
// branch.
func (b bitset) bit(doc uint32) uint32 {
	if w := int(doc >> 6); w < len(b) {
		return uint32(b[w]>>(doc&63)) & 1
	}
	return 0
}

func (b bitset) has(doc uint32) bool {
	w := int(doc >> 6)
	return w < len(b) && b[w]&(1<<(doc&63)) != 0
}

// positions returns the positions in docs of the docs b holds, in idx's
// memory. It has no data-dependent branch (at 50% selectivity a branch
// per doc mispredicts half the time): every position is written and the
// end advances by the doc's bit.
func (b bitset) positions(docs []uint32, idx []int32) []int32 {
	if cap(idx) < len(docs) {
		idx = make([]int32, len(docs))
	}
	idx = idx[:len(docs)]
	n := 0
	for i, d := range docs {
		idx[n] = int32(i)
		if w := int(d >> 6); w < len(b) {
			n += int(b[w] >> (d & 63) & 1)
		}
	}
	return idx[:n]
}

// skipExtraMax bounds, in multiples of MinLists, the extra lists a
// filtered search probes because it skipped lists with no allowed doc
// (see SearchParams.MinLists). A skipped list close to the query is a hole
// in the allowed set where the query's unfiltered neighbours would be; the
// allowed ones lie around it, spread over more lists. In query's
// randomised plan test, filters excluding the lists nearest the query
// (nprobe 1 to 8 of 32 lists) found 0.81 to 0.89 of the true neighbours
// without the extra lists, against 0.96 to 0.97 for unfiltered searches
// with the same knobs; with them, 0.93 to 0.98 (1x MinLists at most: 0.89
// to 0.97; 4x: 0.96 to 0.99).
const skipExtraMax = 2

// SparseScanMax: a filtered search scores only a list's allowed codes,
// gathered, when they are fewer than this share of the list; above it,
// scanning the whole list and dropping the rest costs less. On the
// project's machine (200k x 128, 32-byte codes) a gathered code costs
// about 31 ns, mostly the scattered read, and a code of a whole-list scan
// about 8, but the count that finds the allowed entries is paid either
// way; at 50% selectivity, where lists fall on both sides, moving the
// threshold from 0.5 to 0.25 measured no difference.
const SparseScanMax = 0.5

var scratchPool sync.Pool

func (ivf *IVF) getScratch() *scratch {
	s, _ := scratchPool.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if cap(s.centroidDist) < ivf.NList {
		s.centroidDist = make([]float32, ivf.NList)
	}
	if s.codec != ivf.Codec {
		s.codec, s.shared, s.local = ivf.Codec, ivf.Codec.NewEstimator(), ivf.Codec.NewEstimator()
	}
	if n := scanChunk * ivf.CodeSize(); cap(s.gather.codes) < n {
		s.gather.codes = make([]byte, n)
	}
	s.gather.n = 0
	dim := ivf.SpaceDim()
	if cap(s.resid) < dim {
		s.resid, s.q = make([]float32, dim), make([]float32, dim)
	}
	s.centroidDist = s.centroidDist[:ivf.NList]
	s.resid, s.q = s.resid[:dim], s.q[:dim]
	return s
}

// Probe appends to dst the nprobe lists whose centroids are closest to q
// (Dim values) under the index's metric, closest first.
func (ivf *IVF) Probe(q []float32, nprobe int, dst []int) []int {
	s := ivf.getScratch()
	defer scratchPool.Put(s)
	return ivf.probe(ivf.project(s.q, q), nprobe, s, dst)
}

func (ivf *IVF) probe(q []float32, nprobe int, s *scratch, dst []int) []int {
	nprobe = ivf.orderLists(q, nprobe, s)
	for i := range nprobe {
		dst = append(dst, s.order.list(i))
	}
	return dst
}

// orderLists sets s.centroidDist to the distances from q to every
// centroid (smaller closer) and s.order to the lists by distance, the
// first nprobe (clamped to [1, NList], and returned) sorted.
func (ivf *IVF) orderLists(q []float32, nprobe int, s *scratch) int {
	nprobe = min(max(nprobe, 1), ivf.NList)
	s.estimated = false
	if cc := ivf.coarse(); cc != nil {
		ivf.estimateCentroids(q, nprobe, cc, s)
		s.estimated = true
	} else if ivf.Metric == quant.L2 {
		quant.L2SquaredBatch(q, ivf.Centroids, s.centroidDist)
	} else {
		quant.DotBatch(q, ivf.Centroids, s.centroidDist)
		for i, d := range s.centroidDist {
			s.centroidDist[i] = -d
		}
	}
	s.order.reset(s.centroidDist)
	s.order.extend(nprobe)
	return nprobe
}

// ListSource gives a search the posting lists it probes: the in-memory
// Lists, or a cache over storage bounded in memory.
type ListSource interface {
	// Fetch returns list l; the List is read-only and stays valid while
	// the caller holds it.
	Fetch(l int) (*List, error)
	// CodeSize returns the bytes per code.
	CodeSize() int
}

// SearchParams are the knobs of one IVF search.
type SearchParams struct {
	// NProbe is the number of lists an unfiltered search probes.
	NProbe int
	// KC is the number of candidates returned (k x refine).
	KC int
	// Allow, when not nil, keeps only these docs (flattened once into a
	// bitset). With no Budget the search probes NProbe lists as an
	// unfiltered one does, keeping only allowed docs as candidates and
	// counting the rejected (SearchStats.Rejected). With a Budget it
	// probes lists in centroid order, skipping those with no allowed doc
	// (counted exactly), until it has scored Budget allowed codes in at
	// least MinLists lists, or run out of lists; lists less than
	// SparseScanMax allowed have only their allowed codes scored.
	Allow *roaring.Bitmap
	// AllowSet, when not nil, is Allow already flattened (NewAllowSet).
	AllowSet *AllowSet
	// Budget is the number of allowed codes a filtered search scores and
	// MinLists the least number of lists holding allowed docs it probes,
	// plus one for each list it skipped for holding none, up to twice
	// MinLists more.
	Budget, MinLists int
	// RankK, in a search with Allow and no Budget, asks for
	// SearchStats.Rank: the rank, among every code the search scored
	// (allowed or not), of its RankK-th best allowed candidate.
	RankK int
}

// Search returns up to KC candidates (best first by ADC distance, which
// the caller re-ranks with raw vectors) from the lists closest to q. q has
// Dim values, unit-normalised for Cosine. Distances follow the metric's
// smaller-is-closer convention. With a PCA they are estimated in the
// reduced space: for L2 the distance of the projections, which leaves out
// the part of q - x outside the kept subspace (an underestimate by that
// part's squared norm); for dot and cosine the inner product of the
// projections, which leaves out <q, x> outside it. The caller's re-ranking
// uses the raw q and rows, so only a search from the codes alone returns
// these estimates; and since their error bounds hold for the projections'
// distances only, a search with a PCA does not report them
// (SearchStats.Bounded), so the caller re-ranks every candidate. Search is
// goroutine-safe.
func (ivf *IVF) Search(q []float32, lists ListSource, p SearchParams) ([]Hit, SearchStats, error) {
	s := ivf.getScratch()
	defer scratchPool.Put(s)
	q = ivf.project(s.q, q)
	var st SearchStats
	if _, ok := s.shared.(quant.BoundedEstimator); ok && ivf.Blocked() != nil && ivf.PCA == nil {
		// With a PCA the bounds hold for the projections' distances, not
		// for the raw ones re-ranking compares: a candidate whose
		// reduced-space bounds rule it out may still be closer in the raw
		// space (on fashion-mnist, PCA 128 capped recall@10 at 0.942 with
		// re-ranking limited by the bounds).
		st.Bounded = true
	}
	filtered := p.Allow != nil && p.Budget > 0
	// An unfiltered search visits the nprobe closest lists; a filtered one
	// goes on in that order until its budget is met, sorting further
	// lists as it reaches them.
	nprobe := ivf.orderLists(q, p.NProbe, s)
	s.top.Reset(p.KC)
	ranking := p.Allow != nil && !filtered && p.RankK > 0
	s.refused = s.refused[:0]
	if ivf.Metric != quant.L2 {
		// <q, c + r> = <q, c> + <q, r>: one estimator for every list, the
		// centroid term as a per-list bias.
		s.shared.SetDot(q, -1)
	} else if ivf.HasTerms() {
		// Lists with code terms (see CodeTerms) share -2<q, r̂>.
		s.shared.SetDot(q, -2)
	}
	_, listTables := ivf.listL2()
	if listTables != nil {
		s.local.(quant.ListL2Estimator).SetQueryL2(q)
	}
	var allow bitset
	switch {
	case p.Allow != nil && p.AllowSet != nil:
		allow = p.AllowSet.b
	case p.Allow != nil:
		s.allow = s.allow.setFrom(p.Allow)
		allow = s.allow
	}
	cs := lists.CodeSize()
	blocked := ivf.Blocked() != nil
	allowed := 0
	for i := 0; i < ivf.NList; i++ {
		if !filtered && i == nprobe {
			break
		}
		if filtered && allowed >= p.Budget && st.ListsProbed >= p.MinLists+min(st.ListsSkipped, skipExtraMax*p.MinLists) {
			break
		}
		if i == s.order.sorted {
			if s.estimated {
				// Past the lists ranked exactly: rank the rest exactly
				// too, keeping those already visited.
				ivf.exactCentroids(q, s)
				s.order.rekey(s.centroidDist)
			}
			s.order.extend(i)
		}
		l := s.order.list(i)
		list, err := lists.Fetch(l)
		if err != nil {
			return nil, st, err
		}
		n := len(list.Docs)
		var pos []int32
		if filtered && n > 0 {
			pos = allow.positions(list.Docs, s.pos)
			s.pos = pos
			n = len(pos)
			if blocked || float64(n) >= SparseScanMax*float64(len(list.Docs)) {
				// Blocks are scanned whole: a fast scan of a block
				// costs less than gathering its allowed codes.
				pos = nil
			}
		}
		if n == 0 {
			st.ListsSkipped++
			continue
		}
		allowed += n
		st.ListsProbed++
		if s.estimated && !s.coarse.exact[l] {
			// Ranked by its estimate; scored with the exact distance.
			ivf.exactCentroid(q, l, s)
		}
		var bias float32
		est := s.shared
		switch {
		case ivf.Metric == quant.L2 && len(list.Terms) == len(list.Docs):
			bias = s.centroidDist[l] // ||q - c||²
		case listTables != nil:
			est, bias = s.local, s.centroidDist[l]
			est.(quant.ListL2Estimator).SetListL2(listTables[l*ivf.listTableLen : (l+1)*ivf.listTableLen])
		case ivf.Metric == quant.L2:
			ivf.residual(s.resid, q, l)
			est = s.local
			est.SetL2(s.resid)
		case ivf.Metric == quant.Dot:
			bias = s.centroidDist[l] // -<q, c>
		case ivf.Metric == quant.Cosine:
			bias = 1 + s.centroidDist[l] // 1 - <q, c>
		}
		if pos != nil && est == s.shared {
			s.gather.add(s, s.shared, list, cs, pos, bias, len(list.Terms) == len(list.Docs), int32(i))
			st.CodesScored += len(pos)
		} else {
			in, refused := ivf.scanList(list, cs, s, est, bias, allow, ranking, filtered, int32(i))
			st.CodesScored += len(list.Docs)
			if !filtered {
				st.AllowedScored += in
				st.Rejected += refused
			}
		}
	}
	s.gather.flush(s, s.shared, cs)
	if ranking {
		st.Rank = s.rank(p.RankK)
	}
	switch {
	case filtered:
		st.AllowedScored = allowed
	case p.Allow == nil:
		st.AllowedScored = st.CodesScored
	}
	return s.top.Sorted(nil), st, nil
}

// rank returns the rank among every code scored of the k-th candidate in
// s.top (0 when it holds fewer than k): k, plus the refused codes
// estimated at most as far. An allowed code it dropped was estimated
// past the worst candidate at the time, so past the k-th; a refused code
// as close as the k-th was as close as the worst candidate at the time,
// so it is in s.refused.
func (s *scratch) rank(k int) int {
	if s.top.Len() < k {
		return 0
	}
	var kth float32
	kth, s.kth = s.top.Kth(k, s.kth)
	n := k
	for _, x := range s.refused {
		if x <= kth {
			n++
		}
	}
	return n
}

// scanList scores every code of list into s.top (ranking, keeping the
// estimates of the refused candidates in s.refused) and returns, of the
// codes good enough to be candidates, how many allow let in and how many
// it refused (allow nil: all in). With skipRefused, a bounded estimator
// is told the allowed codes and scores only those further (the caller
// does not count the refused).
func (ivf *IVF) scanList(list *List, cs int, s *scratch, est quant.Estimator, bias float32, allow bitset, ranking, skipRefused bool, probe int32) (in, refused int) {
	n := len(list.Docs)
	terms := ivf.Metric == quant.L2 && len(list.Terms) == n
	be, blocked := est.(quant.BlockEstimator)
	blocked = blocked && ivf.Blocked() != nil
	bounded, _ := est.(quant.BoundedEstimator)
	for start := 0; start < n; start += scanChunk {
		end := min(start+scanChunk, n)
		d, errs := s.dist[:end-start], s.errs[:end-start]
		switch {
		case blocked && bounded != nil:
			// Codes whose cheap estimate cannot beat the current worst
			// candidate are not scored further (they get +Inf).
			worst := float32(math.Inf(1))
			if s.top.Full() {
				worst = s.top.Worst()
			}
			var keep []uint32
			if skipRefused && allow != nil {
				// Nor are the codes the filter refuses: under a 10%
				// filter they were nine in ten of the B-bit dot products,
				// 40% of a RaBitQ search's time.
				keep = s.keep[:(end-start+quant.FastScanBlock-1)/quant.FastScanBlock]
				for b := range keep {
					var m uint32
					for j, doc := range list.Docs[start+b*quant.FastScanBlock : min(start+(b+1)*quant.FastScanBlock, end)] {
						m |= allow.bit(doc) << j
					}
					keep[b] = m
				}
			}
			bounded.ScanBlocksBounded(list.Codes[start*cs:], bias, worst, keep, d, errs)
		case blocked:
			// scanChunk is a whole number of blocks: start/FastScanBlock
			// blocks of cs x FastScanBlock bytes precede this chunk.
			be.ScanBlocks(list.Codes[start*cs:], bias, d)
		default:
			est.Scan(list.Codes[start*cs:end*cs], bias, d)
		}
		if terms {
			for i, t := range list.Terms[start:end] {
				d[i] += t
			}
		}
		for i, x := range d {
			if s.top.Full() && x > s.top.Worst() {
				continue
			}
			doc := list.Docs[start+i]
			if allow != nil && !allow.has(doc) {
				refused++
				if ranking {
					s.refused = append(s.refused, x)
				}
				continue
			}
			h := Hit{Doc: doc, Distance: x, Probe: probe}
			if bounded != nil {
				h.Err = errs[i]
			}
			s.top.Push(h)
			in++
		}
	}
	return in, refused
}
