package wire

import (
	"context"
	"strconv"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/infer"
	"github.com/vecdb/vecdb/internal/sentinel"
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
