package server

import (
	"net/http"

	"github.com/vecdb/vecdb/wire"
)

// listCollections answers GET /v1/collections: every collection's
// statistics and the process's memory (vecdb stats --json).
func (s *Server) listCollections(w http.ResponseWriter, r *http.Request) {
	schemas, err := s.d.Collections()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.StatsList{Collections: []wire.Stats{}}
	for _, sc := range schemas {
		st, err := wire.StatsOf(s.d, sc.Name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out.Collections = append(out.Collections, st)
	}
	if out.Memory, err = wire.MemoryOf(s.d); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// createCollection answers POST /v1/collections with 201 and the schema.
func (s *Server) createCollection(w http.ResponseWriter, r *http.Request) {
	var req wire.CreateCollection
	if err := decode(r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	sc, err := req.Schema()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.d.CreateCollection(sc); err != nil {
		s.fail(w, r, err)
		return
	}
	created, err := s.d.Collection(sc.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, wire.FromSchema(created))
}

// stats answers GET /v1/collections/{c} (vecdb stats c --json).
func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	out, err := wire.StatsOf(s.d, r.PathValue("c"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if out.Memory, err = wire.MemoryOf(s.d); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// dropCollection answers DELETE /v1/collections/{c} with the dropped
// collection's name.
func (s *Server) dropCollection(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("c")
	if err := s.d.DropCollection(name); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Dropped{Dropped: name})
}
