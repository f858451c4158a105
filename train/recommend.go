package train

import (
	"context"
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
