package db

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
)

// Write faults in the storage engine's log and manifest cannot be survived
// in-process: the engine treats a failed log write as fatal (see
// Options.OnFatal). So these tests run a child copy of the test binary
// that imports (or builds) with a fault injected from the n-th write or
// sync of the store's files on, as a failing disk would, and the parent
// checks how the child ended (an error returned, or OnFatal's one line;
// never a panic's stack or a hang) and that the database, reopened
// without the fault, holds every batch the child acknowledged, and no
// batch in part.

const (
	envFaultDir   = "VECDB_TEST_FAULT_DIR"
	envFaultMode  = "VECDB_TEST_FAULT_MODE"  // import | build
	envFaultKind  = "VECDB_TEST_FAULT_KIND"  // write | sync
	envFaultAt    = "VECDB_TEST_FAULT_AT"    // first failing op (-1: count only)
	envFaultErrno = "VECDB_TEST_FAULT_ERRNO" // EIO | ENOSPC
	// faultBatches is the number of batches a faulted import writes.
	faultBatches = 6
)

// faultOp says whether op is one the fault counts: writes (or syncs) of
// the store's files.
func faultOp(op errorfs.Op, kind string) bool {
	switch kind {
	case "sync":
		return op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileSyncData || op.Kind == errorfs.OpFileSyncTo
	default:
		return op.Kind == errorfs.OpFileWrite || op.Kind == errorfs.OpFileWriteAt
	}
}

// TestFaultChild is not a test of its own: it is the child side of
// TestWriteFaults.
func TestFaultChild(t *testing.T) {
	dir := os.Getenv(envFaultDir)
	if dir == "" {
		t.Skip("runs only as the child of TestWriteFaults")
	}
	kind, mode := os.Getenv(envFaultKind), os.Getenv(envFaultMode)
	at, _ := strconv.ParseInt(os.Getenv(envFaultAt), 10, 64)
	errno := syscall.EIO
	if os.Getenv(envFaultErrno) == "ENOSPC" {
		errno = syscall.ENOSPC
	}
	var seen atomic.Int64
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !faultOp(op, kind) {
			return nil
		}
		if n := seen.Add(1) - 1; at >= 0 && n >= at {
			return errors.Wrap(errno, "injected")
		}
		return nil
	})
	d, err := Open(dir, &Options{
		OnFatal: func(err error) {
			fmt.Println("fatal:", err)
			os.Exit(3)
		},
		fsHook: func(fs vfs.FS) vfs.FS { return errorfs.Wrap(fs, inj) },
	})
	if err != nil {
		fmt.Println("open error:", err)
		os.Exit(2)
	}
	switch mode {
	case "retrain":
		// What a trainer does: a staging collection, filled in batches,
		// swapped in for the old one.
		staging := InternalName("staging", "c")
		if err := d.CreateCollection(Schema{Name: staging, Dim: 8, Metric: L2, Fields: []Field{{Name: "g", Type: Int}}}); err != nil {
			fmt.Println("create error:", err)
			os.Exit(2)
		}
		b := d.NewBatch()
		for i := range 2000 {
			_ = b.Put(staging, strconv.Itoa(i), retrainVec(i), Meta{"g": -1})
			if b.Len() == 500 {
				if err := d.Apply(b, nil); err != nil {
					fmt.Println("apply error:", err)
					os.Exit(2)
				}
				b.Reset()
			}
		}
		if err := d.ReplaceCollection("c", staging); err != nil {
			fmt.Println("apply error:", err)
			os.Exit(2)
		}
		fmt.Println("acked 0")
	case "build":
		_, err := d.BuildIndex(context.Background(), "c", &BuildOptions{Seed: 3, Lists: 16})
		if err != nil {
			fmt.Println("build error:", err)
			os.Exit(2)
		}
		fmt.Println("built")
	default:
		importLoop(d, func(batch int) {
			if batch == faultBatches-1 {
				fmt.Println("close:", d.Close())
				fmt.Println("ops", seen.Load())
				os.Exit(0)
			}
		})
	}
	fmt.Println("close:", d.Close())
	fmt.Println("ops", seen.Load())
	os.Exit(0)
}

// retrainVec is record i's vector in a retrain's new collection.
func retrainVec(i int) []float32 {
	v := make([]float32, 8)
	for j := range v {
		v[j] = 1000 + float32(i)
	}
	return v
}

// faultChild runs the child and returns its output lines, exit code and
// standard error; it fails the test when the child hangs.
func faultChild(t *testing.T, dir, mode, kind, errno string, at int64) ([]string, int, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestFaultChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envFaultDir+"="+dir, envFaultMode+"="+mode, envFaultKind+"="+kind,
		envFaultErrno+"="+errno, envFaultAt+"="+strconv.FormatInt(at, 10))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit code is read below
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		// A goroutine dump says where it hung.
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		dump := stderr.String()
		t.Fatalf("%s with a %s fault from op %d: the child hung (stopped after 60 s); its output %q, its goroutines:\n%s", mode, kind, at, stdout.String(), dump[:min(len(dump), 20000)])
	}
	out := stdout.String()
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, cmd.ProcessState.ExitCode(), stderr.String()
}

// TestWriteFaults injects EIO and ENOSPC from the n-th write and from the
// n-th sync of the store's files on, at a sample of points of an import,
// a build and a retrain's staging and swap (every point with
// VECDB_LONG=1), and checks each run
// ends with an error or OnFatal's line within a minute, with no panic,
// and that the database reopened without the fault has every
// acknowledged batch, whole. Two points per mode and kind under -short,
// five by default.
func TestWriteFaults(t *testing.T) {
	samples := 5 // points per mode and kind: each a child process
	switch {
	case vectest.Long():
		samples = 0 // every point (about a minute and a half)
	case testing.Short():
		samples = 2
	}
	for _, mode := range []string{"import", "build", "retrain"} {
		for _, kind := range []string{"write", "sync"} {
			t.Run(mode+"/"+kind, func(t *testing.T) { checkWriteFaults(t, mode, kind, samples) })
		}
	}
}

