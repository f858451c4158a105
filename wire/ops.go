package wire

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/errors"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/infer"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/train"
)

// The operations below answer the requests a server takes, on a database
// this process holds: package server answers HTTP requests with them, and
// the command line runs them on a directory it opened itself, so the two
// cannot answer differently.

// Search answers a search request on collection coll of d: one query
// through Search, several through SearchMany, and Explain when plans are
// asked for. An ID that is not a record of a word collection trained with
// subwords is searched with the vector its character n-grams give it.
func Search(ctx context.Context, d *db.DB, coll string, r *SearchRequest) (SearchResponse, error) {
	s, err := d.Collection(coll)
	if err != nil {
		return SearchResponse{}, err
	}
	if r.From != "" {
		if r.ID == "" {
			return SearchResponse{}, invalid(errors.New("search: from names the collection of the query record given by id"))
		}
		rec, err := d.Get(r.From, r.ID)
		if err != nil {
			return SearchResponse{}, err
		}
		rr := *r
		rr.Vector, rr.ID, rr.From = rec.Vector, "", ""
		rr.Exclude = append(slices.Clone(r.Exclude), r.ID)
		r = &rr
	}
	if r, err = embedQueries(d, coll, s.Dim, r); err != nil {
		return SearchResponse{}, err
	}
	req, qs, err := r.Request(s.Dim)
	if err != nil {
		return SearchResponse{}, err
	}
	if qs != nil && len(qs) == 0 {
		return SearchResponse{Results: [][]Hit{}}, nil
	}
	if req.ID != "" {
		if _, err := d.Get(coll, req.ID); errors.Is(err, db.ErrNotFound) {
			if v, werr := infer.WordVector(ctx, d, coll, req.ID); werr == nil {
				req.ID, req.Vector = "", v
			}
		}
	}
	var results [][]db.Result
	var plans []db.Plan
	switch {
	case r.Explain:
		results, plans, err = d.Explain(ctx, coll, qs, req)
	case qs != nil:
		results, err = d.SearchMany(ctx, coll, qs, req)
	default:
		var rs []db.Result
		rs, err = d.Search(ctx, coll, req)
		results = [][]db.Result{rs}
	}
	if err != nil {
		return SearchResponse{}, err
	}
	out := SearchResponse{Results: make([][]Hit, len(results))}
	for i, rs := range results {
		out.Results[i] = FromResults(rs, r.WithMeta)
	}
	for _, p := range plans {
		out.Explain = append(out.Explain, FromPlan(p))
	}
	return out, nil
}

// Recommend answers a recommendation request on d (see [infer.Recommend]).
func Recommend(ctx context.Context, d *db.DB, r *RecommendRequest) (SearchResponse, error) {
	if r.Users == "" || r.Items == "" || r.User == "" {
		return SearchResponse{}, invalid(errors.New("recommend: users, items and user are required"))
	}
	res, err := infer.Recommend(ctx, d, infer.RecommendRequest{Users: r.Users, Items: r.Items, User: r.User, K: r.K,
		Filter: r.Filter, IncludeSeen: r.IncludeSeen, WithMeta: r.WithMeta})
	if err != nil {
		return SearchResponse{}, err
	}
	return SearchResponse{Results: [][]Hit{FromResults(res, r.WithMeta)}}, nil
}

// Analogy answers an analogy request on word collection coll of d (see
// [infer.Analogy]).
func Analogy(ctx context.Context, d *db.DB, coll string, r *AnalogyRequest) (SearchResponse, error) {
	if r.A == "" || r.B == "" || r.C == "" {
		return SearchResponse{}, invalid(errors.New("analogy: a, b and c are required"))
	}
	res, err := infer.Analogy(ctx, d, coll, r.A, r.B, r.C, r.K)
	if err != nil {
		return SearchResponse{}, err
	}
	return SearchResponse{Results: [][]Hit{FromResults(res, false)}}, nil
}

