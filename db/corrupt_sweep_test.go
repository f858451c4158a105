package db

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/vectest"
)

// The corruption sweep (issue 15: never lose a byte, never panic, never
// hang). It builds a small indexed database, then, for every kind of file
// in its directory, copies it, flips one byte of one file at a random
// offset (XOR with a random non-zero mask) and runs a workload on the
// copy: a read-only open, a writable open and, when that one saw nothing
// wrong, a second writable open, each followed by Stats, Count, Gets, an
// exact, a filtered and three indexed searches and one by ID, a walk over
// every record (NewRecordIterator, what an export reads), Check and Close.
//
// Every call must either fail with an error that names the problem or
// answer exactly what the undamaged database answers. "Names the problem"
// means errors.Is(err, ErrCorruption): the package promises that mark on
// every error caused by stored bytes that do not decode (see errors.go),
// and it is what a caller can act on (restore, rebuild, export what is
// left). A read-only open of a store whose log lost acknowledged writes
// logs the loss and serves what is left (see acked.go): there the logged
// line is the report. A call that answers wrong is excused only by its
// own error or by its open's report: a wrong answer while nothing in the
// session reported a problem is a silent wrong answer, the failure the
// issue is about, and one that only another call (Check, say) noticed
// fails too, since a caller who searches does not run Check first. A
// panic, or a workload that does not finish within sweepTimeout (a hang),
// fails the test too.
//
// Flips that change nothing are expected: a byte in a block no read
// needs (an obsolete table, a recycled log, padding, a value the engine
// does not check in OPTIONS) leaves every answer right, and the engine
// takes a damaged tail of the last log for a torn write (a crash), which
// is why vecdb checks the recovered batch count against VECDB-ACKED.
//
// Two reference states are swept: "closed", the directory after Close
// (everything in tables), and "crashed", a copy taken while the database
// was open after its last writes (the post-build upserts and deletes only
// in the write-ahead log), which is what a process crash or power loss
// leaves. Small write buffers make both hold several tables and a
// MANIFEST of several edits.
//
// Replaying: the seed is logged and is in every failure message, with
// the file, offset and mask; VECDB_SWEEP_SEED=n reruns with seed n (the
// engine's flushes make file names and sizes vary a little between
// runs, so a replay may draw other bytes), and a damaged copy of a
// failing case is kept (its path is in the message) to open by hand. A
// run under -v also prints each case before running it, so a crash of
// the whole test binary (a panic in a background goroutine) still shows
// which flip it was.

const (
	sweepTimeout = 30 * time.Second
	sweepColl    = "v"
	sweepDim     = 8
	sweepN       = 3000
)

// sweepSchema has a field of each type, so record and bitmap decoding of
// each is exercised.
var sweepSchema = Schema{Name: sweepColl, Dim: sweepDim, Metric: L2, Fields: []Field{
	{Name: "g", Type: Int},
	{Name: "color", Type: Keyword},
	{Name: "tags", Type: Keywords},
	{Name: "price", Type: Float},
	{Name: "sold", Type: Bool},
}}

func sweepMeta(i, version int) Meta {
	colors := []string{"red", "green", "blue", "black"}
	return Meta{
		"g":     i % 10,
		"color": colors[(i+version)%len(colors)],
		"tags":  []string{"t" + strconv.Itoa(i%7), "v" + strconv.Itoa(version)},
		"price": float64(i)/4 + float64(version),
		"sold":  (i+version)%3 == 0,
	}
}

// sweepRef is an undamaged database and what it answers.
type sweepRef struct {
	name string
	dir  string
	want []sweepAnswer
}

// sweepAnswer is one call's outcome: its answer rendered as a string (an
// ErrNotFound is an answer, "not found"), or its error.
type sweepAnswer struct {
	call   string
	answer string
	err    error
}

var (
	sweepQuery = vectest.Clustered(99, 1, sweepDim, 3, 0.4)[0]
	// sweepIDs are read by Get: records of the build, records rewritten
	// or added after it (tail rows), deleted ones and a never-seen one.
	sweepIDs = []string{"0", "5", "777", "1500", "2999", "3000", "3100", "3199", "10", "11", "2000", "12", "nope"}
)

