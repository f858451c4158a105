package db

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/internal/fault"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/quant"
	"github.com/vecdb/vecdb/query"
)

// DefaultK is the number of results a search returns when K is 0.
const DefaultK = 10

// SearchRequest is one search. Exactly one of Vector and ID is set; a nil
// request field takes its default.
type SearchRequest struct {
	// Vector is the query vector; it must have the collection's dimension.
	Vector []float32
	// ID searches with the stored vector of that record and leaves the
	// record itself out of the results.
	ID string
	// K is the number of results (default DefaultK, at most MaxK). When
	// fewer records match the filter, every match is returned.
	K int
	// Filter is a filter expression over the collection's fields, e.g.
	// `genre = "comedy" AND year >= 1990` (see package query). Empty means
	// every record.
	Filter string
	// IDs, when not nil, restricts the search to these records (IDs that
	// do not exist are ignored); ExcludeIDs leaves these out, e.g. the
	// items a user already has. Both combine with Filter by intersection.
	IDs, ExcludeIDs []string
	// Allow, when not nil, restricts the search to a selection the
	// application made (see [DB.Select]); Exclude leaves one out. Both
	// combine with the other restrictions by intersection.
	Allow, Exclude *Selection
	// Exact forces an exact scan even when the collection has an index.
	Exact bool
	// PostFilter answers a filtered search by an unfiltered probe whose
	// results the filter then thins, as many vector databases do; it may
	// return fewer than K. For benchmarks (vecdb bench --postfilter).
	PostFilter bool
	// NProbe is the number of IVF lists to probe (0: the index's default).
	// Ignored by exact searches.
	NProbe int
	// Refine re-ranks K x Refine approximate candidates with the raw
	// vectors (0: the index's default). Ignored by exact searches.
	Refine int
	// CodesOnly answers an approximate search from the index's codes
	// alone, reading no raw vector: results are ordered by the codes'
	// distance estimates, and Distance is the estimate (vecdb search
	// --refine 0). With a PCA pre-transform (BuildOptions.PCA) the
	// estimate is of the distance between the projections, in the reduced
	// space: for L2 it leaves out the part of the difference outside the
	// kept subspace. Exact plans (no index, Exact, selective filters) are
	// unchanged.
	CodesOnly bool
	// TargetRecall, when NProbe is 0, picks the smallest nprobe whose
	// recall@10 the index's calibration (see BuildOptions.TargetRecall)
	// measured at or above it; the largest measured when none did.
	TargetRecall float64
	// WithMeta and WithVector add each result's metadata and stored vector.
	WithMeta, WithVector bool
	// Threads bounds the goroutines a SearchMany uses (0: GOMAXPROCS).
	Threads int
}

// GetK returns K or its default.
func (r *SearchRequest) GetK() int {
	if r == nil || r.K == 0 {
		return DefaultK
	}
	return r.K
}

// Result is one search hit.
type Result struct {
	ID string
	// Distance is smaller-is-closer: squared L2, 1 - cosine similarity, or
	// minus the inner product.
	Distance float32
	Meta     Meta
	Vector   []float32
}

