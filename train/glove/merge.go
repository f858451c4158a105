package glove

import (
	"context"

	"github.com/cockroachdb/errors"
)

// maxFanIn bounds the run files open at once. Past it, runs are first
// merged maxFanIn at a time into longer runs.
const maxFanIn = 64

// source is a stream of (key, count) records in increasing key order, each
// key at most once.
type source interface {
	// next advances to the next record and reports whether there is one.
	next() bool
	// cur returns the current record.
	cur() (key, n uint64)
	// err returns the error that ended the stream, if any.
	err() error
	close() error
}

// bufSource streams a sorted, compacted buffer.
type bufSource struct {
	recs []pairRec
	pos  int // 1 + index of the current record
}

func (s *bufSource) next() bool {
	if s.pos >= len(s.recs) {
		return false
	}
	s.pos++
	return true
}

func (s *bufSource) cur() (key, n uint64) { r := s.recs[s.pos-1]; return r.key, r.n }
func (s *bufSource) err() error           { return nil }
func (s *bufSource) close() error         { return nil }

// denseSource streams the non-zero cells of the dense table in key order.
type denseSource struct {
	co     *Cooccurrences
	i, j   int64 // current cell; j is one past it after next
	key, n uint64
}

func newDenseSource(co *Cooccurrences) *denseSource { return &denseSource{co: co, j: 0} }

func (s *denseSource) next() bool {
	co := s.co
	for ; s.i < int64(len(co.rowEnd)); s.i, s.j = s.i+1, s.i+1 {
		end := int64(co.rowEnd[s.i])
		if end <= s.i {
			return false // rows only get shorter
		}
		if s.j < s.i {
			s.j = s.i
		}
		row := co.dense[co.rowBase[s.i]:]
		for ; s.j < end; s.j++ {
			if n := row[s.j]; n != 0 {
				s.key, s.n = pairKey(uint32(s.i), uint32(s.j)), n
				s.j++
				return true
			}
		}
	}
	return false
}

func (s *denseSource) cur() (key, n uint64) { return s.key, s.n }
func (s *denseSource) err() error           { return nil }
func (s *denseSource) close() error         { return nil }

// merger merges sources, summing the counts of equal keys. It is itself a
// source. It owns its sources and closes them.
type merger struct {
	heap   []source // by current key; exhausted sources removed
	all    []source
	key, n uint64
	e      error
	primed bool
}

func newMerger(srcs []source) *merger { return &merger{all: srcs} }

