package db

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
)

// The crash and locking tests run a child copy of the test binary that
// writes to a database; these variables tell the child what to do.
const (
	envChildDir  = "VECDB_TEST_CHILD_DIR"
	envChildMode = "VECDB_TEST_CHILD_MODE"
	crashBatch   = 500
	crashDim     = 16
)

func crashVec(batch, i int) []float32 {
	v := make([]float32, crashDim)
	for j := range v {
		v[j] = float32(batch*1000+i) + float32(j)/16
	}
	return v
}

// TestChildProcess is not a test of its own: it is the child side of
// TestCrashDuringImport, TestCrashDuringChurn, TestCrashDuringBuild,
// TestWriterLockAcrossProcesses and TestModel's crashes.
func TestChildProcess(t *testing.T) {
	dir := os.Getenv(envChildDir)
	if dir == "" {
		t.Skip("runs only as the child of the crash, locking and model tests")
	}
	d, err := Open(dir, nil) // synced writes: acknowledged means durable
	if err != nil {
		fmt.Println("open error:", err)
		os.Exit(2)
	}
	if seed, ok := strings.CutPrefix(os.Getenv(envChildMode), "model:"); ok {
		modelChild(d, seed)
		os.Exit(0)
	}
	switch os.Getenv(envChildMode) {
	case "build:encoding", "build:writing", "build:swapping":
		stop := strings.TrimPrefix(os.Getenv(envChildMode), "build:")
		_, err := d.BuildIndex(context.Background(), "c", &BuildOptions{Seed: 9, Progress: func(stage string, done, total int) {
			if stage == stop && (done > 0 || stop == "swapping") {
				fmt.Println(stage)
				time.Sleep(time.Minute) // killed here
			}
		}})
		fmt.Println("build finished:", err)
	case "churn":
		// The import loop below on an indexed collection, with background
		// compactions frequent and slowed, so kills land in them.
		compactMin = 300
		compactProgress = func(_, stage string, done, total int) {
			if stage == "encoding" || stage == "swapping" {
				fmt.Println("compacting " + stage)
				time.Sleep(20 * time.Millisecond)
			}
		}
		churn(d)
	case "hold":
		fmt.Println("ready")
		time.Sleep(time.Minute)
	case "import":
		importLoop(d, nil)
	}
	os.Exit(0)
}

// churn runs importLoop, building the collection's index after its third
// batch when it has none.
func churn(d *DB) {
	importLoop(d, func(batch int) {
		if st, err := d.Stats("c"); err != nil || st.Index != nil || batch != 2 {
			return
		}
		if _, err := d.BuildIndex(context.Background(), "c", &BuildOptions{Seed: 1, Lists: 16}); err != nil {
			fmt.Println("build error:", err)
			os.Exit(2)
		}
	})
}

// importLoop writes batches of crashBatch records forever, each batch also
// rewriting the previous one's records, printing "acked N" after batch N
// commits, then calling after (when set).
func importLoop(d *DB, after func(batch int)) {
	{
		if err := d.CreateCollection(Schema{Name: "c", Dim: crashDim, Metric: L2, Fields: []Field{{Name: "batch", Type: Int}}}); err != nil && !errors.Is(err, ErrExists) {
			fmt.Println("create error:", err)
			os.Exit(2)
		}
		for batch := 0; ; batch++ {
			b := d.NewBatch()
			for i := range crashBatch {
				// Every batch also rewrites the records of the previous one,
				// so a torn batch would show up as mixed versions.
				if err := b.Put("c", fmt.Sprintf("b%d-%d", batch, i), crashVec(batch, i), Meta{"batch": batch}); err != nil {
					fmt.Println("put error:", err)
					os.Exit(2)
				}
				if batch > 0 {
					_ = b.Put("c", fmt.Sprintf("b%d-%d", batch-1, i), crashVec(batch-1, i), Meta{"batch": -batch})
				}
			}
			if err := d.Apply(b, nil); err != nil {
				fmt.Println("apply error:", err)
				os.Exit(2)
			}
			fmt.Printf("acked %d\n", batch)
			if after != nil {
				after(batch)
			}
		}
	}
}

func startChild(t *testing.T, dir, mode string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChildDir+"="+dir, envChildMode+"="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // already dead in the normal case
		_ = cmd.Wait()         // its exit status is not the point
	})
	return cmd, bufio.NewScanner(out)
}