// buildSweepDB fills dir: sweepN records, an index, then 200 new records
// and 100 rewritten ones (tail rows), and a few deletes. It returns the
// open database.
func buildSweepDB(t *testing.T, dir string) *DB {
	t.Helper()
	// Small write buffers, so the store flushes while it fills: the
	// states have several tables, and the crashed one both tables and a
	// log that holds the last writes.
	d, err := Open(dir, &Options{DisableAutoCompaction: true, MemTableBytes: 1 << 20, Logger: &syncLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, d, sweepSchema)
	vecs := vectest.Clustered(1, sweepN+200, sweepDim, 50, 0.5)
	put := func(from, to, version int) {
		b := d.NewBatch()
		defer b.Close()
		for i := from; i < to; i++ {
			if err := b.Put(sweepColl, strconv.Itoa(i), vecs[(i+version)%len(vecs)], sweepMeta(i, version)); err != nil {
				t.Fatal(err)
			}
			if b.Len() == 500 {
				if err := d.Apply(b, nil); err != nil {
					t.Fatal(err)
				}
				b.Reset()
			}
		}
		if err := d.Apply(b, nil); err != nil {
			t.Fatal(err)
		}
	}
	put(0, sweepN, 0)
	if _, err := d.BuildIndex(context.Background(), sweepColl, &BuildOptions{Seed: 1, Lists: 16}); err != nil {
		t.Fatal(err)
	}
	// After the build: new records, rewritten ones, deletes, in several
	// batches so the log holds many.
	put(sweepN, sweepN+200, 0)
	put(1000, 1100, 1)
	put(2000, 2010, 2)
	if _, err := d.Delete(sweepColl, "10", "11", "12", "1050", "3150"); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := d.Put(sweepColl, strconv.Itoa(100+i), vecs[i], sweepMeta(i, 3)); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// sweepWorkload runs the reads on d and returns each call's outcome.
func sweepWorkload(d *DB) []sweepAnswer {
	var out []sweepAnswer
	add := func(call, answer string, err error) {
		if err != nil {
			answer = ""
		}
		out = append(out, sweepAnswer{call: call, answer: answer, err: err})
	}
	st, err := d.Stats(sweepColl)
	if err == nil && st.IndexDamaged != "" {
		// Stats names a damaged index in its answer rather than failing.
		err = corruptionf("stats: %s", st.IndexDamaged)
	}
	add("Stats", fmt.Sprintf("count %d next %d index %v damaged %q", st.Count, st.NextDocID, st.Index != nil, st.IndexDamaged), err)
	n, err := d.Count(sweepColl)
	add("Count", strconv.FormatUint(n, 10), err)
	for _, id := range sweepIDs {
		rec, err := d.Get(sweepColl, id)
		switch {
		case errors.Is(err, ErrNotFound):
			add("Get "+id, "not found", nil)
		case err != nil:
			add("Get "+id, "", err)
		default:
			add("Get "+id, fmt.Sprintf("%s %v %v", rec.ID, rec.Vector, sortedMeta(rec.Meta)), nil)
		}
	}
	ctx := context.Background()
	for _, s := range []struct {
		call string
		req  SearchRequest
	}{
		{"exact search", SearchRequest{Vector: sweepQuery, K: 10, Exact: true}},
		{"exact filtered search", SearchRequest{Vector: sweepQuery, K: 10, Exact: true, Filter: `g = 3 AND color = "red"`}},
		{"indexed search", SearchRequest{Vector: sweepQuery, K: 10, WithMeta: true}},
		{"indexed filtered search", SearchRequest{Vector: sweepQuery, K: 10, Filter: `sold = true AND price < 500`}},
		{"indexed codes-only search", SearchRequest{Vector: sweepQuery, K: 10, CodesOnly: true, NProbe: 16}},
		{"search by id", SearchRequest{ID: "1500", K: 5}},
	} {
		r, err := d.Search(ctx, sweepColl, &s.req)
		if errors.Is(err, ErrNotFound) { // the record searched by: an answer, as for Get
			add(s.call, "not found", nil)
			continue
		}
		var b strings.Builder
		for _, x := range r {
			fmt.Fprintf(&b, "%s:%v %v; ", x.ID, x.Distance, sortedMeta(x.Meta))
		}
		add(s.call, b.String(), err)
	}
	walk, err := walkRecords(d)
	add("records", walk, err)
	add("Check", "", d.Check())
	return out
}

// walkRecords iterates over every record and returns their count and a
// hash of them.
func walkRecords(d *DB) (string, error) {
	it, err := d.NewRecordIterator(sweepColl)
	if err != nil {
		return "", err
	}
	h := fnv.New64a()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		r := it.Record()
		fmt.Fprintf(h, "%s %v %v\n", r.ID, r.Vector, sortedMeta(r.Meta))
		n++
	}
	if err := it.Close(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d records, hash %016x", n, h.Sum64()), nil
}

// sortedMeta renders metadata with its keys in order.
func sortedMeta(m Meta) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%v,", k, m[k])
	}
	return b.String()
}

