package db

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
)

// TestModel is a randomised model-based test, after Pebble's metamorphic
// tests: a seed drives a sequence of operations on one database with two
// collections (L2 and cosine) and on an in-memory model of what the
// database must hold, and every answer is checked against the model.
// Operations: upsert batches (new IDs, overwrites, deletes within the
// batch, now and then an invalid record that must void the batch), deletes,
// gets, exact and indexed searches with and without filters, index builds
// and retrains with a random codec, compactions, stats, checks, reopens,
// injected faults (see modelRun.fault) and crashes of a child process (see
// modelRun.crash). Every few steps and at the end the whole database is
// compared with the model.
//
// Replay: the seed is logged, and is in every failure message with the
// step; VECDB_MODEL_SEED=<seed> runs that seed alone (with as many steps
// as the failed run: -short, default or VECDB_LONG=1), and
// VECDB_MODEL_TRACE=1 logs each step's op and what faults and crashes
// did. Background work (flushes, compactions) and the moment a child is
// killed are timed by the machine, not the seed, so a replay makes the
// same calls but may interleave them differently with that work.
//
// Sizes: 150 steps under -short, 400 by default, 3,000 on each of four
// seeds with VECDB_LONG=1.
//
// Not covered here: calls from several goroutines at once (only
// background compactions and the engine's own work run beside the
// test's calls; TestSearchesBesideSwaps searches beside writes and
// swaps), failed writes of the engine's log or MANIFEST (fatal:
// see modelFaults; the crash tests cover a process that dies), read
// faults (TestReadFaults), dropping and replacing collections, the Dot
// metric, calibrated builds (TargetRecall), Select/Allow, PostFilter,
// SearchMany and read-only opens.
func TestModel(t *testing.T) {
	steps := 400
	if testing.Short() {
		steps = 150
	}
	var seeds []uint64
	if s := os.Getenv("VECDB_MODEL_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("VECDB_MODEL_SEED=%q: %v", s, err)
		}
		seeds = []uint64{seed}
	} else {
		seed := uint64(time.Now().UnixNano())
		seeds = []uint64{seed}
		if vectest.Long() {
			seeds = append(seeds, seed+1, seed+2, seed+3)
		}
	}
	if vectest.Long() {
		steps = 3000
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runModel(t, seed, steps) })
	}
}

// The model's collections share the random filter tests' fields (a
// keyword, a keyword list, an int, a float and a bool), so randMeta and
// randFilter generate their records and filters.
var modelSchemas = []Schema{
	{Name: "l2", Dim: 8, Metric: L2, Fields: testSchema.Fields},
	{Name: "cos", Dim: 12, Metric: Cosine, Fields: testSchema.Fields},
}

// modelIDs is the size of the ID space: batches draw IDs from it, so they
// overwrite and delete existing records as well as add new ones, and each
// collection levels off at a few hundred live records.
const modelIDs = 700

// modelOp is one operation of a batch.
type modelOp struct {
	coll string
	id   string
	del  bool
	vec  []float32
	meta Meta
}

func modelSchema(coll string) *Schema {
	for i := range modelSchemas {
		if modelSchemas[i].Name == coll {
			return &modelSchemas[i]
		}
	}
	panic("no model collection " + coll)
}

// modelVec returns a random vector: mostly near one of a few centres (so
// an index has clusters to find), sometimes of small integers (so
// distances tie), never zero (the cosine collection refuses that).
func modelVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	if r.IntN(4) == 0 {
		for i := range v {
			v[i] = float32(r.IntN(4))
		}
	} else {
		c := r.IntN(8)
		for i := range v {
			v[i] = float32((c*7+i*3)%11-5) + float32(r.NormFloat64()*0.4)
		}
	}
	if norm2(v) == 0 {
		v[0] = 1
	}
	return v
}

// modelBatch returns n random operations over both collections: mostly
// upserts, some deletes, now and then a record repeating an earlier
// record's vector (exact ties).
func modelBatch(r *rand.Rand, n int) []modelOp {
	ops := make([]modelOp, 0, n)
	for range n {
		s := &modelSchemas[r.IntN(len(modelSchemas))]
		op := modelOp{coll: s.Name, id: "r" + strconv.Itoa(r.IntN(modelIDs))}
		switch {
		case r.IntN(8) == 0:
			op.del = true
		case len(ops) > 0 && r.IntN(10) == 0 && ops[len(ops)-1].coll == s.Name && !ops[len(ops)-1].del:
			op.vec, op.meta = slices.Clone(ops[len(ops)-1].vec), randMeta(r)
		default:
			op.vec, op.meta = modelVec(r, s.Dim), randMeta(r)
		}
		ops = append(ops, op)
	}
	return ops
}

