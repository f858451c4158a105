package db

import (
	"context"
	"fmt"
	"reflect"
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

// faultWorkload is what a read-fault run exercises: stats, an indexed and
// a filtered exact search, record reads and a consistency check. It
// returns each call's result (nil where the call failed) and error.
func faultWorkload(d *DB, q []float32) ([]any, []error) {
	var res []any
	var errs []error
	add := func(v any, err error) {
		if err != nil {
			v = nil
		}
		res, errs = append(res, v), append(errs, err)
	}
	st, err := d.Stats("v")
	add(st.Count, err)
	r, err := d.Search(context.Background(), "v", &SearchRequest{Vector: q, K: 10})
	add(ids(r), err)
	r, err = d.Search(context.Background(), "v", &SearchRequest{Vector: q, K: 10, Filter: "g = 3", Exact: true})
	add(ids(r), err)
	for _, id := range []string{"5", "777", "2999"} {
		rec, err := d.Get("v", id)
		if rec != nil {
			add(rec.Vector, err)
		} else {
			add(nil, err)
		}
	}
	add(nil, d.CheckCollection("v"))
	return res, errs
}

// sstReads returns an injector that counts the reads of tables and, from
// the failAt-th on (0-based; negative: never), fails them with EIO.
func sstReads(seen *atomic.Int64, failAt int64) errorfs.Injector {
	return errorfs.InjectorFunc(func(op errorfs.Op) error {
		if (op.Kind != errorfs.OpFileRead && op.Kind != errorfs.OpFileReadAt) || !strings.HasSuffix(op.Path, ".sst") {
			return nil
		}
		if n := seen.Add(1) - 1; failAt >= 0 && n >= failAt && n < failAt+3 {
			return errors.Wrap(syscall.EIO, "injected")
		}
		return nil
	})
}

// TestReadFaults injects an I/O error (EIO, three reads in a row) at every
// table read of a workload (a sample of them under -short) and checks that
// each call either fails with an error or answers exactly as without the
// fault, that nothing panics or hangs, and that the database, opened
// again without faults, is whole.
func TestReadFaults(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, &Options{})
	fillCollection(t, d, "v", L2, 3000, 8, 1)
	if _, err := d.BuildIndex(context.Background(), "v", &BuildOptions{Seed: 1, Lists: 16}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	q := vectest.Clustered(5, 1, 8, 3, 0.4)[0]
	open := func(inj errorfs.Injector) (*DB, error) {
		return Open(dir, &Options{Logger: recordLogger{new([]string)}, fsHook: func(fs vfs.FS) vfs.FS { return errorfs.Wrap(fs, inj) }})
	}
	var reads atomic.Int64
	clean, err := open(sstReads(&reads, -1))
	if err != nil {
		t.Fatal(err)
	}
	want, errs := faultWorkload(clean, q)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d without faults: %v", i, err)
		}
	}
	if err := clean.Close(); err != nil {
		t.Fatal(err)
	}
	total := reads.Load()
	if total == 0 {
		t.Fatal("the workload read no table")
	}
	step := int64(1)
	if !vectest.Long() && total > 24 {
		step = total / 24 // a sample under the default run; VECDB_LONG=1 covers every read
	}
	points, failed := 0, 0
	for at := int64(0); at < total; at += step {
		points++
		done := make(chan string, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					done <- fmt.Sprintf("panic: %v", r)
				}
			}()
			var seen atomic.Int64
			d, err := open(sstReads(&seen, at))
			if err != nil {
				failed++
				done <- ""
				return
			}
			got, errs := faultWorkload(d, q)
			var bad []string
			for i := range got {
				if errs[i] != nil {
					failed++
					continue
				}
				if !reflect.DeepEqual(got[i], want[i]) {
					bad = append(bad, fmt.Sprintf("call %d answered %v, want %v", i, got[i], want[i]))
				}
			}
			_ = d.Close() // a fault may surface here too; the reopen below judges
			done <- strings.Join(bad, "; ")
		}()
		select {
		case msg := <-done:
			if msg != "" {
				t.Fatalf("fault at table read %d: %s", at, msg)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("fault at table read %d: the workload hung", at)
		}
	}
	final, err := open(sstReads(new(atomic.Int64), -1))
	if err != nil {
		t.Fatal(err)
	}
	defer final.Close()
	if got, errs := faultWorkload(final, q); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the faults: %v (%v), want %v", got, errs, want)
	}
	t.Logf("%d injection points of %d table reads; %d calls failed with an error, the others answered right", points, total, failed)
}