// sweepSession is one open of a damaged copy and the calls it ran.
type sweepSession struct {
	mode     string // "read-only", "writable", "reopened"
	openErr  error
	closeErr error
	// openLogged is what the open logged, logged what the session
	// logged after it.
	openLogged, logged []string
	calls              []sweepAnswer
}

// reported says whether the session told its user of a problem.
func (s *sweepSession) reported() bool {
	if s.openErr != nil || s.closeErr != nil || len(s.openLogged) > 0 || len(s.logged) > 0 {
		return true
	}
	for _, c := range s.calls {
		if c.err != nil {
			return true
		}
	}
	return false
}

// syncLogger is recordLogger safe for the engine's goroutines.
type syncLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *syncLogger) Infof(string, ...any) {}
func (l *syncLogger) Errorf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *syncLogger) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := l.lines
	l.lines = nil
	return lines
}

// runSweepSessions opens dir read-only, then writable, then (when the
// writable session reported nothing) writable again, running the workload
// in each.
func runSweepSessions(dir string) []*sweepSession {
	var out []*sweepSession
	for _, mode := range []string{"read-only", "writable", "reopened"} {
		if mode == "reopened" && out[1].reported() {
			break
		}
		s := &sweepSession{mode: mode}
		out = append(out, s)
		log := &syncLogger{}
		d, err := Open(dir, &Options{ReadOnly: mode == "read-only", NoSync: true, Logger: log})
		s.openLogged = log.take()
		if err != nil {
			s.openErr = err
			continue
		}
		s.calls = sweepWorkload(d)
		s.closeErr = d.Close()
		s.logged = log.take()
	}
	return out
}

// sweepCase is one flip.
type sweepCase struct {
	ref  *sweepRef
	kind string
	// what says what damage does, in a failure message; damage does it to
	// a copy of the reference.
	what   string
	damage func(dir string) error
	// value is set for the flips of stored values (see
	// TestCorruptionSweep/values), for which a wrong answer is tallied,
	// not a failure.
	value bool
}

func (c sweepCase) String() string { return c.ref.name + "/" + c.kind + ": " + c.what }

// fileFlip returns the case that flips byte off of file (relative to the
// database directory) with mask.
func fileFlip(ref *sweepRef, kind, file string, off int64, mask byte) sweepCase {
	return sweepCase{ref: ref, kind: kind, what: fmt.Sprintf("%s byte %d ^= %#02x", file, off, mask), damage: func(dir string) error {
		return flipByte(filepath.Join(dir, file), off, mask)
	}}
}

// sweepKind classifies a file of the database directory.
func sweepKind(rel string) string {
	base := filepath.Base(rel)
	switch {
	case strings.HasPrefix(rel, segDirName+string(filepath.Separator)) && strings.HasSuffix(base, ".vseg"):
		return "vseg"
	case strings.HasSuffix(base, ".sst"):
		return "sst"
	case strings.HasSuffix(base, ".log"):
		return "wal"
	case strings.HasPrefix(base, "MANIFEST-"):
		return "manifest"
	case strings.HasPrefix(base, "OPTIONS-"):
		return "options"
	case strings.HasPrefix(base, "marker."):
		return "marker"
	case base == ackedFile:
		return "acked"
	case base == "LOCK":
		return "lock"
	}
	return "other"
}

// sweepOutcome is how one flip went.
type sweepOutcome int

const (
	outCorrect  sweepOutcome = iota // every call answered right
	outReported                     // some call failed, with ErrCorruption (or a logged loss)
	outWrong                        // a value flip changed an answer and nothing said so (tallied)
	outFailed                       // a panic, a hang, a silent wrong answer or an unclear error
)