// modelCrashBatch is batch i of a crash child run from seed: the child
// writes it and the parent, to know what the child wrote, generates it
// again.
func modelCrashBatch(seed uint64, i int) []modelOp {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	return modelBatch(r, 10+r.IntN(60))
}

// applyModelBatch writes ops in one batch.
func applyModelBatch(d *DB, ops []modelOp) error {
	b := d.NewBatch()
	defer b.Close()
	for _, op := range ops {
		var err error
		if op.del {
			err = b.Delete(op.coll, op.id)
		} else {
			err = b.Put(op.coll, op.id, op.vec, op.meta)
		}
		if err != nil {
			return err
		}
	}
	return d.Apply(b, nil)
}

// modelChild is the child side of a crash: it writes batch after batch of
// modelCrashBatch(seed, i), printing "acked i" after each, until killed.
func modelChild(d *DB, seed string) {
	s, err := strconv.ParseUint(seed, 10, 64)
	if err != nil {
		fmt.Println("bad seed:", err)
		os.Exit(2)
	}
	for i := range 10000 {
		if err := applyModelBatch(d, modelCrashBatch(s, i)); err != nil {
			fmt.Println("apply error:", err)
			os.Exit(2)
		}
		fmt.Printf("acked %d\n", i)
	}
}

// modelState is what the database must hold: per collection, each live
// record as stored (cosine vectors unit-normalised, metadata as Get
// returns it).
type modelState map[string]map[string]modelRec

func (m modelState) clone() modelState {
	c := modelState{}
	for coll, recs := range m {
		c[coll] = maps.Clone(recs)
	}
	return c
}

// apply applies ops in order, as one batch does.
func (m modelState) apply(ops []modelOp) {
	for _, op := range ops {
		if op.del {
			delete(m[op.coll], op.id)
			continue
		}
		v := slices.Clone(op.vec)
		if modelSchema(op.coll).Metric == Cosine {
			quant.Normalize(v)
		}
		m[op.coll][op.id] = modelRec{vec: v, meta: normMeta(op.meta)}
	}
}

// same reports whether two states of a record (ok: it exists) are equal.
func sameRec(a modelRec, aok bool, b modelRec, bok bool) bool {
	if aok != bok {
		return false
	}
	return !aok || slices.Equal(a.vec, b.vec) && metaEqual(a.meta, b.meta)
}

// modelDist is the exact distance of stored vector v from query q, as a
// search reports it (squared L2; 1 - cosine similarity).
func modelDist(s *Schema, q, v []float32) float64 {
	var d float64
	if s.Metric == Cosine {
		qn := slices.Clone(q)
		quant.Normalize(qn)
		for i := range qn {
			d += float64(qn[i]) * float64(v[i])
		}
		return 1 - d
	}
	for i := range q {
		x := float64(q[i]) - float64(v[i])
		d += x * x
	}
	return d
}

// distClose says whether a distance computed in float32 by the database
// matches the model's float64 one.
func distClose(a, b float64) bool {
	return math.Abs(a-b) <= 1e-4*max(1, math.Abs(a), math.Abs(b))
}

// modelFaults is the errorfs injector under every open of the model test:
// while armed it fails writes and syncs of the store's tables (.sst) with
// errno, once (oneShot: it disarms itself) or every time.
//
// Only table writes: the storage engine writes tables in the background
// (flushes, compactions) and retries them after an error, which vecdb
// hears as a background error (bgerrors.go); a failed write or sync of its
// log (WAL) or of its MANIFEST is fatal to it (Logger.Fatalf, vecdb's
// OnFatal, then a panic, in the failing call or in a background
// goroutine), after which the process must not use the database again: no
// in-process test survives that, and the crash tests (crash_test.go, the
// crash op below) cover a process that dies. vecdb's own vector files
// and its acknowledged-writes file are written with package os, outside
// the engine's file system: the free-space refusal (ErrDiskFull, the
// "diskfull" fault) is their injected fault.
type modelFaults struct {
	armed, oneShot atomic.Bool
	errno          atomic.Uint32
	hits           atomic.Int64
}

func (f *modelFaults) inject(op errorfs.Op) error {
	if !f.armed.Load() || !strings.HasSuffix(op.Path, ".sst") {
		return nil
	}
	switch op.Kind {
	case errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
	default:
		return nil
	}
	if f.oneShot.Load() && !f.armed.CompareAndSwap(true, false) {
		return nil // another write took the one fault
	}
	f.hits.Add(1)
	return errors.Wrap(syscall.Errno(f.errno.Load()), "injected")
}

// countLogger counts the engine's error lines (goroutine-safe).
type countLogger struct{ errs atomic.Int64 }

