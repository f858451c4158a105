package wire

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cockroachdb/errors"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// FromSchema is a schema's wire form.
func FromSchema(s db.Schema) Schema {
	out := Schema{Name: s.Name, Dim: s.Dim, Metric: s.Metric.String(), Fields: []Field{}}
	for _, f := range s.Fields {
		out.Fields = append(out.Fields, Field{Name: f.Name, Type: f.Type.String()})
	}
	return out
}

// Schema returns the schema a create request asks for. Fields are
// declared in name order (a JSON object has none of its own).
func (c *CreateCollection) Schema() (db.Schema, error) {
	s := db.Schema{Name: c.Name, Dim: c.Dim}
	metric := c.Metric
	if metric == "" {
		metric = "l2"
	}
	m, err := db.ParseMetric(metric)
	if err != nil {
		return db.Schema{}, invalid(errors.Wrap(err, "metric"))
	}
	s.Metric = m
	names := make([]string, 0, len(c.Fields))
	for name := range c.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f, err := db.ParseField(name + ":" + c.Fields[name])
		if err != nil {
			return db.Schema{}, invalid(errors.Wrapf(err, "fields"))
		}
		s.Fields = append(s.Fields, f)
	}
	return s, nil
}

// invalid marks err as bad input (db.ErrInvalid) unless it is marked.
func invalid(err error) error {
	if errors.Is(err, db.ErrInvalid) {
		return err
	}
	return sentinel.Mark(err, db.ErrInvalid)
}

// FromStats is a collection's statistics in wire form (Memory unset).
func FromStats(st db.CollectionStats) Stats {
	out := Stats{
		Schema:           FromSchema(st.Schema),
		Count:            st.Count,
		DiskBytes:        st.DiskBytes,
		Normalized:       st.Normalized,
		VectorCacheBytes: st.VectorCacheBytes,
		IndexDamaged:     st.IndexDamaged,
	}
	if ix := st.Index; ix != nil {
		out.Index = &Index{
			Generation: ix.Generation, Codec: db.CodecSpec(ix.Codec, ix.Bits), Lists: ix.Lists, M: ix.M, PCA: ix.PCA, CodeBytes: ix.CodeBytes, Codes: ix.Codes,
			Description: IndexDescription(ix.PCA, ix.Lists, db.CodecSpec(ix.Codec, ix.Bits), ix.M),
			ListMin:     ix.ListMin, ListMax: ix.ListMax, ListMean: ix.ListMean, ListCV: ix.ListCV,
			Built: ix.Built, Added: ix.Added, Drift: ix.Drift, NProbe: ix.NProbe, Refine: ix.Refine,
			VectorFile: ix.VectorFile, VectorFileRows: ix.VectorFileRows, VectorFileBytes: ix.VectorFileBytes,
			ListsWithBlocks: ix.ListsWithBlocks, RebuildAdvised: ix.RebuildAdvised, Advice: ix.Advice,
			Calibration: FromCalibration(ix.Calibration),
		}
	}
	return out
}

// FromMemory is the process's memory in wire form.
func FromMemory(m db.MemoryStats) *Memory {
	return &Memory{
		Budget: m.Budget, BlockCache: m.BlockCache, BlockCacheUsed: m.BlockCacheUsed,
		MemTable: m.MemTable, MemTableUsed: m.MemTableUsed, Rows: m.Rows, RowsUsed: m.RowsUsed,
		Lists: m.Lists, ListsUsed: m.ListsUsed, Bitmaps: m.Bitmaps, BitmapsUsed: m.BitmapsUsed,
		Mapped: m.Mapped, MappedResident: m.MappedResident,
	}
}

