package train

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/train/recsys"
)

// FieldSeen is the keywords field of a users collection that lists the
// items each user interacted with in training; recommendations leave
// them out.
const FieldSeen = "seen"

// RecOutput says where a recommendation trainer writes: an items
// collection and, optionally, a users collection (both metric dot, so
// that a user's search of the items ranks them by the model's score).
type RecOutput struct {
	DB *db.DB
	// Items and Users name the collections (Users may be empty for
	// item2vec, which learns item vectors only).
	Items, Users string
	// ItemFields and ItemMeta are the items' metadata, by item ID; items
	// without an entry have none.
	ItemFields []db.Field
	ItemMeta   map[string]db.Meta
	// Progress, when set, is told of the writing.
	Progress func(stage string, done, total int)
}

// RecStats reports a recommendation trainer's run.
type RecStats struct {
	Users, Items, Interactions int
	Dim                        int
	TrainTime, WriteTime       time.Duration
}

// ALS trains implicit-feedback ALS on in and writes user and item vectors.
func ALS(ctx context.Context, in *recsys.Interactions, opts recsys.ALSOptions, out RecOutput) (RecStats, error) {
	if out.Users == "" {
		return RecStats{}, errors.New("train als: a users collection is required")
	}
	return trainFactors(ctx, in, out, func() (*recsys.Model, error) { return recsys.TrainALS(ctx, in, &opts) })
}

// BPR trains BPR matrix factorisation on in and writes user and item
// vectors (with a bias, users end in 1 and items in their bias, so the dot
// product is the model's score).
func BPR(ctx context.Context, in *recsys.Interactions, opts recsys.BPROptions, out RecOutput) (RecStats, error) {
	if out.Users == "" {
		return RecStats{}, errors.New("train bpr: a users collection is required")
	}
	return trainFactors(ctx, in, out, func() (*recsys.Model, error) { return recsys.TrainBPR(ctx, in, &opts) })
}

func trainFactors(ctx context.Context, in *recsys.Interactions, out RecOutput, fit func() (*recsys.Model, error)) (RecStats, error) {
	if err := checkInteractions(in); err != nil {
		return RecStats{}, err
	}
	st := RecStats{Users: in.NumUsers(), Items: in.NumItems(), Interactions: in.Len()}
	start := time.Now()
	m, err := fit()
	if err != nil {
		return st, err
	}
	st.TrainTime, st.Dim = time.Since(start), m.VectorDim()
	start = time.Now()
	err = writeRec(ctx, in, out, st.Dim, m.UserVectors(), m.ItemVectors())
	st.WriteTime = time.Since(start)
	return st, err
}

// checkInteractions refuses to train on nothing: a model of no
// interactions would replace the users and items collections (and their
// fields) with empty ones.
func checkInteractions(in *recsys.Interactions) error {
	if in == nil || in.Len() == 0 {
		return sentinel.Mark(errors.New("train: no interactions to learn from; the collections were left as they were"), db.ErrInvalid)
	}
	return nil
}

// Item2Vec trains item2vec on in and writes unit-length item vectors and,
// when out.Users is set, each user's vector: the normalised mean of their
// items' vectors.
func Item2Vec(ctx context.Context, in *recsys.Interactions, opts recsys.Item2VecOptions, out RecOutput) (RecStats, error) {
	if err := checkInteractions(in); err != nil {
		return RecStats{}, err
	}
	st := RecStats{Users: in.NumUsers(), Items: in.NumItems(), Interactions: in.Len()}
	start := time.Now()
	m, err := recsys.TrainItem2Vec(ctx, in, &opts)
	if err != nil {
		return st, err
	}
	st.TrainTime, st.Dim = time.Since(start), m.Dim
	var users []float32
	if out.Users != "" {
		users = make([]float32, 0, in.NumUsers()*m.Dim)
		var buf []float32
		for u := range in.NumUsers() {
			items, _ := in.UserRow(u)
			buf = m.UserVector(items, buf)
			users = append(users, buf...)
		}
	}
	start = time.Now()
	err = writeRec(ctx, in, out, m.Dim, users, m.ItemVectors)
	st.WriteTime = time.Since(start)
	return st, err
}

