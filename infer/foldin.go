package infer

import (
	"context"
	"slices"
	"sync"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/recsys"
)

// FoldIn gives a new or changed user a vector from their interactions
// (item ID to weight) without retraining: the ALS least-squares solve of
// the user's factors against the fixed item vectors (with opts' Lambda
// and Alpha, which should be those of the training run), written to the
// users collection at once with the items as the user's seen items (its
// [train.FieldSeen] field). Items missing from the items collection are
// an error. It reads every item vector; a program folding in many users
// makes one [Folder] instead.
func FoldIn(ctx context.Context, d *db.DB, users, items, user string, interactions map[string]float32, opts recsys.ALSOptions) ([]float32, error) {
	f, err := NewFolder(ctx, d, users, items, opts)
	if err != nil {
		return nil, err
	}
	return f.FoldIn(ctx, user, interactions)
}

// Folder folds users into a recommender's users collection (see [FoldIn])
// against item vectors it reads once: each FoldIn then costs one small
// least-squares solve and a write. When a retrain has replaced
// collections since ([db.DB.Swaps] changed), FoldIn reads the items again
// first. A Folder is goroutine-safe.
type Folder struct {
	d            *db.DB
	users, items string
	opts         recsys.ALSOptions

	mu    sync.Mutex // guards the fields below
	swaps uint64
	index map[string]int32 // item ID to row
	f     *recsys.Folder
}

// NewFolder reads the item vectors of items and prepares the solve.
func NewFolder(ctx context.Context, d *db.DB, users, items string, opts recsys.ALSOptions) (*Folder, error) {
	fo := &Folder{d: d, users: users, items: items, opts: opts}
	if err := fo.load(ctx); err != nil {
		return nil, err
	}
	return fo, nil
}

// load reads the item vectors and builds the solver. REQUIRES: fo.mu held
// or fo not yet shared.
func (fo *Folder) load(ctx context.Context) error {
	swaps := fo.d.Swaps()
	s, err := fo.d.Collection(fo.items)
	if err != nil {
		return err
	}
	it, err := fo.d.NewRecordIterator(fo.items)
	if err != nil {
		return err
	}
	index := make(map[string]int32)
	var factors []float32
	for it.First(); it.Valid(); it.Next() {
		if len(index)%4096 == 0 && ctx.Err() != nil {
			_ = it.Close() // the cancellation is the error to report
			return ctx.Err()
		}
		rec := it.Record()
		index[rec.ID] = int32(len(index))
		factors = append(factors, rec.Vector...)
	}
	if err := it.Close(); err != nil {
		return err
	}
	opts := fo.opts
	opts.Factors = s.Dim
	f, err := recsys.NewFolder(factors, s.Dim, &opts)
	if err != nil {
		return err
	}
	fo.swaps, fo.index, fo.f = swaps, index, f
	return nil
}

// FoldIn computes user's vector from their interactions (item ID to
// weight) and writes it, with the items as the user's seen items.
func (fo *Folder) FoldIn(ctx context.Context, user string, interactions map[string]float32) ([]float32, error) {
	if len(interactions) == 0 {
		return nil, errors.Newf("fold-in of user %q: no interactions", user)
	}
	fo.mu.Lock()
	if fo.d.Swaps() != fo.swaps {
		if err := fo.load(ctx); err != nil {
			fo.mu.Unlock()
			return nil, err
		}
	}
	index, f := fo.index, fo.f
	fo.mu.Unlock()
	ids := make([]string, 0, len(interactions))
	for id := range interactions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	rows := make([]int32, len(ids))
	weights := make([]float32, len(ids))
	for i, id := range ids {
		row, ok := index[id]
		if !ok {
			return nil, sentinel.Mark(errors.Newf("fold-in of user %q: item %q is not in %q", user, id, fo.items), db.ErrNotFound)
		}
		rows[i], weights[i] = row, interactions[id]
	}
	vec, err := f.FoldIn(rows, weights, nil)
	if err != nil {
		return nil, err
	}
	if err := fo.d.Put(fo.users, user, vec, db.Meta{train.FieldSeen: ids}); err != nil {
		return nil, err
	}
	return vec, nil
}