// FromCalibration is a calibration in wire form (nil for nil).
func FromCalibration(cal *db.Calibration) *Calibration {
	if cal == nil {
		return nil
	}
	out := &Calibration{Target: cal.Target, K: cal.K, Queries: cal.Queries, Refine: cal.DefaultRefine, NProbe: cal.DefaultNProbe,
		TargetAchieved: cal.TargetAchieved, Seconds: cal.Measured.Seconds(), Points: []CalibrationPoint{}}
	for _, p := range cal.Points {
		out.Points = append(out.Points, CalibrationPoint{NProbe: p.NProbe, Refine: p.Refine, Recall: p.Recall, Micros: p.Micros})
	}
	return out
}

// FromBuild is what a build of coll did, in wire form.
func FromBuild(coll string, st db.BuildStats) Build {
	return Build{
		Collection: coll, Codec: db.CodecSpec(st.Codec, st.Bits), Lists: st.Lists, M: st.M, Bits: st.Bits, Sample: st.Sample,
		PCA: st.PCA, CodeBytes: st.CodeBytes, Description: IndexDescription(st.PCA, st.Lists, db.CodecSpec(st.Codec, st.Bits), st.M),
		Encoded: st.Encoded, CaughtUp: st.CaughtUp, NProbe: st.NProbe, Refine: st.Refine,
		TrainSeconds: st.Train.Seconds(), EncodeSeconds: st.Encode.Seconds(), WriteSeconds: st.Write.Seconds(),
		Calibration: FromCalibration(st.Calibration),
	}
}

// IndexDescription names an index in FAISS's index-factory style, as the
// build's and stats' output show it: "IVF512,PQ64x4fs",
// "PCA128,IVF256,RaBitQx4". codec is its spec (pq8, pq4fs, rabitq:4), m
// its sub-quantisers and pca the PCA's dimension (0: none).
func IndexDescription(pca, lists int, codec string, m int) string {
	s := fmt.Sprintf("IVF%d,%s", lists, codecLabel(codec, m))
	if pca > 0 {
		s = fmt.Sprintf("PCA%d,%s", pca, s)
	}
	return s
}

// codecLabel names a codec with its sub-quantisers: PQ32, PQ64x4fs,
// RaBitQx4.
func codecLabel(spec string, m int) string {
	c, bits, err := db.ParseCodecSpec(spec)
	switch {
	case err != nil:
		return fmt.Sprintf("%s,M%d", spec, m) // a codec of a newer server
	case c == db.CodecRaBitQ:
		return fmt.Sprintf("RaBitQx%d", bits)
	case c == db.CodecPQ4FS:
		return fmt.Sprintf("PQ%dx4fs", m)
	}
	return fmt.Sprintf("PQ%d", m)
}

// Options returns the build options a build request asks for.
func (b *BuildRequest) Options() (db.BuildOptions, error) {
	o := db.BuildOptions{Lists: b.Lists, M: b.M, NBits: b.NBits, Sample: b.Sample, NProbe: b.NProbe, Refine: b.Refine,
		Seed: b.Seed, OPQ: b.OPQ, TargetRecall: b.TargetRecall, PCA: b.PCA}
	if o.Seed == 0 {
		o.Seed = 1 // vecdb build's default
	}
	if b.Codec != "" {
		c, bits, err := db.ParseCodecSpec(b.Codec)
		if err != nil {
			return db.BuildOptions{}, invalid(errors.Wrap(err, "codec"))
		}
		o.Codec = c
		if bits != 0 {
			o.NBits = bits
		}
	}
	return o, nil
}