// judge compares a case's sessions with the reference. A call that
// answers wrong is excused only by its own error (then it has no answer)
// or by its session's open having reported the damage (a read-only open
// of a store that lost logged writes logs that and serves what is left);
// a wrong answer that only another call of the session (Check, say)
// noticed is a failure too: a caller who searches does not run Check
// first. For value flips (values set) wrong answers make the outcome
// outWrong and are returned, not failures: see TestCorruptionSweep.
func judge(ref *sweepRef, sessions []*sweepSession, values bool) (sweepOutcome, []string) {
	var bad, wrong []string
	outcome := outCorrect
	for _, s := range sessions {
		if s.reported() {
			outcome = max(outcome, outReported)
		}
		n := len(bad)
		for _, err := range []error{s.openErr, s.closeErr} {
			// A flipped format version a little above this build's
			// reads as a newer release's: nothing tells them apart.
			if err != nil && !errors.Is(err, ErrCorruption) && !(values && strings.Contains(err.Error(), "upgrade vecdb")) {
				bad = append(bad, fmt.Sprintf("%s open/close: error without ErrCorruption: %v", s.mode, err))
			}
		}
		for i, c := range s.calls {
			w := ref.want[i]
			switch {
			case c.err != nil && values && (errors.Is(c.err, ErrInvalid) || errors.Is(c.err, ErrNotFound)):
				// A changed schema (a field renamed, another
				// collection id) is a valid one: a filter naming the
				// old field is bad input to it.
				wrong = append(wrong, fmt.Sprintf("%s %s: %v", s.mode, c.call, c.err))
			case c.err != nil:
				if !errors.Is(c.err, ErrCorruption) {
					bad = append(bad, fmt.Sprintf("%s %s: error without ErrCorruption: %v", s.mode, c.call, c.err))
				}
			case c.answer == w.answer, len(s.openLogged) > 0:
			default:
				what := "silent wrong answer"
				if s.reported() {
					what = "wrong answer (only other calls reported the damage)"
				}
				msg := fmt.Sprintf("%s %s: %s:\n\tgot  %.300s\n\twant %.300s", s.mode, c.call, what, c.answer, w.answer)
				if values {
					wrong = append(wrong, msg)
				} else {
					bad = append(bad, msg)
				}
			}
		}
		if len(bad) > n {
			bad = append(bad, s.summary())
		}
	}
	switch {
	case len(bad) > 0:
		return outFailed, bad
	case len(wrong) > 0:
		return outWrong, wrong
	}
	return outcome, nil
}

// summary tells what the session reported.
func (s *sweepSession) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s session: open error %v, open log %q, close error %v, log %q", s.mode, s.openErr, s.openLogged, s.closeErr, s.logged)
	for _, c := range s.calls {
		if c.err != nil {
			fmt.Fprintf(&b, "\n\t%s: %v", c.call, c.err)
		}
	}
	return b.String()
}

// runSweepCase copies the reference, damages the copy and runs the
// sessions under the timeout. It returns the outcome, what went wrong (or,
// for outWrong, which answers changed) and, for a failure, where a
// damaged copy is kept.
func runSweepCase(t *testing.T, c sweepCase) (sweepOutcome, []string, string) {
	// A directory per case, removed when it ends: a writable open
	// preallocates its log, so thousands of copies would fill a disk.
	tmp, err := os.MkdirTemp(t.TempDir(), "case")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.RemoveAll(tmp); err != nil {
			t.Logf("removing %s: %v", tmp, err) // TempDir's cleanup tries again
		}
	}()
	dir := filepath.Join(tmp, "db")
	if err := os.CopyFS(dir, os.DirFS(c.ref.dir)); err != nil {
		t.Fatal(err)
	}
	if err := c.damage(dir); err != nil {
		t.Fatalf("%s: %v", c, err)
	}
	type result struct {
		sessions []*sweepSession
		panicked string
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{panicked: fmt.Sprintf("panic: %v\n%s", r, debug.Stack())}
			}
		}()
		done <- result{sessions: runSweepSessions(dir)}
	}()
	select {
	case r := <-done:
		if r.panicked != "" {
			return outFailed, []string{r.panicked}, keepCase(t, c)
		}
		outcome, msgs := judge(c.ref, r.sessions, c.value)
		if outcome == outFailed {
			return outcome, msgs, keepCase(t, c)
		}
		return outcome, msgs, ""
	case <-time.After(sweepTimeout):
		var b strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&b, 2) // for the report only
		return outFailed, []string{fmt.Sprintf("the workload did not finish in %v (a hang); goroutines:\n%.20000s", sweepTimeout, b.String())}, keepCase(t, c)
	}
}