// Search returns the K nearest records to the request's vector (or record),
// closest first, ties in insertion order. The search is exact: it scans
// the raw vectors of every record that passes the filter.
func (d *DB) Search(ctx context.Context, coll string, req *SearchRequest) ([]Result, error) {
	if req == nil {
		return nil, invalidf("search: nil request")
	}
	var qs [][]float32
	if req.Vector != nil {
		qs = [][]float32{req.Vector}
	}
	res, _, err := d.search(ctx, coll, qs, req)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// SearchMany runs one search per query vector with the request's K, filter
// and options (req.Vector and req.ID are ignored), using all cores. Results
// are in query order.
func (d *DB) SearchMany(ctx context.Context, coll string, queries [][]float32, req *SearchRequest) ([][]Result, error) {
	r := SearchRequest{}
	if req != nil {
		r = *req
	}
	r.ID, r.Vector = "", nil
	if queries == nil {
		queries = [][]float32{}
	}
	res, _, err := d.search(ctx, coll, queries, &r)
	return res, err
}

// Plan says how one query was answered: the strategy and why, the
// filter's candidates and selectivity, lists probed and skipped, codes
// scored, vectors re-ranked, and the time of each stage. FilterTime and
// ResolveTime are shared by the queries of one call.
type Plan struct {
	query.Plan
	FilterTime, ResolveTime time.Duration
}

// Explain runs the queries like SearchMany (or, with queries nil, the
// request's Vector or ID) and also returns each query's plan.
func (d *DB) Explain(ctx context.Context, coll string, queries [][]float32, req *SearchRequest) ([][]Result, []Plan, error) {
	if req == nil {
		return nil, nil, invalidf("search: nil request")
	}
	r := *req
	if queries == nil && r.Vector != nil {
		queries = [][]float32{r.Vector}
	}
	return d.search(ctx, coll, queries, &r)
}

// search runs the queries (or, when qs is nil, the request's ID).
func (d *DB) search(ctx context.Context, coll string, qs [][]float32, req *SearchRequest) (_ [][]Result, _ []Plan, err error) {
	defer func() { err = storageErr(err) }()
	type out struct {
		res   [][]Result
		plans []Plan
	}
	o, err := retryRetired(func() (out, error) {
		res, plans, err := d.searchOnce(ctx, coll, qs, req)
		return out{res, plans}, err
	})
	return o.res, o.plans, err
}

// searchHook, when set (tests), runs once a search holds its index
// generation.
var searchHook func()

func (d *DB) searchOnce(ctx context.Context, coll string, qs [][]float32, req *SearchRequest) ([][]Result, []Plan, error) {
	c, release, err := d.enterColl(coll)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	if dmg := c.damaged.Load(); dmg != nil {
		return nil, nil, damagedErr(c, *dmg)
	}
	k := req.GetK()
	if k < 1 || k > MaxK {
		return nil, nil, invalidf("search: k = %d outside [1, %d]", k, MaxK)
	}
	if qs == nil && req.ID == "" {
		return nil, nil, invalidf("search: give a query vector or a record ID")
	}
	var filter *query.Filter
	if req.Filter != "" {
		if filter, err = query.CompileFilter(req.Filter, &c.schema); err != nil {
			return nil, nil, sentinel.Mark(err, ErrInvalid)
		}
	}
	// The tail cache first (see prepareTail), then the snapshot, then
	// the index and the rows: a generation swapped in after the snapshot
	// has every code the snapshot's docs need, and tail rows are published
	// before their batch commits, so the tail view covers every doc the
	// snapshot can name.
	tc, err := d.prepareTail(c)
	if err != nil {
		return nil, nil, err
	}
	g1 := c.gen.Load()
	snap := d.pdb.NewSnapshot()
	defer snap.Close()
	if c.retired.Load() {
		return nil, nil, errRetired
	}
	gen := c.gen.Load()
	if gen != g1 || gen%2 == 1 {
		gen = noGeneration // a commit overlapped the snapshot: bypass the cache
	}
	ix, unhold, err := d.acquireIndex(c)
	if err != nil {
		return nil, nil, err
	}
	defer unhold()
	if searchHook != nil {
		searchHook()
	}
	rows := d.rows(c, snap, ix, tc)
	var skips []*uint32
	if qs == nil {
		doc, err := findDoc(snap, c, req.ID)
		if err != nil {
			return nil, nil, err
		}
		var q []float32
		err = fault.Guard(func() error {
			return rows.Fetch([]uint32{doc}, func(_ int, row []float32) { q = slices.Clone(row) })
		})
		if err != nil {
			return nil, nil, err
		}
		if q == nil {
			return nil, nil, corruptionf("collection %q: record %q has no vector", coll, req.ID)
		}
		qs = [][]float32{q}
		skips = []*uint32{&doc}
	} else {
		if qs, err = prepareQueries(&c.schema, qs); err != nil {
			return nil, nil, err
		}
	}
	start := time.Now()
	allow, live, err := d.allowed(snap, c, gen, filter, req)
	if err != nil {
		return nil, nil, err
	}
	filterTime := time.Since(start)
	qix, params, err := queryIndex(ix, req, k)
	if err != nil {
		return nil, nil, err
	}
	params.Total = live
	hits, qplans, err := query.SearchBatch(ctx, rows, qix, c.schema.Metric, qs, params, allow, skips, req.Threads)
	if err != nil {
		return nil, nil, err
	}
	if ix.st != nil && ix.st.swapped.Load() {
		// A swap replaced the generation while the search read its lists,
		// whose blocks (the codes added since its build) it deletes: start
		// over on the new one, once the swap, which holds the write lock,
		// is done.
		d.wmu.Lock() // held by the swap until it is done
		d.wmu.Unlock()
		return nil, nil, errRetired
	}
	start = time.Now()
	var res [][]Result
	err = fault.Guard(func() error {
		var err error
		res, err = resolveHits(snap, c, rows, hits, req)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	resolveTime := time.Since(start)
	plans := make([]Plan, len(qplans))
	for i, p := range qplans {
		plans[i] = Plan{Plan: p, FilterTime: filterTime, ResolveTime: resolveTime}
	}
	return res, plans, nil
}

// allowed returns the docs a search may return, and the number of live
// docs: the live docs that pass the filter, restricted to req.IDs when set, minus req.ExcludeIDs. ID
// sets cost one look-up per ID; the rest is bitmap operations.
func (d *DB) allowed(snap *pebble.Snapshot, c *collection, gen uint64, filter *query.Filter, req *SearchRequest) (allow *roaring.Bitmap, live uint64, err error) {
	ix := bitmapIndex{r: snap, c: c, gen: gen}
	all, err := ix.All() // cached: the filter's own read of it costs a clone
	if err != nil {
		return nil, 0, err
	}
	switch {
	case filter == nil:
		allow = all
	case gen != noGeneration:
		// A filter's result is cached like the bitmaps it is made of, under
		// its canonical text, until the next write to the collection:
		// repeated filters (a dashboard, a benchmark, a recommender's
		// genre) skip the evaluation.
		key := []byte("\xfffilter\x00" + filter.String())
		var ok bool
		if allow, ok = c.cache.get(gen, key); !ok {
			if allow, err = filter.Eval(ix); err == nil {
				c.cache.put(gen, key, allow)
			}
		}
	default:
		allow, err = filter.Eval(ix)
	}
	if err != nil {
		return nil, 0, errors.Wrap(err, "evaluating filter")
	}
	live = all.GetCardinality()
	if req.IDs != nil {
		only, err := docsOf(snap, c, req.IDs)
		if err != nil {
			return nil, 0, err
		}
		allow.And(only)
	}
	if len(req.ExcludeIDs) > 0 {
		not, err := docsOf(snap, c, req.ExcludeIDs)
		if err != nil {
			return nil, 0, err
		}
		allow.AndNot(not)
	}
	if req.Allow != nil {
		if err := req.Allow.check(c, "Allow"); err != nil {
			return nil, 0, err
		}
		allow.And(req.Allow.bm)
	}
	if req.Exclude != nil {
		if err := req.Exclude.check(c, "Exclude"); err != nil {
			return nil, 0, err
		}
		allow.AndNot(req.Exclude.bm)
	}
	return allow, live, nil
}

// docsOf returns the doc ids of the records with these IDs.
func docsOf(r reader, c *collection, ids []string) (*roaring.Bitmap, error) {
	bm := roaring.New()
	for _, id := range ids {
		doc, ok, err := lookupDoc(r, c, id)
		if err != nil {
			return nil, err
		}
		if ok {
			bm.Add(doc)
		}
	}
	return bm, nil
}

// queryIndex returns the index a search uses (nil: exact) and its
// parameters.
func queryIndex(ix servingIndex, req *SearchRequest, k int) (query.Source, query.Params, error) {
	p := query.Params{K: k, NProbe: req.NProbe, Refine: req.Refine, PostFilter: req.PostFilter, CodesOnly: req.CodesOnly}
	if p.NProbe < 0 || p.Refine < 0 {
		return nil, p, invalidf("search: nprobe %d and refine %d must not be negative", p.NProbe, p.Refine)
	}
	if !(req.TargetRecall >= 0 && req.TargetRecall <= 1) {
		return nil, p, invalidf("search: target recall %v outside (0, 1]", req.TargetRecall)
	}
	st := ix.st
	if st == nil || req.Exact {
		return nil, p, nil
	}
	// A default or calibrated refine of 0 is a search of the codes alone.
	setRefine := func(refine int) {
		if p.Refine == 0 && !p.CodesOnly {
			p.Refine, p.CodesOnly = refine, refine == 0
		}
	}
	if req.TargetRecall > 0 && p.NProbe == 0 {
		cal := st.calib.Load()
		if cal == nil {
			return nil, p, invalidf("search: a target recall needs a calibrated index (vecdb build --target-recall R, BuildOptions.TargetRecall)")
		}
		np, refine, _ := cal.For(req.TargetRecall)
		p.NProbe = np
		setRefine(refine)
	}
	np, refine := st.defaults()
	if p.NProbe == 0 {
		p.NProbe = np
	}
	setRefine(refine)
	return &query.IVF{IVF: st.ivf, Lists: ix.src, Count: int(st.codes.Load())}, p, nil
}

// prepareQueries validates query vectors and normalises them for cosine.
func prepareQueries(s *Schema, qs [][]float32) ([][]float32, error) {
	out := make([][]float32, len(qs))
	for i, q := range qs {
		if len(q) != s.Dim {
			return nil, sentinel.Mark(errors.Newf("vecdb: query %d has %d values, collection %q has dimension %d", i+1, len(q), s.Name, s.Dim), ErrDimensionMismatch)
		}
		for j, x := range q {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, invalidf("query %d: value %d is %v", i+1, j, x)
			}
		}
		if n2 := norm2(q); n2 > maxNorm2 {
			return nil, invalidf("query %d: the vector's squared length %.3g exceeds %.3g: its distances would overflow float32", i+1, n2, maxNorm2)
		}
		out[i] = q
		if s.Metric == Cosine {
			out[i] = slices.Clone(q)
			if !quant.Normalize(out[i]) {
				return nil, invalidf("query %d: a zero vector has no direction (cosine metric)", i+1)
			}
		}
	}
	return out, nil
}

// resolveHits turns doc ids into results: IDs from the segment or the
// tail cache when only IDs are asked for, else (and for docs in neither)
// records from the snapshot. Run under fault.Guard.
func resolveHits(snap *pebble.Snapshot, c *collection, rows *rowSource, hits [][]query.Hit, req *SearchRequest) ([][]Result, error) {
	out := make([][]Result, len(hits))
	for i, hs := range hits {
		out[i] = make([]Result, len(hs))
		for j, h := range hs {
			r := &out[i][j]
			r.Distance = h.Distance
			if !req.WithMeta && !req.WithVector {
				id, ok, err := rows.id(h.Doc)
				if err != nil {
					return nil, err
				}
				if ok {
					r.ID = id
					continue
				}
			}
			rec, err := readRecord(snap, c, h.Doc, req.WithMeta, req.WithVector)
			if err != nil {
				return nil, err
			}
			r.ID, r.Meta, r.Vector = rec.ID, rec.Meta, rec.Vector
		}
	}
	return out, nil
}
