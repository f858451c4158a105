package db

import (
	"context"
	"slices"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/query"
	"golang.org/x/sync/errgroup"
)

// encodeInto streams the live docs of in, in doc order, through the
// encoder: codes into lists, rows and IDs into the vector file. It returns
// the number of docs and the sum of their squared residual norms.
func encodeInto(ctx context.Context, ivf *index.IVF, in *buildInput, codes *docCodes, w *segmentWriter, o *BuildOptions, chunk int) (uint64, float64, error) {
	dim := ivf.Dim
	total := int(in.live.GetCardinality())
	batch := make([]float32, 0, chunk*dim)
	docs := make([]uint32, 0, chunk)
	enc := newEncoder(ivf, chunk, o.Threads)
	ids := newIDReader(in.snap, in.rows)
	defer ids.close()
	var n uint64
	var resid float64
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(docs) > codes.room() {
			return corruptionf("encoding: more live docs than the live set holds")
		}
		resid += enc.encodeTo(batch, docs, codes)
		for i, doc := range docs {
			id, err := ids.get(doc)
			if err != nil {
				return err
			}
			if err := w.addRow(doc, id, batch[i*dim:(i+1)*dim]); err != nil {
				return err
			}
		}
		n += uint64(len(docs))
		o.progress("encoding", int(n), total)
		batch, docs = batch[:0], docs[:0]
		return nil
	}
	var ferr error
	err := in.rows.Scan(in.live, func(b query.Block) bool {
		for j := range b.Len(dim) {
			doc := b.Doc(j)
			if !b.Allowed && !in.live.Contains(doc) {
				continue
			}
			batch = append(batch, b.Rows[j*dim:(j+1)*dim]...)
			docs = append(docs, doc)
			if len(docs) == chunk {
				if ferr = flush(); ferr != nil {
					return false
				}
			}
		}
		return true
	})
	if err == nil {
		err = ferr
	}
	if err == nil && len(docs) > 0 {
		err = flush()
	}
	if err == nil && n != uint64(total) {
		err = corruptionf("encoding: %d of %d live docs have no vector", uint64(total)-n, total)
	}
	return n, resid, err
}

// encoder assigns and encodes batches of vectors on all cores.
type encoder struct {
	ivf     *index.IVF
	threads int
	assign  []int32
	dists   []float32
	codes   []byte
}

func newEncoder(ivf *index.IVF, batch, threads int) *encoder {
	return &encoder{ivf: ivf, threads: max(threads, 1), assign: make([]int32, batch), dists: make([]float32, batch), codes: make([]byte, batch*ivf.CodeSize())}
}