// keepCase makes a damaged copy of a failing case outside the test's
// temporary directory, for replaying by hand (vecdb check DIR, say).
func keepCase(t *testing.T, c sweepCase) string {
	keep, err := os.MkdirTemp("", "vecdb-corrupt-")
	if err != nil {
		t.Logf("keeping a damaged copy: %v", err)
		return ""
	}
	dir := filepath.Join(keep, "db")
	if err := os.CopyFS(dir, os.DirFS(c.ref.dir)); err != nil {
		t.Logf("keeping a damaged copy: %v", err)
		return ""
	}
	if err := c.damage(dir); err != nil {
		t.Logf("keeping a damaged copy: %v", err)
		return ""
	}
	return dir
}

// sweepFiles lists the reference's files by kind, with their sizes.
func sweepFiles(t *testing.T, dir string) map[string]map[string]int64 {
	kinds := map[string]map[string]int64{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		k := sweepKind(rel)
		if kinds[k] == nil {
			kinds[k] = map[string]int64{}
		}
		kinds[k][rel] = fi.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return kinds
}

// pickOffset chooses the byte to flip: half the time anywhere, half in
// the first or last edge bytes, where headers, footers, lengths and
// indexes are.
func pickOffset(rng *rand.Rand, size, edge int64) int64 {
	if rng.IntN(2) == 0 || size <= 2*edge {
		return rng.Int64N(size)
	}
	if rng.IntN(2) == 0 {
		return rng.Int64N(edge)
	}
	return size - 1 - rng.Int64N(edge)
}

// pickSweepFile chooses a file (or value) of a kind with bytes: half the
// time by size (more bytes, more chances to be hit), half the time any
// one alike, so small ones are hit too.
func pickSweepFile(rng *rand.Rand, files map[string]int64) (string, int64) {
	names := make([]string, 0, len(files))
	for f, size := range files {
		if size > 0 {
			names = append(names, f)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "", 0
	}
	if rng.IntN(2) == 0 {
		f := names[rng.IntN(len(names))]
		return f, files[f]
	}
	var total int64
	for _, f := range names {
		total += files[f]
	}
	at := rng.Int64N(total)
	for _, f := range names {
		if at < files[f] {
			return f, files[f]
		}
		at -= files[f]
	}
	panic("unreachable")
}

// makeSweepRefs builds the database and returns its two reference states.
func makeSweepRefs(t *testing.T) []*sweepRef {
	live := filepath.Join(t.TempDir(), "live")
	d := buildSweepDB(t, live)
	if err := d.WaitBackground(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The engine's flushes and compactions too: a copy taken while one
	// swaps files would be no state a crash leaves.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		m := d.pdb.Metrics()
		if m.Compact.NumInProgress == 0 && m.Flush.NumInProgress == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the storage engine did not settle")
		}
	}
	if err := d.storeAcked(false); err != nil { // what the ticker does
		t.Fatal(err)
	}
	crashed := filepath.Join(t.TempDir(), "crashed")
	if err := os.CopyFS(crashed, os.DirFS(live)); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(crashed, "LOCK")) // the copy is not locked
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	refs := []*sweepRef{{name: "closed", dir: live}, {name: "crashed", dir: crashed}}
	for _, ref := range refs {
		// The reference answers: a copy, since a writable open may
		// rewrite files (a crashed store's log is replayed).
		dir := filepath.Join(t.TempDir(), "ref")
		if err := os.CopyFS(dir, os.DirFS(ref.dir)); err != nil {
			t.Fatal(err)
		}
		sessions := runSweepSessions(dir)
		for _, s := range sessions {
			if s.reported() {
				t.Fatalf("%s reference, %s: open %v, close %v, log %q, calls %v", ref.name, s.mode, s.openErr, s.closeErr, s.logged, s.calls)
			}
		}
		ref.want = sessions[0].calls
		for _, s := range sessions[1:] {
			for i, c := range s.calls {
				if c.answer != ref.want[i].answer {
					t.Fatalf("%s reference: %s %s answers %q, read-only %q", ref.name, s.mode, c.call, c.answer, ref.want[i].answer)
				}
			}
		}
	}
	if a, b := refs[0].want, refs[1].want; !slices.EqualFunc(a, b, func(x, y sweepAnswer) bool { return x.answer == y.answer }) {
		t.Fatalf("the crashed copy answers differently from the closed database")
	}
	return refs
}