func (m *merger) prime() bool {
	m.primed = true
	for _, s := range m.all {
		if s.next() {
			m.heap = append(m.heap, s)
		} else if err := s.err(); err != nil {
			m.e = err
			return false
		}
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return true
}

func (m *merger) next() bool {
	if !m.primed && !m.prime() {
		return false
	}
	if m.e != nil || len(m.heap) == 0 {
		return false
	}
	m.key, m.n = m.heap[0].cur()
	if !m.advanceTop() {
		return false
	}
	for len(m.heap) > 0 {
		k, n := m.heap[0].cur()
		if k != m.key {
			break
		}
		m.n += n
		if !m.advanceTop() {
			return false
		}
	}
	return true
}

// advanceTop moves the smallest source on and restores the heap.
func (m *merger) advanceTop() bool {
	top := m.heap[0]
	if !top.next() {
		if err := top.err(); err != nil {
			m.e = err
			return false
		}
		last := len(m.heap) - 1
		m.heap[0] = m.heap[last]
		m.heap = m.heap[:last]
	}
	if len(m.heap) > 0 {
		m.down(0)
	}
	return true
}

func (m *merger) down(i int) {
	h := m.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		c := l
		lk, _ := h[l].cur()
		if r := l + 1; r < len(h) {
			if rk, _ := h[r].cur(); rk < lk {
				c, lk = r, rk
			}
		}
		if ik, _ := h[i].cur(); ik <= lk {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

func (m *merger) cur() (key, n uint64) { return m.key, m.n }
func (m *merger) err() error           { return m.e }

func (m *merger) close() error {
	var err error
	for _, s := range m.all {
		err = errors.CombineErrors(err, s.close())
	}
	m.all, m.heap = nil, nil
	return err
}

// ctxSource checks ctx every 64Ki records of the source it wraps.
type ctxSource struct {
	source
	ctx context.Context
	n   int
	e   error
}

func (s *ctxSource) next() bool {
	if s.n++; s.n&(1<<16-1) == 0 {
		if s.e = s.ctx.Err(); s.e != nil {
			return false
		}
	}
	return s.source.next()
}

func (s *ctxSource) err() error {
	if s.e != nil {
		return s.e
	}
	return s.source.err()
}

// reduceRuns merges runs maxFanIn at a time until at most maxFanIn are left.
func (co *Cooccurrences) reduceRuns(ctx context.Context) error {
	for len(co.runs) > maxFanIn {
		group := co.runs[:maxFanIn]
		m, err := co.openRuns(group)
		if err != nil {
			return err
		}
		info, err := writeRun(co.dir, co.nextRun, co.vocab, &ctxSource{source: m, ctx: ctx})
		if err = errors.CombineErrors(err, m.close()); err != nil {
			return err
		}
		co.nextRun++
		for _, r := range group {
			if err := removeFile(r.path); err != nil {
				return err
			}
		}
		co.runs = append(co.runs[maxFanIn:], info)
	}
	return nil
}

// openRuns returns a merger over the given runs.
func (co *Cooccurrences) openRuns(runs []runInfo) (*merger, error) {
	srcs := make([]source, 0, len(runs)+2)
	for _, r := range runs {
		rr, err := openRun(r, co.vocab)
		if err != nil {
			return nil, errors.CombineErrors(err, newMerger(srcs).close())
		}
		srcs = append(srcs, rr)
	}
	return newMerger(srcs), nil
}

// merged returns a merger over all the counts: the runs (at most maxFanIn
// after merging some of them) and the tables in memory.
func (co *Cooccurrences) merged(ctx context.Context) (source, error) {
	if co.closed {
		return nil, errors.New("glove: Cooccurrences used after Close")
	}
	if err := co.reduceRuns(ctx); err != nil {
		return nil, err
	}
	co.compact()
	m, err := co.openRuns(co.runs)
	if err != nil {
		return nil, err
	}
	m.all = append(m.all, newDenseSource(co), &bufSource{recs: co.buf})
	return &ctxSource{source: m, ctx: ctx}, nil
}

// Record is one non-zero co-occurrence count, X_IJ = X_JI, with I ≤ J.
type Record struct {
	I, J int32
	X    float64
}

// Iter walks the non-zero counts of a [Cooccurrences] in increasing (I, J)
// order, each unordered pair once (I ≤ J), merging the spilled runs as it
// goes:
//
//	it := co.NewIter(ctx)
//	for it.First(); it.Valid(); it.Next() {
//		r := it.Record()
//	}
//	if err := it.Close(); err != nil { … }
//
// It is not goroutine-safe, and the Cooccurrences must not be used by
// anything else until the iterator is closed.
type Iter struct {
	ctx   context.Context
	co    *Cooccurrences
	src   source
	rec   Record
	valid bool
	e     error
}

// NewIter returns an iterator over the counts. It stops with ctx's error
// when ctx is done.
func (co *Cooccurrences) NewIter(ctx context.Context) *Iter { return &Iter{ctx: ctx, co: co} }

// First (re)starts the iteration at the smallest pair and reports whether
// there is one.
func (it *Iter) First() bool {
	if it.src != nil {
		it.e = errors.CombineErrors(it.e, it.src.close())
		it.src = nil
	}
	if it.e != nil {
		it.valid = false
		return false
	}
	it.src, it.e = it.co.merged(it.ctx)
	if it.e != nil {
		it.valid = false
		return false
	}
	return it.Next()
}

// Next moves to the next pair and reports whether there is one.
func (it *Iter) Next() bool {
	if it.src == nil || it.e != nil {
		it.valid = false
		return false
	}
	it.valid = it.src.next()
	if !it.valid {
		it.e = it.src.err()
		return false
	}
	key, n := it.src.cur()
	i, j := splitKey(key)
	it.rec = Record{I: int32(i), J: int32(j), X: float64(n) / float64(it.co.unit)}
	return true
}

// Valid reports whether the iterator is at a pair.
func (it *Iter) Valid() bool { return it.valid }

// Record returns the current pair. It is only meaningful when Valid.
func (it *Iter) Record() Record { return it.rec }

// Error returns the error that stopped the iteration, if any.
func (it *Iter) Error() error { return it.e }

// Close releases the open run files and returns the iteration's error.
func (it *Iter) Close() error {
	if it.src != nil {
		it.e = errors.CombineErrors(it.e, it.src.close())
		it.src = nil
	}
	it.valid = false
	return it.e
}
