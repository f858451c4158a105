package db

import (
	stderrors "errors"
	"fmt"
	"os"
	"path/filepath"
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