// assignEncode assigns and encodes the vectors of docs (vecs, in doc
// order) on all cores, into e's buffers; it returns their squared residual
// norms' sum.
func (e *encoder) assignEncode(vecs []float32, n int) float64 {
	ivf, dim, cs := e.ivf, e.ivf.Dim, e.ivf.CodeSize()
	if cap(e.assign) < n {
		e.assign, e.dists, e.codes = make([]int32, n), make([]float32, n), make([]byte, n*cs)
	}
	assign, dists, codes := e.assign[:n], e.dists[:n], e.codes[:n*cs]
	ivf.AssignBatch(vecs, assign, dists, e.threads)
	g := errgroup.Group{}
	per := (n + e.threads - 1) / e.threads
	for t := 0; t < n; t += per {
		g.Go(func() error {
			resid := make([]float32, 2*dim)
			for i := t; i < min(t+per, n); i++ {
				ivf.Encode(codes[i*cs:i*cs:(i+1)*cs], vecs[i*dim:(i+1)*dim], int(assign[i]), resid)
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines return no errors
	var total float64
	for _, d := range dists {
		total += float64(d)
	}
	return total
}

// encode encodes the vectors of docs and appends them to their lists; it
// returns their squared residual norms' sum.
func (e *encoder) encode(vecs []float32, docs []uint32, lists *index.Lists) float64 {
	n := len(docs)
	total := e.assignEncode(vecs, n)
	appendByList(lists, docs, e.assign[:n], e.dists[:n], e.codes[:n*e.ivf.CodeSize()], e.ivf.CodeSize())
	return total
}

// encodeTo encodes the vectors of docs into codes, in doc order.
func (e *encoder) encodeTo(vecs []float32, docs []uint32, codes *docCodes) float64 {
	n := len(docs)
	total := e.assignEncode(vecs, n)
	codes.add(docs, e.assign[:n], e.codes[:n*e.ivf.CodeSize()])
	return total
}

// docCodes holds a build's codes in doc order, in arrays sized once (the
// number of live docs is known before the build encodes): 8 + M bytes a
// record, where lists grown by appending would pass through twice that.
// byList groups them by list as the vector file is written.
type docCodes struct {
	cs     int
	n      int
	docs   []uint32
	assign []int32
	codes  []byte
}

func newDocCodes(capacity, cs int) *docCodes {
	return &docCodes{cs: cs, docs: make([]uint32, capacity), assign: make([]int32, capacity), codes: make([]byte, capacity*cs)}
}

func (dc *docCodes) room() int { return len(dc.docs) - dc.n }

func (dc *docCodes) add(docs []uint32, assign []int32, codes []byte) {
	copy(dc.docs[dc.n:], docs)
	copy(dc.assign[dc.n:], assign)
	copy(dc.codes[dc.n*dc.cs:], codes)
	dc.n += len(docs)
}

// byList returns the lists for a vector file: a counting sort of the
// codes by list (doc order within a list), each list gathered into
// buffers reused from one list to the next, with its L2 terms computed.
// progress hears how many entries were handed out, every 256 lists.
func (dc *docCodes) byList(ivf *index.IVF, progress func(written int)) segLists {
	start := make([]int, ivf.NList+1)
	for _, l := range dc.assign[:dc.n] {
		start[l+1]++
	}
	for l := range ivf.NList {
		start[l+1] += start[l]
	}
	order := make([]int32, dc.n)
	next := slices.Clone(start[:ivf.NList])
	for i, l := range dc.assign[:dc.n] {
		order[next[l]] = int32(i)
		next[l]++
	}
	var docs []uint32
	var codes []byte
	var terms []float32
	return func(l int) ([]uint32, []byte, []float32) {
		docs, codes = docs[:0], codes[:0]
		for _, i := range order[start[l]:start[l+1]] {
			docs = append(docs, dc.docs[i])
			codes = append(codes, dc.codes[int(i)*dc.cs:(int(i)+1)*dc.cs]...)
		}
		terms = ivf.CodeTerms(l, codes, terms[:0])
		if l%256 == 255 {
			progress(start[l+1])
		}
		return docs, codes, terms
	}
}

// idReader reads the record IDs of ascending docs: from the segment or
// the tail cache when they hold them, else from the snapshot with one
// iterator. Not goroutine-safe.
type idReader struct {
	snap *pebble.Snapshot
	rows *rowSource
	it   *pebble.Iterator
	key  []byte
}

func newIDReader(snap *pebble.Snapshot, rows *rowSource) *idReader {
	return &idReader{snap: snap, rows: rows}
}

func (r *idReader) get(doc uint32) (string, error) {
	if id, ok, err := r.rows.id(doc); err != nil || ok {
		return id, err
	}
	c := r.rows.c
	if r.it == nil {
		lo := appendCollPrefix(nil, famDoc, c.id)
		var err error
		if r.it, err = r.snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)}); err != nil {
			return "", err
		}
	}
	r.key = appendDocKey(r.key[:0], famDoc, c.id, doc)
	if !r.it.SeekGE(r.key) || !slices.Equal(r.it.Key(), r.key) {
		if err := r.it.Error(); err != nil {
			return "", err
		}
		return "", corruptionf("collection %q: live doc %d has no record", c.schema.Name, doc)
	}
	v, err := r.it.ValueAndErr()
	if err != nil {
		return "", err
	}
	id, err := decodeDocID(v)
	return id, errors.Wrapf(err, "collection %q: doc %d", c.schema.Name, doc)
}

func (r *idReader) close() {
	if r.it != nil {
		_ = r.it.Close() // reads are done; their errors were returned
	}
}

// appendByList appends a chunk's encoded docs to their lists, one Append
// per list, keeping doc order within each list, and returns the sum of the
// residual norms.
func appendByList(lists *index.Lists, docs []uint32, assign []int32, dists []float32, codes []byte, cs int) float64 {
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(assign[a]) - int(assign[b]) })
	var total float64
	var runDocs []uint32
	var runCodes []byte
	for i := 0; i < len(order); {
		l := assign[order[i]]
		runDocs, runCodes = runDocs[:0], runCodes[:0]
		for ; i < len(order) && assign[order[i]] == l; i++ {
			j := order[i]
			runDocs = append(runDocs, docs[j])
			runCodes = append(runCodes, codes[j*cs:(j+1)*cs]...)
			total += float64(dists[j])
		}
		lists.Append(int(l), runDocs, runCodes)
	}
	return total
}