// TestCrashDuringImport SIGKILLs a child in the middle of an import loop,
// several times, and checks after each reopen that every acknowledged batch
// is complete and no batch is partially applied.
func TestCrashDuringImport(t *testing.T) {
	dir := t.TempDir()
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	for round := range rounds {
		cmd, sc := startChild(t, dir, "import")
		acked := -1
		killAfter := 2 + round*3
		for sc.Scan() {
			line := sc.Text()
			n, ok := strings.CutPrefix(line, "acked ")
			if !ok {
				t.Fatalf("child: %s", line)
			}
			acked, _ = strconv.Atoi(n)
			if acked >= killAfter {
				// Kill mid-batch: give the child a moment to start the next one.
				time.Sleep(time.Duration(round) * 3 * time.Millisecond)
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		_ = cmd.Wait() // killed: the error is expected
		if err := verifyCrashState(t, dir, acked).Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCrashDuringChurn SIGKILLs a child that rewrites the records of an
// indexed collection batch after batch while background compactions
// reclaim the index's garbage: killed in a compaction's encoding, at its
// swap, and between batches. After each reopen every acknowledged batch
// is whole (verifyCrashState), Check passes (every live record coded
// once, the vector file matching the stored records), and every live
// record is found by a search for its own vector that probes one list and
// re-ranks all of it (its code is in the list of its nearest centroid).
func TestCrashDuringChurn(t *testing.T) {
	dir := t.TempDir()
	kills := []string{"compacting encoding", "compacting swapping", "acked 14"}
	if testing.Short() {
		kills = kills[:1]
	}
	for round, kill := range kills {
		cmd, sc := startChild(t, dir, "churn")
		acked, minAcked := -1, 4+4*round // each round goes further than the last
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "acked "); ok {
				acked, _ = strconv.Atoi(n)
			} else if !strings.HasPrefix(line, "compacting ") {
				t.Fatalf("child: %s", line)
			}
			if line != kill || acked < minAcked {
				continue
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			break
		}
		_ = cmd.Wait() // killed: the error is expected
		if acked < minAcked {
			t.Fatalf("round %d: the child stopped at batch %d before %q", round, acked, kill)
		}
		d := verifyCrashState(t, dir, acked)
		st, err := d.Stats("c")
		if err != nil || st.Index == nil {
			t.Fatalf("stats: %+v, %v", st, err)
		}
		t.Logf("round %d: killed at %q after batch %d; generation %d, %d codes for %d records", round, kill, acked, st.Index.Generation, st.Index.Codes, st.Count)
		if round == 2 && st.Index.Generation < 3 {
			t.Errorf("round %d: generation %d: compactions did not run", round, st.Index.Generation)
		}
		files, err := os.ReadDir(filepath.Join(dir, segDirName))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 || files[0].Name() != filepath.Base(segmentPath(dir, 0, st.Index.Generation)) {
			t.Errorf("round %d: vector files %v, want the serving generation's alone", round, files)
		}
		refine := st.Index.ListMax + 1
		it, err := d.NewRecordIterator("c")
		if err != nil {
			t.Fatal(err)
		}
		for it.First(); it.Valid(); it.Next() {
			rec := it.Record()
			res, err := d.Search(context.Background(), "c", &SearchRequest{Vector: rec.Vector, K: 1, NProbe: 1, Refine: refine})
			if err != nil || len(res) != 1 || res[0].Distance != 0 {
				_ = it.Close() // failing anyway
				t.Fatalf("round %d: search for record %s's own vector: %v, %v", round, rec.ID, res, err)
			}
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// verifyCrashState reopens dir and checks the import loop's records; the
// caller closes the returned DB.
func verifyCrashState(t *testing.T, dir string, acked int) *DB {
	t.Helper()
	d, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() }) // closed by the caller normally
	if err := d.Check(); err != nil {
		t.Fatalf("after crash: %v", err)
	}
	// The last batch to have landed (acked, or possibly the next one whose
	// commit was durable before the kill) determines every record's state.
	last := acked
	if _, err := d.Get("c", fmt.Sprintf("b%d-0", acked+1)); err == nil {
		last = acked + 1
	}
	for batch := 0; batch <= last; batch++ {
		wantMeta := int64(-(batch + 1)) // rewritten by the following batch
		if batch == last {
			wantMeta = int64(batch)
		}
		for i := range crashBatch {
			rec, err := d.Get("c", fmt.Sprintf("b%d-%d", batch, i))
			if err != nil {
				t.Fatalf("acked %d, last %d: record b%d-%d: %v", acked, last, batch, i, err)
			}
			if rec.Meta["batch"] != wantMeta || rec.Vector[0] != crashVec(batch, i)[0] {
				t.Fatalf("record b%d-%d: meta %v, want batch %d (torn batch)", batch, i, rec.Meta, wantMeta)
			}
		}
	}
	if _, err := d.Get("c", fmt.Sprintf("b%d-0", last+1)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("batch %d beyond the last landed one is present: %v", last+1, err)
	}
	n, err := d.Count("c")
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64((last + 1) * crashBatch); n != want {
		t.Fatalf("count %d, want %d", n, want)
	}
	return d
}

// TestWriterLockAcrossProcesses checks that a second process cannot open a
// database another process is writing, for writing or for reading.
func TestWriterLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	cmd, sc := startChild(t, dir, "hold")
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("child did not start: %q", sc.Text())
	}
	for _, ro := range []bool{false, true} {
		_, err := Open(dir, &Options{ReadOnly: ro})
		if !errors.Is(err, ErrLocked) {
			t.Errorf("Open(ReadOnly=%v) while another process writes = %v, want ErrLocked", ro, err)
		}
	}
	_ = cmd.Process.Kill() // done with it
	_ = cmd.Wait()         // killed: the error is expected
	d, err = Open(dir, &Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open after the writer exited: %v", err)
	}
	_ = d.Close()
}

// TestCrashDuringBuild SIGKILLs a child in the middle of writing a new
// index generation: after reopening, the previous generation serves, the
// partial one is gone, and searches work.
func TestCrashDuringBuild(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CreateCollection(Schema{Name: "c", Dim: crashDim, Metric: L2}); err != nil {
		t.Fatal(err)
	}
	b := d.NewBatch()
	for i := range 20000 {
		if err := b.Put("c", strconv.Itoa(i), crashVec(i%97, i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.BuildIndex(context.Background(), "c", &BuildOptions{Seed: 1, Lists: 64}); err != nil {
		t.Fatal(err)
	}
	want, err := d.Search(context.Background(), "c", &SearchRequest{Vector: crashVec(5, 5), K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// Killed while encoding (the vector file half written), while writing
	// its lists, and with the whole file renamed into place but not yet
	// swapped in: each time the previous generation serves, and the next
	// writable open removes what the crashed build left.
	for _, stage := range []string{"encoding", "writing", "swapping"} {
		cmd, sc := startChild(t, dir, "build:"+stage)
		if !sc.Scan() || sc.Text() != stage {
			t.Fatalf("child: %q", sc.Text())
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait() // killed: the error is expected
		if stage == "swapping" {
			if _, err := os.Stat(segmentPath(dir, 0, 2)); err != nil {
				t.Fatalf("killed before the swap: the whole vector file should exist: %v", err)
			}
		}
		d = openTestDBAt(t, dir, nil)
		st, err := d.Stats("c")
		if err != nil {
			t.Fatal(err)
		}
		if st.Index == nil || st.Index.Generation != 1 {
			t.Fatalf("after a build crashed while %s: index %+v, want generation 1 serving", stage, st.Index)
		}
		p := indexGenPrefix(d.mu.colls["c"].id, 2)
		it, err := d.pdb.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			t.Fatal(err)
		}
		if it.First() {
			t.Errorf("keys of the crashed generation remain: %x", it.Key())
		}
		_ = it.Close()
		files, err := os.ReadDir(filepath.Join(dir, segDirName))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 || files[0].Name() != filepath.Base(segmentPath(dir, 0, 1)) {
			t.Errorf("after a build crashed while %s, vector files: %v, want generation 1's alone", stage, files)
		}
		got, err := d.Search(context.Background(), "c", &SearchRequest{Vector: crashVec(5, 5), K: 5})
		if err != nil || !slices.Equal(ids(got), ids(want)) {
			t.Fatalf("search after the crash: %v (%v), want %v", ids(got), err, ids(want))
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