// writeRec writes the items collection and, when out.Users is set, the
// users collection, and swaps both in together: a crash or a concurrent
// reader never pairs new items with old users.
func writeRec(ctx context.Context, in *recsys.Interactions, out RecOutput, dim int, users, items []float32) error {
	if out.Items == "" {
		return errors.New("train: an items collection is required")
	}
	o := Output{DB: out.DB, Collection: out.Items, Fields: out.ItemFields, Progress: out.Progress}
	its, err := stage(ctx, o, db.Dot, dim, in.NumItems(), func(i int) (string, []float32, db.Meta) {
		id := in.Items[i]
		return id, items[i*dim : (i+1)*dim], out.ItemMeta[id]
	})
	if err != nil {
		return err
	}
	if out.Users == "" {
		return swapIn(out.DB, its)
	}
	o = Output{DB: out.DB, Collection: out.Users, Fields: []db.Field{{Name: FieldSeen, Type: db.Keywords}}, Progress: out.Progress}
	us, err := stage(ctx, o, db.Dot, dim, in.NumUsers(), func(u int) (string, []float32, db.Meta) {
		row, _ := in.UserRow(u)
		seen := make([]string, len(row))
		for j, it := range row {
			seen[j] = in.Items[it]
		}
		return in.Users[u], users[u*dim : (u+1)*dim], db.Meta{FieldSeen: seen}
	})
	if err != nil {
		return dropStaged(out.DB, err, its)
	}
	return swapIn(out.DB, its, us)
}

// RecommendRequest asks for a user's recommendations.
type RecommendRequest struct {
	Users, Items, User string
	K                  int
	// Filter restricts the items, e.g. `genres IN ("Comedy")`.
	Filter string
	// IncludeSeen keeps the items the user interacted with.
	IncludeSeen bool
	// WithMeta adds each item's metadata to its result.
	WithMeta bool
}

// Recommend returns the K items with the highest score (dot product) for
// a user, leaving out the items the user has seen unless asked not to.
// Distances are minus the score. The user's vector and the items are read
// in one [db.DB.View], so a retrain that swaps both collections cannot
// pair one model's user with the other's items.
func Recommend(ctx context.Context, d *db.DB, r RecommendRequest) (res []db.Result, err error) {
	err = d.View(func() error {
		res, err = recommendOnce(ctx, d, r)
		return err
	})
	return res, err
}

// recommendHook, when set (by tests), runs between reading the user and
// searching the items.
var recommendHook func()

func recommendOnce(ctx context.Context, d *db.DB, r RecommendRequest) ([]db.Result, error) {
	u, err := d.Get(r.Users, r.User)
	if err != nil {
		return nil, errors.Wrapf(err, "user %q", r.User)
	}
	if recommendHook != nil {
		recommendHook()
	}
	req := &db.SearchRequest{Vector: u.Vector, K: r.K, Filter: r.Filter, WithMeta: r.WithMeta}
	if !r.IncludeSeen {
		seen, _ := u.Meta[FieldSeen].([]string)
		req.ExcludeIDs = seen
	}
	return d.Search(ctx, r.Items, req)
}

// FoldIn gives a new or changed user a vector from their interactions
// (item ID to weight) without retraining: the ALS least-squares solve of
// the user's factors against the fixed item vectors (with opts' Lambda
// and Alpha, which should be those of the training run), written to the
// users collection at once with the items as the user's seen items. Items
// missing from the items collection are an error. It reads every item
// vector; a program folding in many users makes one [Folder] instead.
func FoldIn(ctx context.Context, d *db.DB, users, items, user string, interactions map[string]float32, opts recsys.ALSOptions) ([]float32, error) {
	f, err := NewFolder(ctx, d, users, items, opts)
	if err != nil {
		return nil, err
	}
	return f.FoldIn(ctx, user, interactions)
}

// Folder folds users into a recommender's users collection (see FoldIn)
// against item vectors it reads once: each FoldIn then costs one small
// least-squares solve and a write. When a retrain has replaced
// collections since (DB.Swaps changed), FoldIn reads the items again
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
	if err := fo.d.Put(fo.users, user, vec, db.Meta{FieldSeen: ids}); err != nil {
		return nil, err
	}
	return vec, nil
}
