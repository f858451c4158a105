package db

import (
	"sync"
	"sync/atomic"

	"github.com/vecdb/vecdb/query"
)

// idStore maps doc ids to external record IDs in memory, so a search that
// returns only IDs and distances does not read storage per result. Like
// query.Flat it is append-only (an upsert takes a new doc id) and published
// before a batch commits; readers use a view without locks. It is loaded
// with the raw vectors and costs one string per doc id slot.
type idStore struct {
	mu     sync.Mutex // serialises writers
	chunks [][]string
	view   atomic.Pointer[idView]
}

type idView struct {
	n      uint32
	chunks [][]string
}

func newIDStore() *idStore {
	s := &idStore{}
	s.view.Store(&idView{})
	return s
}

// set records doc's ID; doc must be at or above the published length.
func (s *idStore) set(doc uint32, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := int(doc / query.FlatChunkRows)
	for len(s.chunks) <= c {
		s.chunks = append(s.chunks, nil)
	}
	if s.chunks[c] == nil {
		s.chunks[c] = make([]string, query.FlatChunkRows)
	}
	s.chunks[c][doc%query.FlatChunkRows] = id
}

// publish makes docs below n visible.
func (s *idStore) publish(n uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= s.view.Load().n {
		return
	}
	s.view.Store(&idView{n: n, chunks: s.chunks[:len(s.chunks):len(s.chunks)]})
}

// get returns doc's ID, or false when the view does not hold it.
func (v *idView) get(doc uint32) (string, bool) {
	c := int(doc / query.FlatChunkRows)
	if doc >= v.n || c >= len(v.chunks) || v.chunks[c] == nil {
		return "", false
	}
	id := v.chunks[c][doc%query.FlatChunkRows]
	return id, id != ""
}
