package train

import (
	"context"
	"runtime"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// embedBatch is the number of records EmbedCollection embeds at once,
// across its threads.
const embedBatch = 512

// EmbedCollection applies model m to every record of collection from and
// writes the results, with the same IDs and metadata, into
// out.Collection (metric metric), which records m: the collection and its
// model replace any previous ones in one atomic swap. out.Fields default
// to from's fields. A record of from whose dimension is not m's input
// dimension is an error; threads bounds the goroutines (0: GOMAXPROCS).
// It returns the number of records written.
func EmbedCollection(ctx context.Context, d *db.DB, from string, out Output, metric db.Metric, m *Model, threads int) (int, error) {
	if out.DB == nil {
		out.DB = d
	}
	s, err := d.Collection(from)
	if err != nil {
		return 0, err
	}
	if s.Dim != m.In {
		return 0, sentinel.Mark(errors.Newf("collection %q has dimension %d; the %s model takes %d", from, s.Dim, m.Kind, m.In), db.ErrDimensionMismatch)
	}
	if out.Fields == nil {
		out.Fields = s.Fields
	}
	total, err := d.Count(from)
	if err != nil {
		return 0, err
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	sg, err := newStager(out, metric, m.Out, int(total))
	if err != nil {
		return 0, err
	}
	it, err := d.NewRecordIterator(from)
	if err != nil {
		return 0, sg.fail(err)
	}
	var (
		ids   []string
		metas []db.Meta
		in    = make([]float32, 0, embedBatch*m.In)
		emb   = make([]float32, embedBatch*m.Out)
	)
	flush := func() error {
		n := len(ids)
		m.EmbedBatch(emb[:n*m.Out], in, threads)
		for i, id := range ids {
			if err := sg.put(ctx, id, emb[i*m.Out:(i+1)*m.Out], metas[i]); err != nil {
				return err
			}
		}
		ids, metas, in = ids[:0], metas[:0], in[:0]
		return nil
	}
	for it.First(); it.Valid(); it.Next() {
		rec := it.Record()
		ids = append(ids, rec.ID)
		metas = append(metas, rec.Meta)
		in = append(in, rec.Vector...)
		if len(ids) == embedBatch {
			if err := ctx.Err(); err != nil {
				_ = it.Close() // the cancellation is the error to report
				return 0, sg.fail(err)
			}
			if err := flush(); err != nil {
				_ = it.Close() // the write's error is the one to report
				return 0, err
			}
		}
	}
	if err := it.Close(); err != nil {
		return 0, sg.fail(err)
	}
	if len(ids) > 0 {
		if err := flush(); err != nil {
			return 0, err
		}
	}
	n := sg.n
	st, err := sg.finish(ctx)
	if err != nil {
		return 0, err
	}
	mst, err := stageModel(ctx, out, m)
	if err != nil {
		return 0, dropStaged(d, err, st)
	}
	return n, swapIn(d, st, mst)
}
