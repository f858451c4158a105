package server

import (
	"net/http"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/wire"
)

// search answers POST /v1/collections/{c}/search (vecdb search --json):
// by "vector", "id" or "queries". An "id" not in a word collection
// trained with subwords searches with the word's n-gram vector, as the
// command line does.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	coll := r.PathValue("c")
	var req wire.SearchRequest
	if err := decode(r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	sc, err := s.d.Collection(coll)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dreq, qs, err := req.Request(sc.Dim)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Queries != nil && len(req.Queries) == 0 {
		writeJSON(w, http.StatusOK, wire.SearchResponse{Results: [][]wire.Hit{}})
		return
	}
	if dreq.ID != "" {
		if _, err := s.d.Get(coll, dreq.ID); errors.Is(err, db.ErrNotFound) {
			// A word collection trained with subwords gives words
			// outside its vocabulary a vector from their n-grams.
			if v, werr := train.WordVector(r.Context(), s.d, coll, dreq.ID); werr == nil {
				dreq.ID, dreq.Vector = "", v
			}
		}
	}
	results, plans, err := s.d.Explain(r.Context(), coll, qs, dreq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.SearchResponse{Results: make([][]wire.Hit, len(results))}
	for i, rs := range results {
		out.Results[i] = wire.FromResults(rs, req.WithMeta)
	}
	if req.Explain {
		for _, p := range plans {
			out.Explain = append(out.Explain, wire.FromPlan(p))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// recommend answers POST /v1/recommend (vecdb recommend --json), with
// each item's metadata when with_meta.
func (s *Server) recommend(w http.ResponseWriter, r *http.Request) {
	var req wire.RecommendRequest
	if err := decode(r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Users == "" || req.Items == "" || req.User == "" {
		s.fail(w, r, invalid(errors.New("recommend: users, items and user are required")))
		return
	}
	res, err := train.Recommend(r.Context(), s.d, train.RecommendRequest{
		Users: req.Users, Items: req.Items, User: req.User, K: req.K, Filter: req.Filter, IncludeSeen: req.IncludeSeen, WithMeta: req.WithMeta})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.SearchResponse{Results: [][]wire.Hit{wire.FromResults(res, req.WithMeta)}})
}

// analogy answers POST /v1/collections/{c}/analogy (vecdb analogy
// --json): the words nearest to B - A + C.
func (s *Server) analogy(w http.ResponseWriter, r *http.Request) {
	var req wire.AnalogyRequest
	if err := decode(r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.A == "" || req.B == "" || req.C == "" {
		s.fail(w, r, invalid(errors.New("analogy: a, b and c are required")))
		return
	}
	res, err := train.Analogy(r.Context(), s.d, r.PathValue("c"), req.A, req.B, req.C, req.K)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.SearchResponse{Results: [][]wire.Hit{wire.FromResults(res, false)}})
}
