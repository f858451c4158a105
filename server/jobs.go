package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/wire"
)

// maxFinishedJobs is how many finished jobs the server remembers; older
// ones are forgotten (GET /v1/jobs/{id} then answers 404).
const maxFinishedJobs = 100

// buildStages are the stages of a build, in order, as its Progress
// callback names them.
var buildStages = []string{"sampling", "training", "encoding", "writing", "swapping"}

// jobs are the server's background jobs. Goroutine-safe.
type jobs struct {
	ctx    context.Context // the parent of every job's context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// running counts the jobs in state running.
	running atomic.Int64

	mu struct {
		sync.Mutex
		closed bool
		byID   map[string]*job
		order  []*job // oldest first
	}
}

// job is one background job; its state is guarded by jobs.mu.
type job struct {
	state  wire.Job
	cancel context.CancelFunc
	// cancelled says a DELETE asked to stop it.
	cancelled bool
	done      chan struct{}
}

func newJobs() *jobs {
	js := &jobs{}
	js.ctx, js.cancel = context.WithCancel(context.Background())
	js.mu.byID = map[string]*job{}
	return js
}

// close cancels every running job and waits for them.
func (js *jobs) close() {
	js.mu.Lock()
	js.mu.closed = true
	js.mu.Unlock()
	js.cancel()
	js.wg.Wait()
}

// start runs fn as a job of the given kind; fn reports progress through
// its argument and returns the build's result.
func (js *jobs) start(kind, coll string, fn func(ctx context.Context, progress func(stage string, frac float64)) (*wire.Build, error)) (string, error) {
	var raw [8]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails (Go 1.24+)
	id := hex.EncodeToString(raw[:])
	ctx, cancel := context.WithCancel(js.ctx)
	j := &job{state: wire.Job{ID: id, Kind: kind, Collection: coll, State: wire.JobRunning}, cancel: cancel, done: make(chan struct{})}
	js.mu.Lock()
	if js.mu.closed {
		js.mu.Unlock()
		cancel()
		return "", sentinel.Mark(errors.New("the server is shutting down"), errUnavailable)
	}
	js.mu.byID[id] = j
	js.mu.order = append(js.mu.order, j)
	js.running.Add(1)
	js.wg.Add(1)
	js.mu.Unlock()
	go func() {
		defer js.wg.Done()
		defer close(j.done)
		defer cancel()
		progress := func(stage string, frac float64) {
			js.mu.Lock()
			defer js.mu.Unlock()
			j.state.Stage = stage
			j.state.Progress = max(j.state.Progress, min(frac, 1))
		}
		b, err := fn(ctx, progress)
		js.finish(j, b, err)
	}()
	return id, nil
}

// finish records a job's end and forgets the oldest finished jobs.
func (js *jobs) finish(j *job, b *wire.Build, err error) {
	js.running.Add(-1)
	js.mu.Lock()
	defer js.mu.Unlock()
	switch {
	case err == nil:
		j.state.State, j.state.Progress, j.state.Build = wire.JobDone, 1, b
	case j.cancelled || errors.Is(err, context.Canceled):
		j.state.State, j.state.Error = wire.JobCancelled, wire.ErrorMessage(err)
	default:
		j.state.State, j.state.Error = wire.JobFailed, wire.ErrorMessage(err)
	}
	js.forgetLocked()
}

// forgetLocked drops the oldest finished jobs beyond maxFinishedJobs.
// REQUIRES: js.mu held.
func (js *jobs) forgetLocked() {
	finished := 0
	for _, j := range js.mu.order {
		if j.state.State != wire.JobRunning {
			finished++
		}
	}
	js.mu.order = slices.DeleteFunc(js.mu.order, func(j *job) bool {
		if finished <= maxFinishedJobs || j.state.State == wire.JobRunning {
			return false
		}
		finished--
		delete(js.mu.byID, j.state.ID)
		return true
	})
}

// list returns every job, oldest first.
func (js *jobs) list() []wire.Job {
	js.mu.Lock()
	defer js.mu.Unlock()
	out := make([]wire.Job, 0, len(js.mu.order))
	for _, j := range js.mu.order {
		out = append(out, j.state)
	}
	return out
}

// get returns a job.
func (js *jobs) get(id string) (wire.Job, error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.mu.byID[id]
	if !ok {
		return wire.Job{}, sentinel.Mark(errors.Newf("job %q not found", id), db.ErrNotFound)
	}
	return j.state, nil
}

// stop cancels a running job and waits for it to stop, at most until ctx
// ends; a finished job is left as it is.
func (js *jobs) stop(ctx context.Context, id string) (wire.Job, error) {
	js.mu.Lock()
	j, ok := js.mu.byID[id]
	if !ok {
		js.mu.Unlock()
		return wire.Job{}, sentinel.Mark(errors.Newf("job %q not found", id), db.ErrNotFound)
	}
	if j.state.State == wire.JobRunning {
		j.cancelled = true
		j.cancel()
	}
	js.mu.Unlock()
	select {
	case <-j.done:
	case <-ctx.Done():
	}
	return js.get(id)
}

// build answers POST /v1/collections/{c}/build with 202 {"job":ID}: the
// build runs in the background (GET /v1/jobs/{id} follows it).
func (s *Server) build(w http.ResponseWriter, r *http.Request) {
	coll := r.PathValue("c")
	var req wire.BuildRequest
	if err := decode(r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	opts, err := req.Options()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.d.Collection(coll); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.jobs.start("build", coll, func(ctx context.Context, progress func(string, float64)) (*wire.Build, error) {
		o := opts
		o.Progress = func(stage string, done, total int) {
			i := slices.Index(buildStages, stage)
			if i < 0 {
				progress(stage, 0)
				return
			}
			frac := 0.0
			if total > 0 {
				frac = float64(min(done, total)) / float64(total)
			}
			progress(stage, (float64(i)+frac)/float64(len(buildStages)))
		}
		st, err := s.d.BuildIndex(ctx, coll, &o)
		if err != nil {
			return nil, err
		}
		b := wire.FromBuild(coll, st)
		return &b, nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, wire.JobCreated{Job: id})
}

// listJobs answers GET /v1/jobs.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, wire.Jobs{Jobs: s.jobs.list()})
}

// job answers GET /v1/jobs/{id}.
func (s *Server) job(w http.ResponseWriter, r *http.Request) {
	j, err := s.jobs.get(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// cancelJob answers DELETE /v1/jobs/{id}: it cancels a running job and
// answers the job once it stopped (a finished job is left as it was).
func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.jobs.stop(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}