// Delete deletes records of collection coll of d in one atomic batch and
// counts those that existed. When none did, it is an ErrNotFound error
// naming them: usually a wrong collection or a typo.
func Delete(d *db.DB, coll string, ids []string) (Deleted, error) {
	n, err := d.Delete(coll, ids...)
	if err != nil {
		return Deleted{}, err
	}
	if n == 0 {
		quoted := make([]string, len(ids))
		for i, id := range ids {
			quoted[i] = strconv.Quote(id)
		}
		what := "no record"
		if len(ids) > 1 {
			what = "none of the records"
		}
		return Deleted{}, sentinel.Mark(errors.Newf("delete: collection %q has %s %s", coll, what, strings.Join(quoted, ", ")), db.ErrNotFound)
	}
	return Deleted{Collection: coll, Deleted: n, Requested: len(ids)}, nil
}

// SchemaOf returns the schema of collection coll of d, with the model that
// produced it.
func SchemaOf(d *db.DB, coll string) (Schema, error) {
	s, err := d.Collection(coll)
	if err != nil {
		return Schema{}, err
	}
	out := FromSchema(s)
	out.Model, err = modelOf(d, coll)
	return out, err
}

// StatsOf returns the statistics of collection coll of d, with the model
// that produced it (Memory unset).
func StatsOf(d *db.DB, coll string) (Stats, error) {
	st, err := d.Stats(coll)
	if err != nil {
		return Stats{}, err
	}
	out := FromStats(st)
	out.Model, err = modelOf(d, coll)
	return out, err
}

// modelOf describes the model that produced coll (nil: none).
func modelOf(d *db.DB, coll string) (*Model, error) {
	m, err := infer.Model(d, coll)
	if err != nil || m == nil {
		return nil, err
	}
	return &Model{Kind: m.Kind, In: m.In, Out: m.Out, Shape: m.Shape.String(), Lo: m.Lo, Hi: m.Hi}, nil
}

// embedQueries returns r with its vector and queries as collection coll
// (of dimension dim) holds vectors: those of the input dimension of the
// model that produced coll are embedded by it (see infer.Embedded).
func embedQueries(d *db.DB, coll string, dim int, r *SearchRequest) (*SearchRequest, error) {
	differs := r.Vector != nil && len(r.Vector) != dim
	for _, q := range r.Queries {
		differs = differs || len(q) != dim
	}
	if !differs {
		return r, nil
	}
	out := *r
	var err error
	if r.Vector != nil {
		if out.Vector, err = infer.Embedded(d, coll, dim, r.Vector); err != nil {
			return nil, err
		}
	}
	if r.Queries != nil {
		out.Queries = make([][]float32, len(r.Queries))
		for i, q := range r.Queries {
			if out.Queries[i], err = infer.Embedded(d, coll, dim, q); err != nil {
				return nil, errors.Wrapf(err, "queries[%d]", i)
			}
		}
	}
	return &out, nil
}

// EmbedRecords replaces the vectors of recs that have the input dimension
// of the model that produced collection coll (not its own dimension) by
// their embedding, so records of images upserted into a collection of
// image embeddings are embedded on the way in. A vector of any other
// length is left for the write to refuse.
func EmbedRecords(d *db.DB, coll string, recs []Record) error {
	s, err := d.Collection(coll)
	if err != nil {
		return err
	}
	var m *train.Model // looked up at the first record that needs it
	for i := range recs {
		if len(recs[i].Vector) == s.Dim {
			continue
		}
		if m == nil {
			if m, err = infer.Model(d, coll); err != nil || m == nil {
				return err
			}
		}
		if len(recs[i].Vector) == m.In {
			v := make([]float32, m.Out)
			m.Embed(v, recs[i].Vector)
			recs[i].Vector = v
		}
	}
	return nil
}

// MemoryOf returns what the process holding d holds in memory now.
func MemoryOf(d *db.DB) (*Memory, error) {
	m, err := d.Memory()
	if err != nil {
		return nil, err
	}
	return FromMemory(m), nil
}