// TestWriteFaultsCloseReturns: when the engine cannot write tables (ENOSPC
// on every table write, as on a full disk), Close gives up on its flush
// and returns an error instead of waiting forever while the engine
// retries, the log hears a few lines, not tens of thousands, and the next
// open, without the fault, has every acknowledged record.
func TestWriteFaultsCloseReturns(t *testing.T) {
	dir := t.TempDir()
	var full atomic.Bool
	var hits atomic.Int64
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if full.Load() && op.Kind.ReadOrWrite() == errorfs.OpIsWrite && strings.HasSuffix(op.Path, ".sst") {
			hits.Add(1)
			return errors.Wrap(syscall.ENOSPC, "injected")
		}
		return nil
	})
	var logged []string
	d, err := Open(dir, &Options{Logger: recordLogger{&logged}, fsHook: func(fs vfs.FS) vfs.FS { return errorfs.Wrap(fs, inj) }})
	if err != nil {
		t.Fatal(err)
	}
	fillCollection(t, d, "v", L2, 3000, 8, 1)
	full.Store(true)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- d.Close() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no space left") {
			t.Fatalf("Close with failing table writes: %v, want the flush's error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Close hung (%d failed table writes, %d log lines)", hits.Load(), len(logged))
	}
	if hits.Load() == 0 || len(logged) > 20 {
		t.Fatalf("%d failed table writes, %d log lines; want some, and few lines", hits.Load(), len(logged))
	}
	t.Logf("Close returned in %v after %d failed table writes, with %d log lines", time.Since(start).Round(time.Millisecond), hits.Load(), len(logged))
	again := openTestDBAt(t, dir, nil)
	if st, err := again.Stats("v"); err != nil || st.Count != 3000 {
		t.Fatalf("after the fault: %d records, %v; want 3000", st.Count, err)
	}
}

// TestDropReturnsOnFailingDisk: dropping (or replacing) a collection asks
// the engine to compact its keys away, which first flushes the write
// buffers; on a disk that fails every table write the flush is retried
// without end, and the drop hung with it (a retrain's swap, in
// TestWriteFaults). The compaction is best effort: the drop returns, the
// log says why the space was not reclaimed, and the drop holds after a
// reopen.
func TestDropReturnsOnFailingDisk(t *testing.T) {
	dir := t.TempDir()
	var full atomic.Bool
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if full.Load() && op.Kind.ReadOrWrite() == errorfs.OpIsWrite && strings.HasSuffix(op.Path, ".sst") {
			return errors.Wrap(syscall.ENOSPC, "injected")
		}
		return nil
	})
	var logged []string
	log := recordLogger{&logged}
	d, err := Open(dir, &Options{Logger: log, fsHook: func(fs vfs.FS) vfs.FS { return errorfs.Wrap(fs, inj) }})
	if err != nil {
		t.Fatal(err)
	}
	fillCollection(t, d, "a", L2, 2000, 8, 1)
	fillCollection(t, d, "b", L2, 100, 8, 2)
	full.Store(true)
	done := make(chan error, 1)
	go func() { done <- d.DropCollection("a") }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("drop: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the drop hung on a disk that refuses table writes")
	}
	if text := log.text(); !strings.Contains(text, "compacting a dropped collection") {
		t.Errorf("the log does not say the space was not reclaimed: %q", text)
	}
	_ = d.Close() // fails: its flush cannot write
	again := openTestDBAt(t, dir, nil)
	if _, err := again.Stats("a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the dropped collection after a reopen: %v", err)
	}
	if st, err := again.Stats("b"); err != nil || st.Count != 100 {
		t.Fatalf("the other collection: %+v, %v", st, err)
	}
}
