package server

import (
	"net/http"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/wire"
)

// upsert answers POST /v1/collections/{c}/records: every record in one
// atomic batch, answered once durable; a bad record is a 400 naming its
// index, and nothing of the batch is written.
func (s *Server) upsert(w http.ResponseWriter, r *http.Request) {
	coll := r.PathValue("c")
	var req wire.Upsert
	if err := decode(r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := wire.EmbedRecords(s.d, coll, req.Records); err != nil {
		s.fail(w, r, err)
		return
	}
	b := s.d.NewBatch()
	defer b.Close()
	for i := range req.Records {
		rec := &req.Records[i]
		if err := b.Put(coll, rec.ID, rec.Vector, db.Meta(rec.Meta)); err != nil {
			s.failAt(w, r, errors.Wrap(err, wire.RecordRef(i, "")), &i)
			return
		}
	}
	if err := s.d.Apply(b, nil); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Written{Written: len(req.Records)})
}

// get answers GET /v1/collections/{c}/records/{id} (vecdb get --json).
func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	rec, err := s.d.Get(r.PathValue("c"), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.FromRecord(rec))
}

// deleteOne answers DELETE /v1/collections/{c}/records/{id}; 404 when
// the record does not exist.
func (s *Server) deleteOne(w http.ResponseWriter, r *http.Request) {
	s.deleteIDs(w, r, r.PathValue("c"), []string{r.PathValue("id")})
}

// deleteMany answers POST /v1/collections/{c}/delete {"ids":[...]}: one
// atomic delete (vecdb delete COLL ID...); 404 when none existed.
func (s *Server) deleteMany(w http.ResponseWriter, r *http.Request) {
	var req wire.DeleteRequest
	if err := decode(r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.IDs) == 0 {
		s.fail(w, r, invalid(errors.New("delete: ids is empty: give the IDs of the records to delete")))
		return
	}
	s.deleteIDs(w, r, r.PathValue("c"), req.IDs)
}

func (s *Server) deleteIDs(w http.ResponseWriter, r *http.Request, coll string, ids []string) {
	out, err := wire.Delete(s.d, coll, ids)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
