package db

import (
	"context"
	"slices"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/query"
)

// encodeInto streams the live docs of in, in doc order, through the
// encoder: codes into lists, rows and IDs into the vector file. It returns
// the number of docs and the sum of their squared residual norms.
func encodeInto(ctx context.Context, ivf *index.IVF, in *buildInput, codes *index.DocCodes, w *segmentWriter, o *BuildOptions, chunk int) (uint64, float64, error) {
	dim := ivf.Dim
	total := int(in.live.GetCardinality())
	batch := make([]float32, 0, chunk*dim)
	docs := make([]uint32, 0, chunk)
	enc := ivf.NewEncoder(chunk, o.Threads)
	ids := newIDReader(in.snap, in.rows)
	defer ids.close()
	var n uint64
	var resid float64
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(docs) > codes.Room() {
			return corruptionf("encoding: more live docs than the live set holds")
		}
		r, err := enc.EncodeTo(batch, docs, codes)
		if err != nil {
			return err
		}
		resid += r
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