// FromPlan is how a query was answered, in wire form.
func FromPlan(p db.Plan) Plan {
	return Plan{
		Strategy: p.Strategy, Reason: p.Reason, Candidates: p.Candidates, Selectivity: roundTo(p.Selectivity, 6),
		NProbe: p.NProbe, Budget: p.Budget, ListsProbed: p.ListsProbed, ListsSkipped: p.ListsSkipped,
		CodesScored: p.CodesScored, AllowedScored: p.AllowedScored, Rejected: p.Rejected, Reranked: p.Reranked, BoundSkipped: p.BoundSkipped,
		Widened: p.Widened, Deepened: p.Deepened,
		FilterMS: roundTo(ms(p.FilterTime), 3), ScanMS: roundTo(ms(p.ScanTime), 3),
		RerankMS: roundTo(ms(p.RerankTime), 3), ResolveMS: roundTo(ms(p.ResolveTime), 3),
	}
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

// roundTo rounds x to the given number of decimals.
func roundTo(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}

// FromResults is one query's results in wire form, with each hit's
// metadata when withMeta (an empty object for a record without any).
func FromResults(rs []db.Result, withMeta bool) []Hit {
	hits := make([]Hit, len(rs))
	for i, r := range rs {
		hits[i] = Hit{ID: r.ID, Distance: Distance(r.Distance)}
		if withMeta {
			hits[i].Meta = r.Meta
			if hits[i].Meta == nil {
				hits[i].Meta = map[string]any{}
			}
		}
	}
	return hits
}

// FromRecord is a stored record in wire form; a missing vector or
// metadata is written as an empty array or object.
func FromRecord(rec *db.Record) Record {
	out := Record{ID: rec.ID, Vector: rec.Vector, Meta: rec.Meta}
	if out.Meta == nil {
		out.Meta = map[string]any{}
	}
	if out.Vector == nil {
		out.Vector = []float32{}
	}
	return out
}

// Distance maps the distances JSON cannot represent to the nearest finite
// float32: a distance overflows to ±Inf when vectors hold values near the
// float32 limit, and ±MaxFloat32 keeps such results in order. NaN
// (possible only from such overflows, e.g. Inf - Inf in a dot product) is
// reported as the farthest distance.
func Distance(d float32) float32 {
	switch {
	case math.IsNaN(float64(d)) || math.IsInf(float64(d), 1):
		return math.MaxFloat32
	case math.IsInf(float64(d), -1):
		return -math.MaxFloat32
	}
	return d
}

// Request returns the db request a search request asks for, and its
// query vectors when it has several. The collection's dimension checks
// Vector and Queries here, naming the bad one.
func (r *SearchRequest) Request(dim int) (*db.SearchRequest, [][]float32, error) {
	given := 0
	if r.Vector != nil {
		given++
	}
	if r.ID != "" {
		given++
	}
	if r.Queries != nil {
		given++
	}
	if given != 1 {
		return nil, nil, invalid(errors.New("search: give exactly one of vector, id and queries"))
	}
	k := r.K
	if k == 0 {
		k = db.DefaultK
	}
	if k < 1 || k > db.MaxK {
		return nil, nil, invalid(errors.Newf("search: k %d: want 1 to %d", r.K, db.MaxK))
	}
	if r.NProbe < 0 {
		return nil, nil, invalid(errors.Newf("search: nprobe %d: want 0 (the default) or more", r.NProbe))
	}
	req := &db.SearchRequest{Vector: r.Vector, ID: r.ID, K: k, Filter: r.Filter, Exact: r.Exact, NProbe: r.NProbe,
		IDs: r.Only, ExcludeIDs: r.Exclude, TargetRecall: r.TargetRecall, WithMeta: r.WithMeta, PostFilter: r.PostFilter}
	if r.Refine != nil {
		if *r.Refine < 0 {
			return nil, nil, invalid(errors.Newf("search: refine %d: want 0 (the codes alone) or more", *r.Refine))
		}
		req.Refine = *r.Refine
		req.CodesOnly = *r.Refine == 0
	}
	if r.Vector != nil && len(r.Vector) != dim {
		return nil, nil, sentinel.Mark(errors.Newf("vector has %d values, the collection has dimension %d", len(r.Vector), dim), db.ErrDimensionMismatch)
	}
	for i, q := range r.Queries {
		if len(q) != dim {
			return nil, nil, sentinel.Mark(errors.Newf("queries[%d] has %d values, the collection has dimension %d", i, len(q), dim), db.ErrDimensionMismatch)
		}
	}
	return req, r.Queries, nil
}
