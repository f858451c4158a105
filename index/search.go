package index

import (
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
	// AllowedScored how many of them the filter allowed.
	CodesScored, AllowedScored int
}

// scratch is per-query working memory.
type scratch struct {
	centroidDist []float32
	table        []float32
	// shared is an L2 search's inner-product table, -2<Rq, p>, for the
	// lists that carry code terms.
	shared []float32
	resid  []float32
	rot    []float32
	dist   [scanChunk]float32
	probe  TopK
	top    TopK
	// probeHits and order hold the probe order.
	probeHits []Hit
	order     []int
	// allow is a filtered search's Allow as a flat bitset.
	allow bitset
}

// bitset is a flat set of doc ids: testing a doc is one load and a shift,
// where a roaring lookup first searches its container. A filtered search
// flattens its allow set once, then counts each probed list's allowed docs
// and checks candidates against it.
type bitset []uint64

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

func (b bitset) has(doc uint32) bool {
	w := int(doc >> 6)
	return w < len(b) && b[w]&(1<<(doc&63)) != 0
}

// count returns how many of docs are in b. It has no data-dependent
// branch: at 50% selectivity a branch per doc mispredicts half the time.
func (b bitset) count(docs []uint32) int {
	n := uint64(0)
	for _, d := range docs {
		if w := int(d >> 6); w < len(b) {
			n += b[w] >> (d & 63) & 1
		}
	}
	return int(n)
}

var scratchPool sync.Pool

func (ivf *IVF) getScratch() *scratch {
	s, _ := scratchPool.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if cap(s.centroidDist) < ivf.NList {
		s.centroidDist = make([]float32, ivf.NList)
	}
	if n := ivf.PQ.M * 256; cap(s.table) < n {
		s.table = make([]float32, n)
		s.shared = make([]float32, n)
	}
	if cap(s.resid) < ivf.Dim {
		s.resid = make([]float32, ivf.Dim)
		s.rot = make([]float32, 0, ivf.Dim)
	}
	s.centroidDist = s.centroidDist[:ivf.NList]
	s.table = s.table[:ivf.PQ.M*256]
	s.shared = s.shared[:ivf.PQ.M*256]
	s.resid = s.resid[:ivf.Dim]
	return s
}

// Probe appends to dst the nprobe lists whose centroids are closest to q
// under the index's metric, closest first.
func (ivf *IVF) Probe(q []float32, nprobe int, dst []int) []int {
	s := ivf.getScratch()
	defer scratchPool.Put(s)
	return ivf.probe(q, nprobe, s, dst)
}

func (ivf *IVF) probe(q []float32, nprobe int, s *scratch, dst []int) []int {
	nprobe = min(max(nprobe, 1), ivf.NList)
	if ivf.Metric == quant.L2 {
		quant.L2SquaredBatch(q, ivf.Centroids, s.centroidDist)
	} else {
		quant.DotBatch(q, ivf.Centroids, s.centroidDist)
		for i, d := range s.centroidDist {
			s.centroidDist[i] = -d
		}
	}
	s.probe.Reset(nprobe)
	for l, d := range s.centroidDist {
		s.probe.Push(Hit{Doc: uint32(l), Distance: d})
	}
	return s.appendProbes(dst)
}

// probeMore appends to order the next n lists in probe order after the
// last one in it, from the centroid distances probe left in s. A filtered
// search extends its order this way, a batch at a time, rather than
// sorting every centroid up front.
func (ivf *IVF) probeMore(s *scratch, order []int, n int) []int {
	last := order[len(order)-1]
	after := Hit{Doc: uint32(last), Distance: s.centroidDist[last]}
	s.probe.Reset(min(n, ivf.NList-len(order)))
	for l, d := range s.centroidDist {
		if h := (Hit{Doc: uint32(l), Distance: d}); Less(after, h) {
			s.probe.Push(h)
		}
	}
	return s.appendProbes(order)
}

