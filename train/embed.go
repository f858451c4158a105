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
	it, err := d.NewRecordIterator(from)
	if err != nil {
		return 0, err
	}
	started := false
	n, err := embedAll(ctx, out, metric, m, int(total), threads, func() (*db.Record, error) {
		// The iterator moves on at the next call: its record's vector
		// is read (copied) before then.
		if started {
			it.Next()
		} else {
			it.First()
			started = true
		}
		if !it.Valid() {
			return nil, it.Error()
		}
		return it.Record(), nil
	})
	return n, errors.CombineErrors(err, it.Close())
}

// EmbedInputs applies model m to inputs (records of the model's input
// dimension, e.g. images read from files) and writes the results into
// out.Collection as EmbedCollection does.
func EmbedInputs(ctx context.Context, out Output, metric db.Metric, m *Model, inputs []db.Record, threads int) (int, error) {
	i := 0
	return embedAll(ctx, out, metric, m, len(inputs), threads, func() (*db.Record, error) {
		if i == len(inputs) {
			return nil, nil
		}
		i++
		if len(inputs[i-1].Vector) != m.In {
			return nil, sentinel.Mark(errors.Newf("%q has %d values; the %s model takes %d", inputs[i-1].ID, len(inputs[i-1].Vector), m.Kind, m.In), db.ErrDimensionMismatch)
		}
		return &inputs[i-1], nil
	})
}

// embedAll embeds the records next returns (nil at the end) in batches on
// threads goroutines, stages them and the model, and swaps both in.
func embedAll(ctx context.Context, out Output, metric db.Metric, m *Model, total, threads int, next func() (*db.Record, error)) (int, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	sg, err := newStager(out, metric, m.Out, total)
	if err != nil {
		return 0, err
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
	for {
		rec, err := next()
		if err != nil {
			return 0, sg.fail(err)
		}
		if rec == nil {
			break
		}
		ids = append(ids, rec.ID)
		metas = append(metas, rec.Meta)
		in = append(in, rec.Vector...)
		if len(ids) == embedBatch {
			if err := ctx.Err(); err != nil {
				return 0, sg.fail(err)
			}
			if err := flush(); err != nil {
				return 0, err
			}
		}
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
		return 0, dropStaged(out.DB, err, st)
	}
	return n, swapIn(out.DB, st, mst)
}
