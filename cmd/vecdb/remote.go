package main

import (
	"context"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/client"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/wire"
)

// remoteBackend runs the commands through a vecdb server.
type remoteBackend struct {
	c *client.Client
}

var _ backend = (*remoteBackend)(nil)

// dialRemote returns the backend of the server at url.
func dialRemote(url, token, caFile string) (backend, error) {
	c, err := client.New(url, &client.Options{Token: token, CAFile: caFile})
	if err != nil {
		return nil, errors.Wrapf(err, "--server %s", url)
	}
	return &remoteBackend{c: c}, nil
}

// discoverServer returns the announcement of the live server announced in
// dir.
func discoverServer(dir string) (wire.Announcement, bool) { return client.Discover(dir) }

func (b *remoteBackend) Process() bool { return false }

func (b *remoteBackend) List(ctx context.Context) ([]listEntry, error) {
	all, err := b.c.Collections(ctx)
	if err != nil {
		return nil, err
	}
	out := []listEntry{}
	for _, st := range all.Collections {
		out = append(out, listEntry{st.Schema, st.Count})
	}
	return out, nil
}

// Create creates the collection. A JSON object has no order, so the
// server declares the fields in name order.
func (b *remoteBackend) Create(ctx context.Context, s db.Schema) (wire.Schema, error) {
	req := &wire.CreateCollection{Name: s.Name, Dim: s.Dim, Metric: s.Metric.String(), Fields: map[string]string{}}
	for _, f := range s.Fields {
		if _, dup := req.Fields[f.Name]; dup {
			return wire.Schema{}, errors.Newf("field %q is declared twice", f.Name)
		}
		req.Fields[f.Name] = f.Type.String()
	}
	return b.c.CreateCollection(ctx, req)
}

func (b *remoteBackend) Drop(ctx context.Context, name string) error {
	return b.c.DropCollection(ctx, name)
}

func (b *remoteBackend) Schema(ctx context.Context, coll string) (wire.Schema, error) {
	st, err := b.c.Stats(ctx, coll)
	return st.Schema, err
}

func (b *remoteBackend) Stats(ctx context.Context, names []string) (wire.StatsList, error) {
	if len(names) == 0 {
		return b.c.Collections(ctx)
	}
	out := wire.StatsList{Collections: []wire.Stats{}}
	for _, name := range names {
		st, err := b.c.Stats(ctx, name)
		if err != nil {
			return wire.StatsList{}, err
		}
		out.Memory, st.Memory = st.Memory, nil
		out.Collections = append(out.Collections, st)
	}
	return out, nil
}

func (b *remoteBackend) Sink(coll string) wire.Sink { return b.c.Sink(coll) }

// Settle returns at once: the server owns its background work.
func (b *remoteBackend) Settle(ctx context.Context) error { return nil }

func (b *remoteBackend) Get(ctx context.Context, coll, id string) (wire.Record, error) {
	return b.c.Get(ctx, coll, id)
}

// Delete deletes the records. The server refuses a delete of records none
// of which exist (404), like an unknown collection; when the collection
// exists, that is reported as nothing deleted, so the command says it in
// its own words.
func (b *remoteBackend) Delete(ctx context.Context, coll string, ids []string) (wire.Deleted, error) {
	return b.c.Delete(ctx, coll, ids...)
}

func (b *remoteBackend) Search(ctx context.Context, coll string, req *wire.SearchRequest) (wire.SearchResponse, error) {
	return b.c.Search(ctx, coll, req)
}

// buildSteps is the resolution of a server build's progress bar: the job
// reports the fraction of the whole build done (over its stages), drawn
// as steps of 0.1%.
const buildSteps = 1000

// Build starts the build as a job of the server and waits for it,
// drawing its progress; cancelling ctx (Ctrl-C) cancels the job.
func (b *remoteBackend) Build(ctx context.Context, coll string, req *wire.BuildRequest, progress func(stage string, done, total int)) (wire.Build, error) {
	id, err := b.c.Build(ctx, coll, req)
	if err != nil {
		return wire.Build{}, err
	}
	job, err := b.c.WaitJob(ctx, id, func(j wire.Job) {
		if progress != nil {
			progress(buildingStage, int(j.Progress*buildSteps), buildSteps)
		}
	})
	if ctx.Err() != nil {
		// The job outlives this command unless it is cancelled; the
		// command's own context is done, so the cancel gets its own.
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if cerr := b.c.CancelJob(cctx, id); cerr != nil {
			return wire.Build{}, errors.CombineErrors(ctx.Err(), errors.Wrapf(cerr, "cancelling the server's build job %s", id))
		}
		return wire.Build{}, ctx.Err()
	}
	if err != nil && job.State == wire.JobFailed && job.Error != "" {
		return wire.Build{}, errors.Newf("%s", job.Error) // what the build said, as a local build says it
	}
	if err != nil {
		return wire.Build{}, err
	}
	switch {
	case job.State == wire.JobDone && job.Build != nil:
		return *job.Build, nil
	case job.Error != "":
		return wire.Build{}, errors.Newf("build of %q on the server: %s", coll, job.Error)
	default:
		return wire.Build{}, errors.Newf("build of %q on the server: the job ended %s", coll, job.State)
	}
}

func (b *remoteBackend) Recommend(ctx context.Context, req *wire.RecommendRequest) (wire.SearchResponse, error) {
	return b.c.Recommend(ctx, req)
}

func (b *remoteBackend) Analogy(ctx context.Context, coll string, req *wire.AnalogyRequest) (wire.SearchResponse, error) {
	return b.c.Analogy(ctx, coll, req)
}