func (l *countLogger) Infof(string, ...any)  {}
func (l *countLogger) Errorf(string, ...any) { l.errs.Add(1) }

// modelRun is one seed's run.
type modelRun struct {
	t    *testing.T
	seed uint64
	r    *rand.Rand
	dir  string
	d    *DB
	opts Options
	m    modelState
	// indexed says which collections have an index (a build succeeded).
	indexed  map[string]bool
	faults   modelFaults
	diskFull atomic.Bool
	log      countLogger
	step     int
	op       string
	trace    bool // log each step (VECDB_MODEL_TRACE=1), for a replay
	counts   map[string]int
	// faultHits counts fault ops whose fault was hit; closeErrs the
	// Closes that returned an error under a fault.
	faultHits, closeErrs int
}

func (h *modelRun) tracef(format string, args ...any) {
	if h.trace {
		h.t.Helper()
		h.t.Logf("step %d: %s", h.step, fmt.Sprintf(format, args...))
	}
}

func (h *modelRun) fatalf(format string, args ...any) {
	h.t.Helper()
	h.t.Fatalf("seed %d step %d (%s): %s", h.seed, h.step, h.op, fmt.Sprintf(format, args...))
}

func runModel(t *testing.T, seed uint64, steps int) {
	t.Logf("seed %d, %d steps (replay: VECDB_MODEL_SEED=%d go test ./db -run 'TestModel$')", seed, steps, seed)
	h := &modelRun{t: t, seed: seed, r: rand.New(rand.NewPCG(seed, 15)), dir: t.TempDir(), m: modelState{}, indexed: map[string]bool{}, counts: map[string]int{},
		trace: os.Getenv("VECDB_MODEL_TRACE") == "1"}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("failed at step %d (%s) of seed %d: replay with VECDB_MODEL_SEED=%d", h.step, h.op, seed, seed)
		}
	})
	// Background compactions after a few hundred writes instead of ten
	// thousand, so they run (and race the test's writes and reopens) at
	// this size; and writes fail the free-space check while diskFull is
	// set. Both restored after the DB's cleanup (registered later, run
	// first) closes it.
	savedMin, savedFree := compactMin, freeBytes
	compactMin = 200
	freeBytes = func(dir string) (int64, bool) {
		if h.diskFull.Load() {
			return 0, true
		}
		return savedFree(dir)
	}
	t.Cleanup(func() { compactMin, freeBytes = savedMin, savedFree })
	// The options vary with the seed: synced or not, a 1 MiB write buffer
	// (flushes during the run, so table faults hit them), and a third of
	// the runs without row or list caches.
	h.opts = Options{NoSync: h.r.IntN(2) == 0, MemTableBytes: 1 << 20, Logger: &h.log,
		fsHook: func(fs vfs.FS) vfs.FS { return errorfs.Wrap(fs, errorfs.InjectorFunc(h.faults.inject)) }}
	if h.r.IntN(3) == 0 {
		h.opts.budgetHook = tinyCache
	}
	t.Logf("options: NoSync %v, tiny cache %v", h.opts.NoSync, h.opts.budgetHook != nil)
	if h.trace {
		compactProgress = func(coll, stage string, done, total int) {
			if stage == "swapping" {
				t.Logf("background compaction of %s swapping", coll)
			}
		}
		t.Cleanup(func() { compactProgress = nil })
	}
	h.open()
	for _, s := range modelSchemas {
		mustCreate(t, h.d, s)
		h.m[s.Name] = map[string]modelRec{}
	}
	// A first large batch, so indexes can be built early.
	h.op = "upsert"
	h.upsert(modelBatch(h.r, 600))
	const verifyEvery = 25
	for h.step = 1; h.step <= steps; h.step++ {
		h.op = h.pick()
		h.counts[h.op]++
		h.tracef("%s", h.op)
		h.run(h.op)
		if h.step%verifyEvery == 0 {
			h.op = "verify"
			h.verify()
		}
	}
	h.op = "final verify"
	h.verify()
	var kinds []string
	for _, k := range slices.Sorted(maps.Keys(h.counts)) {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, h.counts[k]))
	}
	t.Logf("ops: %s; %d faults hit, %d Closes failed under a fault, %d engine error lines; final counts l2 %d, cos %d",
		strings.Join(kinds, ", "), h.faultHits, h.closeErrs, h.log.errs.Load(), len(h.m["l2"]), len(h.m["cos"]))
}

// opWeights says how often each op is picked.
var opWeights = []struct {
	op string
	w  int
}{
	{"upsert", 22}, {"delete", 7}, {"get", 7}, {"exact", 12}, {"indexed", 14},
	{"build", 4}, {"compact", 3}, {"stats", 4}, {"reopen", 4}, {"check", 3},
	{"fault", 6}, {"crash", 2},
}