func checkWriteFaults(t *testing.T, mode, kind string, samples int) {
	base := t.TempDir()
	prepare := func(dir string) {
		if mode == "import" {
			return
		}
		d := openTestDBAt(t, dir, &Options{})
		fillCollection(t, d, "c", L2, 2000, 8, 1)
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// A run without the fault counts the points.
	clean := filepath.Join(base, "clean")
	prepare(clean)
	lines, code, stderr := faultChild(t, clean, mode, kind, "EIO", -1)
	total := int64(-1)
	for _, l := range lines {
		if n, ok := strings.CutPrefix(l, "ops "); ok {
			total, _ = strconv.ParseInt(n, 10, 64)
		}
	}
	if code != 0 || total <= 0 {
		t.Fatalf("clean run: exit %d, %d ops, output %q, stderr %s", code, total, lines, stderr)
	}
	step := int64(1)
	if samples > 0 && total > int64(samples) {
		step = total / int64(samples)
	}
	ends := map[string]int{}
	points := 0
	for at := int64(0); at < total; at += step {
		points++
		errno := "EIO"
		if points%2 == 0 {
			errno = "ENOSPC"
		}
		dir := filepath.Join(base, fmt.Sprintf("at%d", at))
		prepare(dir)
		lines, code, stderr := faultChild(t, dir, mode, kind, errno, at)
		acked := -1
		end := "finished"
		switch {
		case strings.Contains(stderr, "atomicfs.(*Marker).Move") && kind == "sync":
			// The engine panics, by design, when the directory's sync
			// fails as it moves its MANIFEST marker ("fsync errors are
			// unrecoverable"), in its own goroutine, where vecdb cannot
			// turn it into a line. The data must still be whole.
			end = "engine panic: directory sync"
		case strings.Contains(stderr, "pebble/v2.(*DB).rotateWAL"):
			// The engine panics when closing a log fails as it starts the
			// next; Close probes the disk first and skips its flush when
			// the disk refuses writes, but a fault that begins between the
			// probe and the log's close still lands here.
			end = "engine panic: log close"
		case strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic:"):
			t.Fatalf("%s fault (%s) from op %d of %d: the child panicked:\n%s", kind, errno, at, total, stderr)
		}
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "acked "):
				acked, _ = strconv.Atoi(strings.TrimPrefix(l, "acked "))
			case strings.HasPrefix(l, "fatal:"):
				end = "OnFatal"
			case strings.HasPrefix(l, "apply error:"), strings.HasPrefix(l, "build error:"), strings.HasPrefix(l, "open error:"), strings.HasPrefix(l, "create error:"):
				end = "error"
			case strings.HasPrefix(l, "close:") && l != "close: <nil>" && end == "finished":
				end = "error at Close"
			}
		}
		if code != 0 && end == "finished" {
			t.Fatalf("%s fault (%s) from op %d: exit %d with no error said: %q %s", kind, errno, at, code, lines, stderr)
		}
		ends[end]++
		// Without the fault, the database opens with every acknowledged
		// batch whole (mode import), or passes its check (mode build).
		switch mode {
		case "import":
			d := verifyFaultImport(t, dir, acked)
			_ = d.Close()
		case "retrain":
			verifyFaultRetrain(t, dir, acked >= 0, at)
		default:
			d := openTestDBAt(t, dir, nil) // its cleanup runs Check
			if n, err := d.Count("c"); err != nil || n != 2000 {
				t.Fatalf("build fault from op %d: count %d, %v; want 2000", at, n, err)
			}
		}
	}
	t.Logf("%s, %s faults: %d injection points of %d ops; ended: %v", mode, kind, points, total, ends)
}

// verifyFaultImport checks the import loop's records as verifyCrashState
// does, tolerating a collection never created (a fault before it).
func verifyFaultImport(t *testing.T, dir string, acked int) *DB {
	t.Helper()
	if acked < 0 {
		d := openTestDBAt(t, dir, nil)
		if n, err := d.Count("c"); err == nil && n > crashBatch {
			t.Fatalf("no batch acknowledged, yet %d records", n)
		}
		return d
	}
	return verifyCrashState(t, dir, acked)
}

// verifyFaultRetrain checks that the retrained collection is wholly old
// or wholly new (new when the swap was acknowledged), that no staging
// collection is listed, and that the database checks clean.
func verifyFaultRetrain(t *testing.T, dir string, swapped bool, at int64) {
	t.Helper()
	d := openTestDBAt(t, dir, nil) // its cleanup runs Check
	n, err := d.Count("c")
	if err != nil || n != 2000 {
		t.Fatalf("retrain fault from op %d: count %d, %v; want 2000", at, n, err)
	}
	newCount := 0
	for i := range 2000 {
		rec, err := d.Get("c", strconv.Itoa(i))
		if err != nil {
			t.Fatalf("retrain fault from op %d: record %d: %v", at, i, err)
		}
		if rec.Vector[0] == retrainVec(i)[0] {
			newCount++
		}
	}
	if (newCount != 0 && newCount != 2000) || (swapped && newCount != 2000) {
		t.Fatalf("retrain fault from op %d: %d of 2000 records retrained (swap acknowledged: %v); want none or all", at, newCount, swapped)
	}
	names, err := d.Collections()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range names {
		if strings.HasPrefix(sc.Name, "~") {
			t.Fatalf("retrain fault from op %d: internal collection %q listed", at, sc.Name)
		}
	}
}
