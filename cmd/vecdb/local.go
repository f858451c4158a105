package main

import (
	"context"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/wire"
)

// localBackend runs the commands on a database this process opened.
type localBackend struct {
	d *db.DB
	// postFilter answers filtered IVF searches by an unfiltered probe
	// thinned by the filter (bench --postfilter; not offered by servers).
	postFilter bool
}

var _ backend = (*localBackend)(nil)

func (b *localBackend) Process() bool { return true }

func (b *localBackend) List(ctx context.Context) ([]listEntry, error) {
	schemas, err := b.d.Collections()
	if err != nil {
		return nil, err
	}
	out := []listEntry{}
	for _, s := range schemas {
		n, err := b.d.Count(s.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, listEntry{wire.FromSchema(s), n})
	}
	return out, nil
}

func (b *localBackend) Create(ctx context.Context, s db.Schema) (wire.Schema, error) {
	if err := b.d.CreateCollection(s); err != nil {
		return wire.Schema{}, err
	}
	return wire.FromSchema(s), nil
}

func (b *localBackend) Drop(ctx context.Context, name string) error {
	return b.d.DropCollection(name)
}

func (b *localBackend) Schema(ctx context.Context, coll string) (wire.Schema, error) {
	s, err := b.d.Collection(coll)
	if err != nil {
		return wire.Schema{}, err
	}
	return wire.FromSchema(s), nil
}

func (b *localBackend) Stats(ctx context.Context, names []string) (wire.StatsList, error) {
	names, err := collectionNames(b.d, names)
	if err != nil {
		return wire.StatsList{}, err
	}
	out := wire.StatsList{Collections: []wire.Stats{}}
	for _, name := range names {
		st, err := b.d.Stats(name)
		if err != nil {
			return wire.StatsList{}, err
		}
		out.Collections = append(out.Collections, wire.FromStats(st))
	}
	mem, err := b.d.Memory()
	out.Memory = wire.FromMemory(mem)
	return out, err
}

func (b *localBackend) Sink(coll string) wire.Sink { return wire.DBSink(b.d, coll) }

func (b *localBackend) Settle(ctx context.Context) error { return b.d.WaitBackground(ctx) }

func (b *localBackend) Get(ctx context.Context, coll, id string) (wire.Record, error) {
	rec, err := b.d.Get(coll, id)
	if err != nil {
		return wire.Record{}, err
	}
	return wire.FromRecord(rec), nil
}

func (b *localBackend) Delete(ctx context.Context, coll string, ids []string) (wire.Deleted, error) {
	n, err := b.d.Delete(coll, ids...)
	return wire.Deleted{Collection: coll, Deleted: n, Requested: len(ids)}, err
}

// Search runs req like a server does: one query through Search, several
// through SearchMany, and Explain when the plans are asked for. An --id
// that is not a record of a word collection trained with subwords is
// searched with the vector its n-grams give it.
func (b *localBackend) Search(ctx context.Context, coll string, r *wire.SearchRequest) (wire.SearchResponse, error) {
	s, err := b.d.Collection(coll)
	if err != nil {
		return wire.SearchResponse{}, err
	}
	req, qs, err := r.Request(s.Dim)
	if err != nil {
		return wire.SearchResponse{}, err
	}
	req.PostFilter = b.postFilter
	if req.ID != "" {
		if _, err := b.d.Get(coll, req.ID); errors.Is(err, db.ErrNotFound) {
			if v, werr := train.WordVector(ctx, b.d, coll, req.ID); werr == nil {
				req.ID, req.Vector = "", v
			}
		}
	}
	var results [][]db.Result
	var plans []db.Plan
	switch {
	case r.Explain:
		results, plans, err = b.d.Explain(ctx, coll, qs, req)
	case qs != nil:
		results, err = b.d.SearchMany(ctx, coll, qs, req)
	default:
		var rs []db.Result
		rs, err = b.d.Search(ctx, coll, req)
		results = [][]db.Result{rs}
	}
	if err != nil {
		return wire.SearchResponse{}, err
	}
	out := wire.SearchResponse{Results: make([][]wire.Hit, len(results))}
	for i, rs := range results {
		out.Results[i] = wire.FromResults(rs, r.WithMeta)
	}
	for _, p := range plans {
		out.Explain = append(out.Explain, wire.FromPlan(p))
	}
	return out, nil
}

func (b *localBackend) Build(ctx context.Context, coll string, r *wire.BuildRequest, progress func(stage string, done, total int)) (wire.Build, error) {
	o, err := r.Options()
	if err != nil {
		return wire.Build{}, err
	}
	o.Progress = progress
	st, err := b.d.BuildIndex(ctx, coll, &o)
	if err != nil {
		return wire.Build{}, err
	}
	return wire.FromBuild(coll, st), nil
}

// Recommend recommends with train.Recommend.
func (b *localBackend) Recommend(ctx context.Context, r *wire.RecommendRequest) (wire.SearchResponse, error) {
	res, err := train.Recommend(ctx, b.d, train.RecommendRequest{Users: r.Users, Items: r.Items, User: r.User, K: r.K,
		Filter: r.Filter, IncludeSeen: r.IncludeSeen, WithMeta: r.WithMeta})
	if err != nil {
		return wire.SearchResponse{}, err
	}
	return wire.SearchResponse{Results: [][]wire.Hit{wire.FromResults(res, r.WithMeta)}}, nil
}

func (b *localBackend) Analogy(ctx context.Context, coll string, r *wire.AnalogyRequest) (wire.SearchResponse, error) {
	res, err := train.Analogy(ctx, b.d, coll, r.A, r.B, r.C, r.K)
	if err != nil {
		return wire.SearchResponse{}, err
	}
	return wire.SearchResponse{Results: [][]wire.Hit{wire.FromResults(res, false)}}, nil
}
