package db

import (
	stderrors "errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestLogLossDetected: a copy of a live database (what a crash leaves)
// whose write-ahead log was then truncated has lost acknowledged batches;
// a writable open says so with ErrCorruption instead of serving fewer
// records silently, a read-only open serves what is left, AcceptLogLoss
// goes on from it, and an undamaged copy opens with every record.
func TestLogLossDetected(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, &Options{}) // synced writes: acknowledged means durable
	mustCreate(t, d, Schema{Name: "v", Dim: 2, Metric: L2})
	const batches = 300
	for i := range batches {
		if err := d.Put("v", fmt.Sprint(i), []float32{float32(i), 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.storeAcked(false); err != nil { // what the ticker does
		t.Fatal(err)
	}
	crash := func() string {
		c := filepath.Join(t.TempDir(), "copy")
		if err := os.CopyFS(c, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		_ = os.Remove(filepath.Join(c, "LOCK")) // the copy is not locked
		return c
	}
	intact := crash()
	damaged := crash()
	logs, _ := filepath.Glob(filepath.Join(damaged, "*.log"))
	sort.Strings(logs)
	var biggest string
	var size int64
	for _, l := range logs {
		if fi, err := os.Stat(l); err == nil && fi.Size() > size {
			biggest, size = l, fi.Size()
		}
	}
	if biggest == "" {
		t.Fatal("no log to damage")
	}
	// Cut the log inside its data (a preallocated log is longer than
	// what it holds): at the record of the 150th batch.
	b, err := os.ReadFile(biggest)
	if err != nil {
		t.Fatal(err)
	}
	cut := strings.Index(string(b), "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	if cut < 0 {
		cut = len(b)
	}
	if err := os.Truncate(biggest, int64(cut/2)); err != nil {
		t.Fatal(err)
	}

	if _, err := Open(damaged, nil); !stderrors.Is(err, ErrCorruption) || !strings.Contains(err.Error(), "lost acknowledged writes") {
		t.Fatalf("writable open of a store whose log lost writes: %v, want ErrCorruption", err)
	}
	var logged []string
	ro, err := Open(damaged, &Options{ReadOnly: true, Logger: recordLogger{&logged}})
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	st, err := ro.Stats("v")
	if err != nil || st.Count >= batches || len(logged) == 0 {
		t.Fatalf("read-only: %d records, %v, log %q; want fewer than %d and a logged loss", st.Count, err, logged, batches)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	acc, err := Open(damaged, &Options{AcceptLogLoss: true, Logger: recordLogger{&logged}})
	if err != nil {
		t.Fatalf("open with AcceptLogLoss: %v", err)
	}
	if err := acc.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(damaged, nil)
	if err != nil {
		t.Fatalf("open after accepting the loss: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}

	ok, err := Open(intact, nil)
	if err != nil {
		t.Fatalf("open of the undamaged copy: %v", err)
	}
	defer ok.Close()
	if st, err := ok.Stats("v"); err != nil || st.Count != batches {
		t.Fatalf("undamaged copy: %d records, %v; want %d", st.Count, err, batches)
	}
}

// TestDamagedManifestLosesNothing flips a byte at every few offsets of a
// closed database's MANIFEST. The engine ends its replay of the manifest
// at a damaged record, as at a torn tail, so the store it sees may lack
// the tables of the later edits; a writable open then deleted those
// tables as obsolete, and flushed and deleted the logs, before vecdb
// noticed anything (found by TestCorruptionSweep: the open then failed
// with "no format version" or a missing table, and the data was gone for
// good). Now every open either serves every record or fails with
// ErrCorruption, and a failed writable open leaves every file as it was.
func TestDamagedManifestLosesNothing(t *testing.T) {
	ref := t.TempDir()
	d := openTestDBAt(t, ref, &Options{NoSync: true, MemTableBytes: 1 << 20})
	const n = 6000
	fillCollection(t, d, "v", L2, n, 16, 1)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	manifests, _ := filepath.Glob(filepath.Join(ref, "MANIFEST-*"))
	if len(manifests) != 1 {
		t.Fatalf("manifests: %v, want one", manifests)
	}
	name := filepath.Base(manifests[0])
	fi, err := os.Stat(manifests[0])
	if err != nil {
		t.Fatal(err)
	}
	size := fi.Size()
	before := dirListing(t, ref)
	step := 3
	if testing.Short() {
		step = 11
	}
	failed := 0
	for off := 0; off < int(size); off += step {
		dir := filepath.Join(t.TempDir(), "db")
		if err := os.CopyFS(dir, os.DirFS(ref)); err != nil {
			t.Fatal(err)
		}
		if err := flipByte(filepath.Join(dir, name), int64(off), 0x5a); err != nil {
			t.Fatal(err)
		}
		for _, ro := range []bool{true, false} {
			var logged []string
			d, err := Open(dir, &Options{ReadOnly: ro, NoSync: true, Logger: recordLogger{&logged}})
			if err != nil {
				if !stderrors.Is(err, ErrCorruption) {
					t.Errorf("byte %d, read-only %v: %v, want ErrCorruption", off, ro, err)
				}
				if after := dirListing(t, dir); !slices.Equal(after, before) {
					t.Errorf("byte %d, read-only %v: the failed open changed the files: %v, were %v", off, ro, after, before)
				}
				failed++
				continue
			}
			st, err := d.Stats("v")
			lost := ro && len(logged) > 0 && strings.Contains(strings.Join(logged, "\n"), "lost acknowledged writes")
			if (err != nil || st.Count != n) && !lost {
				t.Errorf("byte %d, read-only %v: %d records, %v; want %d", off, ro, st.Count, err, n)
			}
			if err := d.Close(); err != nil {
				t.Errorf("byte %d, read-only %v: close: %v", off, ro, err)
			}
		}
	}
	t.Logf("%d flips of %s (%d B); %d opens failed with ErrCorruption, the others served every record", (int(size)+step-1)/step, name, size, failed)
}

// flipByte XORs the byte at off of the file at path with mask.
func flipByte(path string, off int64, mask byte) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	b := []byte{0}
	if _, err := f.ReadAt(b, off); err != nil {
		return err
	}
	b[0] ^= mask
	if _, err := f.WriteAt(b, off); err != nil {
		return err
	}
	return f.Close()
}