func (h *modelRun) pick() string {
	total := 0
	for _, o := range opWeights {
		total += o.w
	}
	n := h.r.IntN(total)
	for _, o := range opWeights {
		if n < o.w {
			if o.op == "indexed" && !h.indexed["l2"] && !h.indexed["cos"] {
				return "exact"
			}
			return o.op
		}
		n -= o.w
	}
	panic("unreachable")
}

func (h *modelRun) coll() string { return modelSchemas[h.r.IntN(len(modelSchemas))].Name }

func (h *modelRun) run(op string) {
	ctx := context.Background()
	switch op {
	case "upsert":
		ops := modelBatch(h.r, 1+h.r.IntN(80))
		if h.r.IntN(20) == 0 {
			h.invalidBatch(ops)
			return
		}
		h.upsert(ops)
	case "delete":
		coll := h.coll()
		ids := h.someIDs(coll, 1+h.r.IntN(20))
		want := 0
		for _, id := range ids {
			if _, ok := h.m[coll][id]; ok {
				want++
			}
		}
		n, err := h.d.Delete(coll, ids...)
		if err != nil || n != want {
			h.fatalf("Delete(%s, %d IDs) = %d, %v; the model has %d of them", coll, len(ids), n, err, want)
		}
		for _, id := range ids {
			delete(h.m[coll], id)
		}
	case "get":
		coll := h.coll()
		for _, id := range h.someIDs(coll, 1+h.r.IntN(10)) {
			h.checkGet(coll, id)
		}
	case "exact":
		h.search(h.coll(), true)
	case "indexed":
		coll := h.coll()
		if !h.indexed[coll] {
			coll = map[string]string{"l2": "cos", "cos": "l2"}[coll]
		}
		h.search(coll, false)
	case "build":
		h.build(ctx, h.coll())
	case "compact":
		coll := h.coll()
		st, err := h.d.Compact(ctx, coll, nil)
		if !h.indexed[coll] {
			if !errors.Is(err, ErrInvalid) {
				h.fatalf("Compact(%s) without an index = %v, want ErrInvalid", coll, err)
			}
			return
		}
		if err != nil {
			h.fatalf("Compact(%s): %v", coll, err)
		}
		h.checkStats(coll, st.Generation)
	case "stats":
		h.checkStats(h.coll(), 0)
	case "reopen":
		if err := h.close(); err != nil {
			h.fatalf("Close: %v", err)
		}
		h.open()
	case "check":
		coll := h.coll()
		if err := h.d.CheckCollection(coll); err != nil {
			h.fatalf("CheckCollection(%s): %v", coll, err)
		}
	case "fault":
		h.fault(ctx)
	case "crash":
		h.crash()
	default:
		h.fatalf("unknown op")
	}
}

