package main

import (
	"context"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/wire"
)

// localBackend runs the commands on a database this process opened.
type localBackend struct {
	d *db.DB
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
	return wire.SchemaOf(b.d, coll)
}

func (b *localBackend) Stats(ctx context.Context, names []string) (wire.StatsList, error) {
	names, err := collectionNames(b.d, names)
	if err != nil {
		return wire.StatsList{}, err
	}
	out := wire.StatsList{Collections: []wire.Stats{}}
	for _, name := range names {
		st, err := wire.StatsOf(b.d, name)
		if err != nil {
			return wire.StatsList{}, err
		}
		out.Collections = append(out.Collections, st)
	}
	out.Memory, err = wire.MemoryOf(b.d)
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
	return wire.Delete(b.d, coll, ids)
}

// Search runs r as a server does (wire.Search).
func (b *localBackend) Search(ctx context.Context, coll string, r *wire.SearchRequest) (wire.SearchResponse, error) {
	return wire.Search(ctx, b.d, coll, r)
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

// Recommend runs r as a server does (wire.Recommend).
func (b *localBackend) Recommend(ctx context.Context, r *wire.RecommendRequest) (wire.SearchResponse, error) {
	return wire.Recommend(ctx, b.d, r)
}

// Analogy runs r as a server does (wire.Analogy).
func (b *localBackend) Analogy(ctx context.Context, coll string, r *wire.AnalogyRequest) (wire.SearchResponse, error) {
	return wire.Analogy(ctx, b.d, coll, r)
}