func (s *scratch) appendProbes(dst []int) []int {
	s.probeHits = s.probe.Sorted(s.probeHits[:0])
	for _, h := range s.probeHits {
		dst = append(dst, int(h.Doc))
	}
	return dst
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
	// Allow, when not nil, keeps only these docs. The search then probes
	// lists in centroid order, skipping those with no allowed doc (counted
	// exactly against Allow, flattened once into a bitset), until it has
	// scored Budget allowed codes or run out of lists.
	Allow *roaring.Bitmap
	// Budget is the number of allowed codes a filtered search scores; the
	// caller sets it to what an unfiltered search with NProbe would score.
	Budget int
}

// Search returns up to KC candidates (best first by ADC distance, which
// the caller re-ranks with raw vectors) from the lists closest to q. q has
// Dim values, unit-normalised for Cosine. Distances follow the metric's
// smaller-is-closer convention. Search is goroutine-safe.
func (ivf *IVF) Search(q []float32, lists ListSource, p SearchParams) ([]Hit, SearchStats, error) {
	s := ivf.getScratch()
	defer scratchPool.Put(s)
	var st SearchStats
	filtered := p.Allow != nil && p.Budget > 0
	nprobe := p.NProbe
	if filtered {
		// A first batch of the probe order; the loop asks for more when
		// the budget is not met by then.
		nprobe = 2 * nprobe
	}
	probes := ivf.probe(q, nprobe, s, s.order[:0])
	s.top.Reset(p.KC)
	if ivf.Metric != quant.L2 {
		// <q, c + r> = <q, c> + <q, r>: one table for every list, the
		// centroid term as a per-list bias.
		ivf.PQ.DotTable(ivf.rotate(s.rot, q), s.table)
		for i, x := range s.table {
			s.table[i] = -x
		}
	} else {
		// Lists with code terms (see CodeTerms) share -2<Rq, p>.
		ivf.PQ.DotTable(ivf.rotate(s.rot, q), s.shared)
		for i, x := range s.shared {
			s.shared[i] = -2 * x
		}
	}
	var allow bitset
	if p.Allow != nil {
		s.allow = s.allow.setFrom(p.Allow)
		allow = s.allow
	}
	cs := lists.CodeSize()
	allowed := 0
	for i := 0; i < len(probes); i++ {
		if filtered && allowed >= p.Budget {
			break
		}
		if filtered && i == len(probes)-1 && len(probes) < ivf.NList {
			probes = ivf.probeMore(s, probes, len(probes))
		}
		l := probes[i]
		list, err := lists.Fetch(l)
		if err != nil {
			return nil, st, err
		}
		n := len(list.Docs)
		if filtered && n > 0 {
			n = allow.count(list.Docs)
		}
		if n == 0 {
			st.ListsSkipped++
			continue
		}
		allowed += n
		st.ListsProbed++
		var bias float32
		table := s.table
		switch {
		case ivf.Metric == quant.L2 && len(list.Terms) == len(list.Docs):
			table, bias = s.shared, s.centroidDist[l] // ||q - c||²
		case ivf.Metric == quant.L2:
			ivf.residual(s.resid, q, l)
			ivf.PQ.L2Table(ivf.rotate(s.rot, s.resid), s.table)
		case ivf.Metric == quant.Dot:
			bias = s.centroidDist[l] // -<q, c>
		case ivf.Metric == quant.Cosine:
			bias = 1 + s.centroidDist[l] // 1 - <q, c>
		}
		st.CodesScored += ivf.scanList(list, cs, s, table, bias, allow)
	}
	st.AllowedScored = allowed
	s.order = probes[:0]
	return s.top.Sorted(nil), st, nil
}

// scanList scores a list's codes into s.top and returns how many it scored.
func (ivf *IVF) scanList(list *List, cs int, s *scratch, table []float32, bias float32, allow bitset) int {
	n := len(list.Docs)
	terms := ivf.Metric == quant.L2 && len(list.Terms) == n
	for start := 0; start < n; start += scanChunk {
		end := min(start+scanChunk, n)
		d := s.dist[:end-start]
		quant.ADCScan(table, list.Codes[start*cs:end*cs], bias, d)
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
				continue
			}
			s.top.Push(Hit{Doc: doc, Distance: x})
		}
	}
	return n
}