// someIDs returns n distinct IDs of coll: mostly live ones, some missing.
func (h *modelRun) someIDs(coll string, n int) []string {
	live := slices.Sorted(maps.Keys(h.m[coll]))
	seen := map[string]bool{}
	var ids []string
	for range n {
		id := "r" + strconv.Itoa(h.r.IntN(modelIDs))
		if len(live) > 0 && h.r.IntN(4) > 0 {
			id = live[h.r.IntN(len(live))]
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

func (h *modelRun) upsert(ops []modelOp) {
	if err := applyModelBatch(h.d, ops); err != nil {
		h.fatalf("Apply of %d ops: %v", len(ops), err)
	}
	h.m.apply(ops)
}

// invalidBatch adds a record the database must refuse to ops: the batch
// fails and none of it is written.
func (h *modelRun) invalidBatch(ops []modelOp) {
	bad := modelOp{coll: "l2", id: "bad", vec: make([]float32, 8)}
	switch h.r.IntN(3) {
	case 0:
		bad.vec[3] = float32(math.NaN())
	case 1:
		bad.vec = bad.vec[:5] // wrong dimension
	default:
		bad.coll, bad.vec = "cos", make([]float32, 12) // zero vector, cosine
	}
	ops = slices.Insert(ops, h.r.IntN(len(ops)+1), bad)
	if err := applyModelBatch(h.d, ops); err == nil {
		h.fatalf("a batch with an invalid record was applied")
	}
	for _, op := range ops {
		h.checkGet(op.coll, op.id)
	}
}

// checkGet compares Get(coll, id) with the model.
func (h *modelRun) checkGet(coll, id string) {
	want, ok := h.m[coll][id]
	rec, err := h.d.Get(coll, id)
	switch {
	case !ok && !errors.Is(err, ErrNotFound):
		h.fatalf("Get(%s, %s) of a missing record = %+v, %v; want ErrNotFound", coll, id, rec, err)
	case ok && err != nil:
		h.fatalf("Get(%s, %s): %v", coll, id, err)
	case ok && (rec.ID != id || !sameRec(modelRec{rec.Vector, rec.Meta}, true, want, true)):
		h.fatalf("Get(%s, %s) = %v %v, want %v %v", coll, id, rec.Vector, rec.Meta, want.vec, want.meta)
	}
}

// search runs a random search of coll, exact or through its index, and
// checks the answer against the model.
func (h *modelRun) search(coll string, exact bool) {
	s := modelSchema(coll)
	req := &SearchRequest{K: 1 + h.r.IntN(30), Exact: exact, WithMeta: h.r.IntN(2) == 0, WithVector: h.r.IntN(2) == 0}
	if !exact {
		req.WithMeta, req.WithVector = true, true
		st, err := h.d.Stats(coll)
		if err != nil || st.Index == nil {
			h.fatalf("Stats(%s) = %+v, %v; want an index", coll, st, err)
		}
		if h.r.IntN(2) == 0 {
			req.NProbe = 1 + h.r.IntN(st.Index.Lists)
		}
		if h.r.IntN(2) == 0 {
			req.Refine = 1 + h.r.IntN(5)
		}
		// Answered from the codes' estimates: the distances are not exact.
		req.CodesOnly = h.r.IntN(6) == 0
	}
	var q []float32
	self := ""
	switch live := slices.Sorted(maps.Keys(h.m[coll])); {
	case len(live) > 0 && h.r.IntN(4) == 0:
		self = live[h.r.IntN(len(live))]
		req.ID = self
		q = h.m[coll][self].vec
	case len(live) > 0 && h.r.IntN(3) == 0:
		q = slices.Clone(h.m[coll][live[h.r.IntN(len(live))]].vec) // distance 0 to a record
	default:
		q = modelVec(h.r, s.Dim)
	}
	if req.ID == "" {
		req.Vector = q
		if h.r.IntN(30) == 0 {
			id := "missing" + strconv.Itoa(h.step)
			if _, err := h.d.Search(context.Background(), coll, &SearchRequest{ID: id, Exact: exact}); !errors.Is(err, ErrNotFound) {
				h.fatalf("search %s by a missing ID: %v, want ErrNotFound", coll, err)
			}
		}
	}
	pass := func(Meta) bool { return true }
	if h.r.IntN(2) == 0 {
		req.Filter, pass = randFilter(h.r, 2)
	}
	var only, not map[string]bool
	if h.r.IntN(6) == 0 {
		req.IDs = h.someIDs(coll, 1+h.r.IntN(60))
		only = map[string]bool{}
		for _, id := range req.IDs {
			only[id] = true
		}
	}
	if h.r.IntN(6) == 0 {
		req.ExcludeIDs = h.someIDs(coll, 1+h.r.IntN(20))
		not = map[string]bool{}
		for _, id := range req.ExcludeIDs {
			not[id] = true
		}
	}
	// The model's answer: every record that passes, with its distance.
	cand := map[string]float64{}
	for id, rec := range h.m[coll] {
		if id == self || !pass(rec.meta) || only != nil && !only[id] || not[id] {
			continue
		}
		cand[id] = modelDist(s, q, rec.vec)
	}
	res, err := h.d.Search(context.Background(), coll, req)
	if err != nil {
		h.fatalf("search %s %+v: %v", coll, req, err)
	}
	what := fmt.Sprintf("search %s (exact %v, k %d, filter %q, IDs %d, exclude %d, by ID %q, nprobe %d, refine %d, codes only %v)",
		coll, exact, req.K, req.Filter, len(req.IDs), len(req.ExcludeIDs), req.ID, req.NProbe, req.Refine, req.CodesOnly)
	if want := min(req.K, len(cand)); len(res) != want {
		h.fatalf("%s: %d results, want %d (%d records match)", what, len(res), want, len(cand))
	}
	want := slices.Sorted(maps.Values(cand))
	seen := map[string]bool{}
	for i, r := range res {
		d, ok := cand[r.ID]
		switch {
		case seen[r.ID]:
			h.fatalf("%s: %s returned twice", what, r.ID)
		case !ok:
			_, live := h.m[coll][r.ID]
			h.fatalf("%s: result %d is %s (live %v), which does not match", what, i, r.ID, live)
		case !req.CodesOnly && !distClose(float64(r.Distance), d):
			h.fatalf("%s: result %d, %s, at distance %v; its exact distance is %v", what, i, r.ID, r.Distance, d)
		case i > 0 && r.Distance < res[i-1].Distance:
			h.fatalf("%s: result %d, %s, at %v after %v", what, i, r.ID, r.Distance, res[i-1].Distance)
		case exact && !distClose(float64(r.Distance), want[i]):
			// Ties may come in any order, but the distances are the k
			// smallest.
			h.fatalf("%s: result %d, %s, at distance %v; the %d-th smallest is %v", what, i, r.ID, r.Distance, i+1, want[i])
		}
		seen[r.ID] = true
		rec := h.m[coll][r.ID]
		if req.WithVector && !slices.Equal(r.Vector, rec.vec) || req.WithMeta && !metaEqual(r.Meta, rec.meta) {
			h.fatalf("%s: result %s has %v %v, the model %v %v", what, r.ID, r.Vector, r.Meta, rec.vec, rec.meta)
		}
	}
}

// build builds (or rebuilds, retraining) coll's index with a random codec.
func (h *modelRun) build(ctx context.Context, coll string) {
	if h.indexed[coll] {
		h.counts["build: retrain"]++
	}
	opts := h.buildOpts()
	st, err := h.d.BuildIndex(ctx, coll, opts)
	if len(h.m[coll]) < 256 {
		if !errors.Is(err, ErrInvalid) {
			h.fatalf("BuildIndex(%s) of %d records = %v, want ErrInvalid", coll, len(h.m[coll]), err)
		}
		return
	}
	if err != nil {
		h.fatalf("BuildIndex(%s, %+v): %v", coll, *opts, err)
	}
	h.indexed[coll] = true
	h.checkStats(coll, st.Generation)
}

func (h *modelRun) buildOpts() *BuildOptions {
	o := &BuildOptions{Seed: h.r.Uint64(), Codec: []Codec{CodecPQ8, CodecPQ4FS, CodecRaBitQ}[h.r.IntN(3)]}
	if h.r.IntN(2) == 0 {
		o.Lists = []int{4, 8, 16}[h.r.IntN(3)]
	}
	return o
}

// checkStats compares coll's stats with the model: its count, whether it
// has an index, and (gen > 0) the index generation.
func (h *modelRun) checkStats(coll string, gen uint32) {
	st, err := h.d.Stats(coll)
	if err != nil {
		h.fatalf("Stats(%s): %v", coll, err)
	}
	if st.Count != uint64(len(h.m[coll])) || (st.Index != nil) != h.indexed[coll] || st.IndexDamaged != "" {
		h.fatalf("Stats(%s): %d records, index %v (damaged %q); the model has %d, index %v", coll, st.Count, st.Index != nil, st.IndexDamaged, len(h.m[coll]), h.indexed[coll])
	}
	if gen > 0 && st.Index.Generation != gen {
		h.fatalf("Stats(%s): generation %d, want %d", coll, st.Index.Generation, gen)
	}
	if st.Index != nil && uint64(st.Index.Codes) < st.Count {
		h.fatalf("Stats(%s): %d codes for %d records", coll, st.Index.Codes, st.Count)
	}
}

// generation returns coll's index generation (0: none).
func (h *modelRun) generation(coll string) uint32 {
	st, err := h.d.Stats(coll)
	if err != nil {
		h.fatalf("Stats(%s): %v", coll, err)
	}
	if st.Index == nil {
		return 0
	}
	return st.Index.Generation
}

// waitBackground waits for background compactions, which must not have
// failed but for a full disk (the diskfull fault).
func (h *modelRun) waitBackground() {
	if err := h.d.WaitBackground(context.Background()); err != nil && !errors.Is(err, ErrDiskFull) {
		h.fatalf("background compaction: %v", err)
	}
}

// verify compares the whole database with the model: every record by
// iteration and by Get, counts, stats and Check.
func (h *modelRun) verify() {
	h.waitBackground()
	for _, s := range modelSchemas {
		coll := s.Name
		h.checkStats(coll, 0)
		if n, err := h.d.Count(coll); err != nil || n != uint64(len(h.m[coll])) {
			h.fatalf("Count(%s) = %d, %v; the model has %d", coll, n, err, len(h.m[coll]))
		}
		it, err := h.d.NewRecordIterator(coll)
		if err != nil {
			h.fatalf("NewRecordIterator(%s): %v", coll, err)
		}
		seen := map[string]bool{}
		for it.First(); it.Valid(); it.Next() {
			rec := it.Record()
			want, ok := h.m[coll][rec.ID]
			if seen[rec.ID] || !sameRec(modelRec{rec.Vector, rec.Meta}, true, want, ok) {
				_ = it.Close() // failing anyway
				h.fatalf("iterating %s: %s = %v %v (seen before %v); the model has %v %v (live %v)", coll, rec.ID, rec.Vector, rec.Meta, seen[rec.ID], want.vec, want.meta, ok)
			}
			seen[rec.ID] = true
		}
		if err := it.Close(); err != nil || len(seen) != len(h.m[coll]) {
			h.fatalf("iterating %s: %d records, %v; the model has %d", coll, len(seen), err, len(h.m[coll]))
		}
		for id := range h.m[coll] {
			h.checkGet(coll, id)
		}
		for range 5 {
			h.checkGet(coll, "r"+strconv.Itoa(h.r.IntN(modelIDs)))
		}
	}
	if err := h.d.Check(); err != nil {
		h.fatalf("Check: %v", err)
	}
}

// open opens the database (no fault armed).
func (h *modelRun) open() {
	h.faults.armed.Store(false)
	h.d = openTestDBAt(h.t, h.dir, &h.opts)
}

// close closes the database, failing the test if Close hangs.
func (h *modelRun) close() error {
	done := make(chan error, 1)
	go func() { done <- h.d.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		h.fatalf("Close hung (%d faults hit, %d engine error lines)", h.faults.hits.Load(), h.log.errs.Load())
		return nil
	}
}

// within runs f, failing the test if it takes longer than a minute.
func (h *modelRun) within(what string, f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		h.fatalf("%s hung (%d faults hit)", what, h.faults.hits.Load())
	}
}

// fault runs one write (an upsert batch, a delete batch, a build or a
// compaction) under an injected fault:
//
//   - "table": the next write or sync of a table (or every one, until
//     disarmed) fails with EIO or ENOSPC (see modelFaults). The engine
//     writes tables in the background, so the write itself succeeds (its
//     batch is acknowledged) unless it meets the error some other way; the
//     fault stays armed through Close half the time, whose flush then
//     fails and which must return (with that error) rather than hang.
//     The database, reopened without the fault, must hold every
//     acknowledged batch whole, and a failed one whole or not at all.
//   - "diskfull": the free-space check refuses every write: the call must
//     fail with ErrDiskFull (or change nothing) and leave the database as
//     it was.
func (h *modelRun) fault(ctx context.Context) {
	coll := h.coll()
	var ops []modelOp
	var do func() error
	var gen uint32
	kind := "upsert"
	switch n := h.r.IntN(10); {
	case n < 2:
		kind = "delete"
		for _, id := range h.someIDs(coll, 1+h.r.IntN(30)) {
			ops = append(ops, modelOp{coll: coll, id: id, del: true})
		}
	case n < 4 && len(h.m[coll]) >= 256:
		kind = "build"
		opts := h.buildOpts()
		do = func() error {
			st, err := h.d.BuildIndex(ctx, coll, opts)
			gen = st.Generation
			return err
		}
	case n < 5 && h.indexed[coll]:
		kind = "compact"
		do = func() error {
			st, err := h.d.Compact(ctx, coll, nil)
			gen = st.Generation
			return err
		}
	default:
		ops = modelBatch(h.r, 1+h.r.IntN(80))
	}
	if do == nil {
		do = func() error { return applyModelBatch(h.d, ops) }
	}
	// A background compaction started earlier could swap a generation in
	// during the call; the checks of the generation below want none.
	h.waitBackground()
	before := h.generation(coll)
	if h.r.IntN(3) == 0 {
		h.counts["fault: diskfull "+kind]++
		h.diskFull.Store(true)
		var err error
		h.within(kind+" on a full disk", func() { err = do() })
		h.diskFull.Store(false)
		h.tracef("%s on a full disk: %v", kind, err)
		h.waitBackground()
		after := h.m.clone()
		after.apply(ops)
		if err == nil && (ops == nil || !h.sameState(after, ops)) || err != nil && !errors.Is(err, ErrDiskFull) {
			h.fatalf("%s on a full disk: %v, want ErrDiskFull", kind, err)
		}
		h.judge(ops, false)
		if g := h.generation(coll); g != before {
			h.fatalf("%s on a full disk (%v): generation %d, was %d", kind, err, g, before)
		}
		if h.r.IntN(2) == 0 {
			if err := h.close(); err != nil {
				h.fatalf("Close after a full disk: %v", err)
			}
			h.open()
		}
		return
	}
	errno := []syscall.Errno{syscall.EIO, syscall.ENOSPC}[h.r.IntN(2)]
	oneShot := h.r.IntN(2) == 0
	h.counts[fmt.Sprintf("fault: table %s", kind)]++
	h.faults.hits.Store(0)
	h.faults.errno.Store(uint32(errno))
	h.faults.oneShot.Store(oneShot)
	h.faults.armed.Store(true)
	var err error
	h.within(kind+" under a table fault", func() { err = do() })
	if h.r.IntN(2) == 0 {
		h.faults.armed.Store(false)
	}
	cerr := h.close()
	h.faults.armed.Store(false)
	hits := h.faults.hits.Load()
	h.tracef("%s under table faults (%v, one %v): %v; %d hit; Close: %v", kind, errno, oneShot, err, hits, cerr)
	if hits > 0 {
		h.faultHits++
	}
	if cerr != nil {
		h.closeErrs++
		if hits == 0 {
			h.fatalf("Close failed with no fault hit: %v", cerr)
		}
	}
	h.open()
	h.judge(ops, err == nil)
	g := h.generation(coll)
	switch {
	case kind != "build" && kind != "compact":
		// The write may have started a background compaction, which
		// may have swapped before Close.
		if g < before {
			h.fatalf("%s under a table fault: generation %d, was %d", kind, g, before)
		}
	case err == nil && g != gen:
		h.fatalf("%s under a table fault: generation %d after reopening, the call swapped in %d", kind, g, gen)
	case err != nil && g != before && g != gen:
		h.fatalf("%s under a table fault failed (%v): generation %d, was %d", kind, err, g, before)
	}
	if g != 0 {
		h.indexed[coll] = true
	}
	h.verify()
}

// sameState reports whether the model after ops holds what it holds now
// for every record ops touch (the ops change nothing).
func (h *modelRun) sameState(after modelState, ops []modelOp) bool {
	for _, op := range ops {
		a, aok := after[op.coll][op.id]
		b, bok := h.m[op.coll][op.id]
		if !sameRec(a, aok, b, bok) {
			return false
		}
	}
	return true
}

// judge compares the records ops touch with the model before and after
// them, requires the batch to be whole (acked: applied) or absent, and
// brings the model up to what the database holds.
func (h *modelRun) judge(ops []modelOp, acked bool) {
	after := h.m.clone()
	after.apply(ops)
	var applied, absent []string
	for _, op := range ops {
		rec, err := h.d.Get(op.coll, op.id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			h.fatalf("Get(%s, %s): %v", op.coll, op.id, err)
		}
		var got modelRec
		if err == nil {
			got = modelRec{rec.Vector, rec.Meta}
		}
		a, aok := after[op.coll][op.id]
		b, bok := h.m[op.coll][op.id]
		inAfter, inBefore := sameRec(got, err == nil, a, aok), sameRec(got, err == nil, b, bok)
		key := op.coll + "/" + op.id
		switch {
		case !inAfter && !inBefore:
			h.fatalf("record %s = %v (found %v): neither the batch's %v nor the earlier %v", key, got, err == nil, a, b)
		case inAfter && !inBefore:
			applied = append(applied, key)
		case inBefore && !inAfter:
			absent = append(absent, key)
		}
	}
	switch {
	case len(applied) > 0 && len(absent) > 0:
		h.fatalf("partial batch: %v applied, %v not", applied, absent)
	case acked && len(absent) > 0:
		h.fatalf("acknowledged batch lost: %v not applied", absent)
	case len(applied) > 0:
		h.m = after
	}
	if len(ops) > 0 {
		h.tracef("batch of %d ops: %d records applied, %d absent, %d unchanged", len(ops), len(applied), len(absent), len(ops)-len(applied)-len(absent))
	}
}

// crash closes the database and hands it to a child process that writes
// batches (modelChild) until it is SIGKILLed after a random number of
// them; then, reopened, the database must hold every batch the child
// acknowledged and, of the one it was writing, all or nothing.
func (h *modelRun) crash() {
	if err := h.close(); err != nil {
		h.fatalf("Close: %v", err)
	}
	seed := h.r.Uint64()
	target := h.r.IntN(4)
	pause := time.Duration(h.r.IntN(4)) * time.Millisecond
	cmd, sc := startChild(h.t, h.dir, "model:"+strconv.FormatUint(seed, 10))
	acked, killed := -1, false
	for sc.Scan() {
		n, ok := strings.CutPrefix(sc.Text(), "acked ")
		if !ok {
			h.fatalf("child: %s", sc.Text())
		}
		acked, _ = strconv.Atoi(n)
		if acked >= target && !killed {
			time.Sleep(pause) // kill mid-batch, or between two
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				h.fatalf("kill: %v", err)
			}
			killed = true
		}
		// Go on reading: lines the child printed before it died count.
	}
	_ = cmd.Wait() // killed: the error is expected
	if !killed {
		h.fatalf("the child stopped after batch %d", acked)
	}
	h.open()
	for i := range acked + 1 {
		h.m.apply(modelCrashBatch(seed, i))
	}
	h.tracef("crash: child killed after batch %d", acked)
	h.judge(modelCrashBatch(seed, acked+1), false)
	h.counts[fmt.Sprintf("crash: %d batches acked", min(acked+1, 4))]++
	h.verify()
}
