package server

import (
	"net/http"

	"github.com/vecdb/vecdb/wire"
)

// search answers POST /v1/collections/{c}/search (vecdb search --json):
// by "vector", "id" or "queries". An "id" not in a word collection
// trained with subwords searches with the word's n-gram vector, as the
// command line does.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	var req wire.SearchRequest
	if err := decode(r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := wire.Search(r.Context(), s.d, r.PathValue("c"), &req)
	if err != nil {
		s.fail(w, r, err)
		return
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
	out, err := wire.Recommend(r.Context(), s.d, &req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// analogy answers POST /v1/collections/{c}/analogy (vecdb analogy
// --json): the words nearest to B - A + C.
func (s *Server) analogy(w http.ResponseWriter, r *http.Request) {
	var req wire.AnalogyRequest
	if err := decode(r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := wire.Analogy(r.Context(), s.d, r.PathValue("c"), &req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