// sweepValueKind classifies a stored key by what its value holds (see
// the key layout in keys.go).
func sweepValueKind(k []byte) string {
	switch k[0] {
	case famMeta:
		return "meta"
	case famCatalog:
		return "schema"
	case famNextDoc:
		return "next doc id"
	case famIDMap:
		return "id map"
	case famDoc:
		return "doc record"
	case famVec:
		return "vector"
	case famBitmap:
		return "field bitmap"
	case famLive:
		return "live bitmap"
	case famIndex:
		if len(k) > 9 {
			switch k[9] {
			case 0x00:
				return "ivf model"
			case 0x01:
				return "list block"
			case 0x02:
				return "list bits"
			case 0x03:
				return "calibration"
			}
		}
	case famIdxPtr:
		return "index pointer"
	}
	return fmt.Sprintf("family %#02x", k[0])
}

// sweepValues lists the reference's stored values by kind: key and length.
func sweepValues(t *testing.T, dir string) map[string]map[string]int64 {
	d, err := Open(dir, &Options{ReadOnly: true, Logger: &syncLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	it, err := d.pdb.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]map[string]int64{}
	for it.First(); it.Valid(); it.Next() {
		k := sweepValueKind(it.Key())
		if kinds[k] == nil {
			kinds[k] = map[string]int64{}
		}
		kinds[k][string(it.Key())] = int64(len(it.Value()))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return kinds
}

// valueFlip returns the case that flips byte off of the value of key with
// mask, writing the value back through the engine: the damage its block
// checksums cannot see (bytes damaged before they were written, or by a
// bug), which only the value's decoder can notice.
func valueFlip(ref *sweepRef, kind, key string, off int64, mask byte) sweepCase {
	return sweepCase{ref: ref, kind: kind, value: true, what: fmt.Sprintf("value of key %x byte %d ^= %#02x", key, off, mask), damage: func(dir string) error {
		d, err := Open(dir, &Options{NoSync: true, Logger: &syncLogger{}})
		if err != nil {
			return err
		}
		v, closer, err := d.pdb.Get([]byte(key))
		if err != nil {
			return errors.CombineErrors(err, d.Close())
		}
		v = slices.Clone(v)
		closer.Close()
		v[off] ^= mask
		return errors.CombineErrors(d.pdb.Set([]byte(key), v, nil), d.Close())
	}}
}

// sweepGroup is one line of a sweep's table: the cases of a state and kind.
type sweepGroup struct {
	key   string // state/kind
	about string // what there is of the kind
	// next draws a case; false when the kind has no bytes to flip.
	next func(rng *rand.Rand) (sweepCase, bool)
}

// sweepTally counts a group's outcomes.
type sweepTally struct {
	flips, correct, reported, wrong, failed int
}

// runSweep runs perKind cases of every group, failing the test for each
// failing case (stopping after 10), and logs the table.
func runSweep(t *testing.T, seed uint64, perKind int, groups []sweepGroup) {
	start := time.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "%-26s %6s %9s %8s %6s %7s  of\n", "state/kind", "flips", "reported", "correct", "wrong", "FAILED")
	failures := 0
	for _, g := range groups {
		var tl sweepTally
		// A generator per group, so a group's cases do not depend on
		// the others'.
		rng := rand.New(rand.NewPCG(seed, uint64(fnvString(g.key))))
		var examples []string
		for range perKind {
			c, ok := g.next(rng)
			if !ok {
				break // no bytes to flip: the table says so
			}
			if testing.Verbose() {
				fmt.Fprintf(os.Stderr, "corruption sweep: %s\n", c)
			}
			outcome, msgs, kept := runSweepCase(t, c)
			tl.flips++
			switch outcome {
			case outCorrect:
				tl.correct++
			case outReported:
				tl.reported++
			case outWrong:
				tl.wrong++
				if len(examples) < 2 {
					examples = append(examples, fmt.Sprintf("%s:\n%s", c, strings.Join(msgs, "\n")))
				}
			case outFailed:
				tl.failed++
				failures++
				t.Errorf("seed %d, %s (a damaged copy is kept in %s):\n%s", seed, c, kept, strings.Join(msgs, "\n"))
			}
			if failures >= 10 {
				t.Fatalf("seed %d: stopping after %d failing flips", seed, failures)
			}
		}
		note := ""
		if tl.flips == 0 {
			note = " (no bytes to flip)"
		}
		fmt.Fprintf(&b, "%-26s %6d %9d %8d %6d %7d  %s%s\n", g.key, tl.flips, tl.reported, tl.correct, tl.wrong, tl.failed, g.about, note)
		for _, e := range examples {
			t.Logf("seed %d, a wrong answer nothing reported, %s", seed, e)
		}
	}
	t.Logf("seed %d, %v:\n%s", seed, time.Since(start).Round(time.Millisecond), b.String())
}

// TestCorruptionSweep: see the comment at the top of this file. Its
// subtests: files flips bytes of every kind of file of the two reference
// states; values flips bytes of stored values of every kind (schema,
// records, vectors, bitmaps, the index's model, blocks, calibration and
// pointer) of the closed one, under the engine's checksums. Those flips
// must not panic, hang or fail with an error that does not name the
// damage, but may change answers silently: most of those bytes (a
// vector's or a centroid's values, a metadata value, the schema's field
// names and collection id) have no redundancy to check them against, so
// the table counts such flips ("wrong"), with the ErrInvalid and
// ErrNotFound errors a changed schema gives the workload's requests and
// the "upgrade vecdb" of a format version flipped a little higher, and
// logs examples instead of failing.
func TestCorruptionSweep(t *testing.T) {
	filesPerKind, valuesPerKind := 10, 5
	switch {
	case testing.Short():
		filesPerKind, valuesPerKind = 3, 1
	case vectest.Long():
		filesPerKind, valuesPerKind = 150, 60
	}
	seed := uint64(1)
	if s := os.Getenv("VECDB_SWEEP_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("VECDB_SWEEP_SEED=%q: %v", s, err)
		}
	} else if vectest.Long() {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (VECDB_SWEEP_SEED=%d replays it); %d flips per kind of file and state, %d per kind of value", seed, seed, filesPerKind, valuesPerKind)
	start := time.Now()
	refs := makeSweepRefs(t)
	t.Logf("reference databases built in %v", time.Since(start).Round(time.Millisecond))

	t.Run("files", func(t *testing.T) {
		var groups []sweepGroup
		for _, ref := range refs {
			files := sweepFiles(t, ref.dir)
			for _, kind := range slices.Sorted(maps.Keys(files)) {
				groups = append(groups, sweepGroup{key: ref.name + "/" + kind, about: describeSizes(files[kind], "%s (%d B)"), next: func(rng *rand.Rand) (sweepCase, bool) {
					file, size := pickSweepFile(rng, files[kind])
					if file == "" {
						return sweepCase{}, false
					}
					return fileFlip(ref, kind, file, pickOffset(rng, size, 512), byte(1+rng.IntN(255))), true
				}})
			}
		}
		runSweep(t, seed, filesPerKind, groups)
	})
	t.Run("values", func(t *testing.T) {
		ref := refs[0]
		values := sweepValues(t, ref.dir)
		var groups []sweepGroup
		for _, kind := range slices.Sorted(maps.Keys(values)) {
			var total int64
			for _, n := range values[kind] {
				total += n
			}
			groups = append(groups, sweepGroup{key: ref.name + "/" + kind, about: fmt.Sprintf("%d values, %d B", len(values[kind]), total), next: func(rng *rand.Rand) (sweepCase, bool) {
				key, size := pickSweepFile(rng, values[kind])
				if key == "" {
					return sweepCase{}, false
				}
				return valueFlip(ref, kind, key, pickOffset(rng, size, 16), byte(1+rng.IntN(255))), true
			}})
		}
		runSweep(t, seed, valuesPerKind, groups)
	})
}

// describeSizes lists names and sizes in order, each as format says.
func describeSizes(sizes map[string]int64, format string) string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(sizes)) {
		out = append(out, fmt.Sprintf(format, name, sizes[name]))
	}
	return strings.Join(out, ", ")
}

func fnvString(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
