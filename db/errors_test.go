package db

import (
	"context"
	stderrors "errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestSentinelsMatchStdlib: every exported sentinel matches, with the
// standard library's errors.Is, the errors the API returns for it (users
// test them that way; errors.Mark alone is seen only by cockroachdb/errors).
func TestSentinelsMatchStdlib(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	mustCreate(t, d, Schema{Name: "v", Dim: 2, Metric: L2})
	if err := d.Put("v", "a", []float32{1, 2}, nil); err != nil {
		t.Fatal(err)
	}
	_, errGet := d.Get("v", "missing")
	_, errColl := d.Get("nope", "a")
	errExists := d.CreateCollection(Schema{Name: "v", Dim: 2, Metric: L2})
	errDim := d.Put("v", "b", []float32{1, 2, 3}, nil)
	errName := d.CreateCollection(Schema{Name: "", Dim: 2, Metric: L2})
	_, errBuild := d.BuildIndex(context.Background(), "v", nil) // 1 record: too few
	_, errTarget := d.Search(context.Background(), "v", &SearchRequest{Vector: []float32{1, 2}, TargetRecall: 2})
	_, errLocked := Open(dir, nil)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	errClosed := d.Put("v", "c", []float32{1, 2}, nil)
	ro := openTestDBAt(t, dir, &Options{ReadOnly: true})
	errRO := ro.Put("v", "c", []float32{1, 2}, nil)
	errCorrupt := func() error { _, err := decodeCalibration([]byte{1, 2, 3}); return err }()
	errCorruptf := corruptionf("x")
	for _, tc := range []struct {
		name      string
		err, want error
	}{
		{"Get of a missing record", errGet, ErrNotFound},
		{"Get in a missing collection", errColl, ErrNotFound},
		{"CreateCollection of a taken name", errExists, ErrExists},
		{"Put of a wrong dimension", errDim, ErrDimensionMismatch},
		{"CreateCollection without a name", errName, ErrInvalid},
		{"BuildIndex of too few records", errBuild, ErrInvalid},
		{"Search with a target recall of 2", errTarget, ErrInvalid},
		{"a second writable Open", errLocked, ErrLocked},
		{"Put after Close", errClosed, ErrClosed},
		{"Put on a read-only DB", errRO, ErrReadOnly},
		{"corruptionf", errCorruptf, ErrCorruption},
	} {
		if !stderrors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v does not match %v with the standard errors.Is", tc.name, tc.err, tc.want)
		}
	}
	if errCorrupt == nil {
		t.Error("a damaged calibration decoded")
	}
}

// TestOpenRefusesForeignDirectories: a writable open never starts a new
// store over files it did not write: a database whose MANIFEST marker was
// lost is reported damaged and its tables stay; a directory of other
// files is refused and left alone; an empty directory, one a create left
// with only its lock file, or one a failed creation left, opens.
func TestOpenRefusesForeignDirectories(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	fillCollection(t, d, "v", L2, 2000, 8, 1)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	markers, _ := filepath.Glob(filepath.Join(dir, "marker.manifest.*"))
	if len(markers) != 1 {
		t.Fatalf("markers: %v", markers)
	}
	if err := os.Remove(markers[0]); err != nil {
		t.Fatal(err)
	}
	before := dirListing(t, dir)
	if _, err := Open(dir, nil); !stderrors.Is(err, ErrCorruption) {
		t.Fatalf("writable open of a database without its marker: %v, want ErrCorruption", err)
	}
	if after := dirListing(t, dir); !slices.Equal(before, after) {
		t.Fatalf("files changed: %v -> %v", before, after)
	}

	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(foreign, nil); !stderrors.Is(err, ErrInvalid) {
		t.Fatalf("open over a directory of other files: %v, want ErrInvalid", err)
	}
	if b, err := os.ReadFile(filepath.Join(foreign, "notes.txt")); err != nil || string(b) != "mine" {
		t.Fatalf("the user's file: %q, %v", b, err)
	}

	lockOnly := t.TempDir()
	if err := os.WriteFile(filepath.Join(lockOnly, "LOCK"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A creation that failed before the marker (TestWriteFaults: a write
	// fault on a new database's first MANIFEST) left files that hold no
	// batch: the next open creates the store; a log with data in it is
	// not such a leftover.
	failed := func(logBytes []byte) string {
		dir := t.TempDir()
		for name, b := range map[string][]byte{"MANIFEST-000001": {1, 2, 3}, "OPTIONS-000003": []byte("[Version]"), "000002.log": logBytes, "LOCK": nil} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	if _, err := Open(failed([]byte("a batch")), nil); !stderrors.Is(err, ErrCorruption) {
		t.Fatalf("open over a marker-less store with a non-empty log: %v, want ErrCorruption", err)
	}
	for _, ok := range []string{t.TempDir(), lockOnly, filepath.Join(t.TempDir(), "new"), failed(nil)} {
		d, err := Open(ok, nil)
		if err != nil {
			t.Fatalf("open of %s: %v", ok, err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// dirListing returns dir's file names and sizes.
func dirListing(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s:%d", e.Name(), info.Size()))
	}
	return out
}

// TestHugeVectorsRefused: vectors whose distances would overflow float32
// are refused at write and as queries, with ErrInvalid; the largest
// accepted still rank right.
func TestHugeVectorsRefused(t *testing.T) {
	d := openTestDB(t, nil)
	mustCreate(t, d, Schema{Name: "v", Dim: 2, Metric: L2})
	for _, v := range [][]float32{{3e38, 0}, {1e19, 1e19}} {
		if err := d.Put("v", "big", v, nil); !stderrors.Is(err, ErrInvalid) {
			t.Errorf("Put(%v) = %v, want ErrInvalid", v, err)
		}
		if _, err := d.Search(context.Background(), "v", &SearchRequest{Vector: v}); !stderrors.Is(err, ErrInvalid) {
			t.Errorf("Search(%v) = %v, want ErrInvalid", v, err)
		}
	}
	// Just inside the bound, distances stay finite and ordered.
	const x = 6.5e18 // 2 x 6.5e18² < MaxFloat32/4
	for i, v := range [][]float32{{x, x}, {-x, -x}, {x, -x}} {
		if err := d.Put("v", fmt.Sprint(i), v, nil); err != nil {
			t.Fatal(err)
		}
	}
	res, err := d.Search(context.Background(), "v", &SearchRequest{Vector: []float32{-x, -x}, K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ID != "1" || res[2].ID != "0" || math.IsInf(float64(res[2].Distance), 0) {
		t.Fatalf("results %+v", res)
	}
}

// TestDamagedTableIsAnError: a flipped byte in a table is reported as an
// ErrCorruption error by the reads that meet it (Stats, Search, Get,
// Check), never a panic or the engine's fatal log line.
func TestDamagedTableIsAnError(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	fillCollection(t, d, "v", L2, 3000, 8, 1)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// Compact the store into tables: reopen, flush by closing.
	tables, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	if len(tables) == 0 {
		t.Skip("no table written; nothing to damage") // not expected: Close flushes
	}
	for _, f := range tables {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(b) / 5; i < len(b)*3/5; i += 97 {
			b[i] ^= 0x5a
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logged []string
	d, err := Open(dir, &Options{Logger: recordLogger{&logged}})
	if err != nil {
		if !stderrors.Is(err, ErrCorruption) {
			t.Fatalf("open of a damaged store: %v, want ErrCorruption", err)
		}
		return
	}
	defer d.Close()
	errs := map[string]error{}
	_, errs["Stats"] = d.Stats("v")
	_, errs["Search"] = d.Search(context.Background(), "v", &SearchRequest{Vector: make([]float32, 8), Exact: true})
	_, errs["Get"] = d.Get("v", "5")
	errs["Check"] = d.Check()
	damaged := 0
	for op, err := range errs {
		if err != nil {
			if !stderrors.Is(err, ErrCorruption) {
				t.Errorf("%s: %v, want ErrCorruption", op, err)
			}
			damaged++
		}
	}
	if damaged == 0 {
		t.Fatal("no read noticed the damage")
	}
	t.Logf("%d of %d reads failed with ErrCorruption; %d engine log lines", damaged, len(errs), len(logged))
}

// TestDamagedOptionsFile: a flipped byte in the storage engine's OPTIONS
// file (found by TestCorruptionSweep) failed both opens with the engine's
// "comparer name from file ... != comparer name from options" or
// "WALDir changed from previous options", errors without ErrCorruption
// that read as a configuration change. The open now says the file is
// damaged and how to go on, and removing the file, as it says, opens the
// database with every record.
func TestDamagedOptionsFile(t *testing.T) {
	ref := t.TempDir()
	d := openTestDBAt(t, ref, nil)
	fillCollection(t, d, "v", L2, 500, 4, 1)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		// at returns the offset to flip in the file's text.
		at   func(text string) int
		mask byte
	}{
		{"comparer name", func(s string) int { return strings.Index(s, "BytewiseComparator") + 3 }, 0x0e},
		{"line after wal_dir", func(s string) int {
			i := strings.Index(s, "wal_dir=")
			return i + strings.IndexByte(s[i:], '\n')
		}, 0x8f},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "db")
			if err := os.CopyFS(dir, os.DirFS(ref)); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "OPTIONS-*"))
			if len(files) != 1 {
				t.Fatalf("OPTIONS files: %v, want one", files)
			}
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			at := tc.at(string(b))
			if at < 0 || at >= len(b) {
				t.Fatalf("no place to damage in %q", b)
			}
			b[at] ^= tc.mask
			if err := os.WriteFile(files[0], b, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{true, false} {
				_, err := Open(dir, &Options{ReadOnly: ro})
				if !stderrors.Is(err, ErrCorruption) || !strings.Contains(err.Error(), filepath.Base(files[0])+" is damaged") {
					t.Fatalf("open (read-only %v) with a damaged OPTIONS file: %v, want ErrCorruption naming the file", ro, err)
				}
			}
			if err := os.Remove(files[0]); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{true, false} {
				d, err := Open(dir, &Options{ReadOnly: ro})
				if err != nil {
					t.Fatalf("open (read-only %v) without the OPTIONS file: %v", ro, err)
				}
				if st, err := d.Stats("v"); err != nil || st.Count != 500 {
					t.Errorf("read-only %v: %d records, %v; want 500", ro, st.Count, err)
				}
				if err := d.Check(); err != nil {
					t.Error(err)
				}
				if err := d.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestDamagedFormatVersion: a format version with a flipped high bit read
// as a newer release's ("has format version 720898, newer than this
// build's 2: upgrade vecdb"; found by TestCorruptionSweep/values). A
// version far beyond this build's is ErrCorruption now; the next one
// still says to upgrade.
func TestDamagedFormatVersion(t *testing.T) {
	ref := t.TempDir()
	d := openTestDBAt(t, ref, nil)
	fillCollection(t, d, "v", L2, 100, 4, 1)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		version uint32
		damaged bool
	}{
		{FormatVersion ^ 0x0b<<16, true},
		{FormatVersion ^ 0x80<<8, true},
		{FormatVersion + 1, false},
	} {
		dir := filepath.Join(t.TempDir(), "db")
		if err := os.CopyFS(dir, os.DirFS(ref)); err != nil {
			t.Fatal(err)
		}
		d, err := Open(dir, &Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.pdb.Set(keyFormat, formatValue(tc.version), nil); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		for _, ro := range []bool{true, false} {
			_, err := Open(dir, &Options{ReadOnly: ro})
			if err == nil || stderrors.Is(err, ErrCorruption) != tc.damaged || tc.damaged == strings.Contains(err.Error(), "upgrade vecdb") {
				t.Errorf("format version %d, read-only %v: %v; want damaged %v", tc.version, ro, err, tc.damaged)
			}
		}
	}
}

// TestDamagedTableEveryRead flips a byte at offsets across a table, one
// copy each, and requires Count, SelectIDs and a walk over the records to
// answer right or fail with ErrCorruption, the walk's Error saying so
// before Close. They returned the engine's checksum error unmarked, and
// the walk's Error was nil until Close (found by TestCorruptionSweep:
// Count failed with "crc32c checksum mismatch" and no ErrCorruption).
func TestDamagedTableEveryRead(t *testing.T) {
	ref := t.TempDir()
	d := openTestDBAt(t, ref, nil)
	fillCollection(t, d, "v", L2, 3000, 8, 1)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	tables, _ := filepath.Glob(filepath.Join(ref, "*.sst"))
	if len(tables) != 1 {
		t.Fatalf("tables: %v, want one", tables)
	}
	fi, err := os.Stat(tables[0])
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"5", "1500", "2999"}
	failed := map[string]int{}
	var offsets []int64
	for off := int64(0); off < fi.Size(); off += fi.Size() / 80 {
		offsets = append(offsets, off)
	}
	for _, off := range offsets {
		dir := filepath.Join(t.TempDir(), "db")
		if err := os.CopyFS(dir, os.DirFS(ref)); err != nil {
			t.Fatal(err)
		}
		if err := flipByte(filepath.Join(dir, filepath.Base(tables[0])), off, 0x5a); err != nil {
			t.Fatal(err)
		}
		d, err := Open(dir, &Options{ReadOnly: true, Logger: recordLogger{new([]string)}})
		if err != nil {
			continue // TestCorruptionSweep judges the opens
		}
		check := func(call string, err error, right bool) {
			switch {
			case err != nil && !stderrors.Is(err, ErrCorruption):
				t.Errorf("byte %d: %s: %v, want ErrCorruption", off, call, err)
			case err != nil:
				failed[call]++
			case !right:
				t.Errorf("byte %d: %s answered wrong without an error", off, call)
			}
		}
		n, err := d.Count("v")
		check("Count", err, n == 3000)
		sel, err := d.SelectIDs("v", ids)
		check("SelectIDs", err, err != nil || sel.Len() == uint64(len(ids)))
		it, err := d.NewRecordIterator("v")
		if err != nil {
			check("NewRecordIterator", err, false)
		} else {
			walked := 0
			for it.First(); it.Valid(); it.Next() {
				walked++
			}
			iterErr, closeErr := it.Error(), it.Close()
			if (iterErr == nil) != (closeErr == nil) {
				t.Errorf("byte %d: the walk's Error %v, its Close %v", off, iterErr, closeErr)
			}
			check("walk", closeErr, walked == 3000)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Count reads one value, which these flips miss; the sweep's case for
	// it: seed 1796536046150496181, closed/sst: 000011.sst byte 89697 ^= 0x11.
	for _, call := range []string{"SelectIDs", "walk"} {
		if failed[call] == 0 {
			t.Errorf("no flip made %s fail", call)
		}
	}
	t.Logf("failed with ErrCorruption: %v", failed)
}

// recordLogger keeps error lines. The engine logs from its own
// goroutines too, so lines are appended under recordMu; a test that reads
// them while the engine may still log uses text.
type recordLogger struct{ lines *[]string }

var recordMu sync.Mutex

func (l recordLogger) Infof(string, ...any) {}
func (l recordLogger) Errorf(format string, args ...any) {
	recordMu.Lock()
	defer recordMu.Unlock()
	*l.lines = append(*l.lines, fmt.Sprintf(format, args...))
}

// text returns the lines logged so far, one a line.
func (l recordLogger) text() string {
	recordMu.Lock()
	defer recordMu.Unlock()
	return strings.Join(*l.lines, "\n")
}

// TestCheckIsolatesDamage: a collection with a record whose vector is gone
// fails its check, by name, with ErrCorruption; the others pass and serve,
// and a search of the damaged one never returns the record at distance 0.
func TestCheckIsolatesDamage(t *testing.T) {
	d := openTestDB(t, nil)
	fillCollection(t, d, "a", L2, 500, 4, 1)
	fillCollection(t, d, "b", L2, 500, 4, 2)
	c, err := d.coll("a")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.pdb.Delete(appendDocKey(nil, famVec, c.id, 7), nil); err != nil {
		t.Fatal(err)
	}
	if err := d.CheckCollection("a"); !stderrors.Is(err, ErrCorruption) {
		t.Fatalf("check of the damaged collection: %v, want ErrCorruption", err)
	}
	if err := d.CheckCollection("b"); err != nil {
		t.Fatalf("check of the intact collection: %v", err)
	}
	if err := d.Check(); !stderrors.Is(err, ErrCorruption) || !strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("Check: %v, want ErrCorruption naming collection a", err)
	}
	if _, err := d.Search(context.Background(), "b", &SearchRequest{Vector: make([]float32, 4)}); err != nil {
		t.Fatalf("search of the intact collection: %v", err)
	}
	// The damage stays: close here, so the cleanup's Check does not run.
	defer func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	}()
	if _, err := d.Get("a", "7"); !stderrors.Is(err, ErrCorruption) {
		t.Errorf("Get of the record without a vector: %v, want ErrCorruption", err)
	}
	res, err := d.Search(context.Background(), "a", &SearchRequest{Vector: make([]float32, 4), K: 500})
	if err != nil && !stderrors.Is(err, ErrCorruption) {
		t.Fatalf("search of the damaged collection: %v, want ErrCorruption or an answer without it", err)
	}
	for _, r := range res {
		if r.ID == "7" {
			t.Fatalf("the record without a vector came back at distance %v", r.Distance)
		}
	}
}

// TestInternalCollections: internal names (InternalName) are hidden from
// Collections, dropped with their owner, and, for staging ones or those
// whose owner is gone, dropped at the next writable open; user names
// cannot take their form.
func TestInternalCollections(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	for _, name := range []string{"a", InternalName("ngrams", "a"), InternalName("staging", "a"), InternalName("staging", InternalName("ngrams", "a")), "b", InternalName("ngrams", "gone")} {
		mustCreate(t, d, Schema{Name: name, Dim: 2, Metric: L2})
		if err := d.Put(name, "x", []float32{1, 2}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"~", "~~a", "~Ngrams~a", "~ngrams~", "~ngrams~.a", "a~b"} {
		if err := d.CreateCollection(Schema{Name: bad, Dim: 2, Metric: L2}); !stderrors.Is(err, ErrInvalid) {
			t.Errorf("CreateCollection(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	names := func() []string {
		schemas, err := d.Collections()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range schemas {
			out = append(out, s.Name)
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Collections = %v, want [a b]", got)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// The reopen drops the staging leftovers and the orphan, keeps a's
	// n-grams.
	d = openTestDBAt(t, dir, nil)
	for name, want := range map[string]bool{
		InternalName("ngrams", "a"): true, InternalName("staging", "a"): false,
		InternalName("staging", InternalName("ngrams", "a")): false, InternalName("ngrams", "gone"): false,
	} {
		if _, err := d.Get(name, "x"); (err == nil) != want {
			t.Errorf("after reopen, %q: %v, want kept %v", name, err, want)
		}
	}
	if err := d.DropCollection("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Collection(InternalName("ngrams", "a")); !stderrors.Is(err, ErrNotFound) {
		t.Fatalf("a's n-grams after dropping a: %v", err)
	}
	if got := names(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("Collections = %v, want [b]", got)
	}
}

// TestNilArguments: exported functions given nil or empty arguments return
// an error (or, where nothing is asked, nothing), never panic.
func TestNilArguments(t *testing.T) {
	d := openTestDB(t, nil)
	mustCreate(t, d, Schema{Name: "v", Dim: 2, Metric: L2})
	ctx := context.Background()
	var nilDB *DB
	for _, tc := range []struct {
		name    string
		f       func() error
		wantErr bool
	}{
		{"Apply(nil)", func() error { return d.Apply(nil, nil) }, true},
		{"Put(nil vector)", func() error { return d.Put("v", "a", nil, nil) }, true},
		{"Search(nil)", func() error { _, err := d.Search(ctx, "v", nil); return err }, true},
		{"Search(empty)", func() error { _, err := d.Search(ctx, "v", &SearchRequest{}); return err }, true},
		{"SearchMany(nil)", func() error { _, err := d.SearchMany(ctx, "v", nil, nil); return err }, false},
		{"SearchMany(nil row)", func() error { _, err := d.SearchMany(ctx, "v", [][]float32{nil}, nil); return err }, true},
		{"Explain(nil)", func() error { _, _, err := d.Explain(ctx, "v", nil, nil); return err }, true},
		{"Select(\"\")", func() error { _, err := d.Select("", ""); return err }, true},
		{"ReplaceCollections(nil)", func() error { return d.ReplaceCollections(nil) }, false},
		{"CheckCollection(\"\")", func() error { return d.CheckCollection("") }, true},
		{"Get(\"\", \"\")", func() error { _, err := d.Get("", ""); return err }, true},
		{"Delete(no IDs)", func() error { _, err := d.Delete("v"); return err }, false},
		{"Stats(\"\")", func() error { _, err := d.Stats(""); return err }, true},
		{"CreateCollection(zero)", func() error { return d.CreateCollection(Schema{}) }, true},
		{"DropCollection(\"\")", func() error { return d.DropCollection("") }, true},
		{"Open(\"\")", func() error { _, err := Open("", nil); return err }, true},
		{"(*DB)(nil).Close()", func() error { return nilDB.Close() }, true},
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked: %v", tc.name, r)
				}
			}()
			if err := tc.f(); (err != nil) != tc.wantErr {
				t.Errorf("%s = %v, want an error: %v", tc.name, err, tc.wantErr)
			}
		}()
	}
}

// TestDiskFullRefused: a write or a build that would leave less free space
// than the store needs for its own flushes is refused with ErrDiskFull
// before anything is written; once space is back, writes go on.
func TestDiskFullRefused(t *testing.T) {
	d := openTestDB(t, nil)
	fillCollection(t, d, "v", L2, 1000, 4, 1)
	free := int64(1 << 40)
	saved := freeBytes
	freeBytes = func(string) (int64, bool) { return free, true }
	defer func() { freeBytes = saved }()
	free = d.spaceReserve() + 100 // less than a batch needs
	if err := d.Put("v", "new", []float32{1, 2, 3, 4}, nil); !stderrors.Is(err, ErrDiskFull) {
		t.Fatalf("Put on a full disk: %v, want ErrDiskFull", err)
	}
	if _, err := d.Get("v", "new"); !stderrors.Is(err, ErrNotFound) {
		t.Fatalf("the refused record: %v, want ErrNotFound", err)
	}
	if _, err := d.BuildIndex(context.Background(), "v", nil); !stderrors.Is(err, ErrDiskFull) {
		t.Fatalf("build on a full disk: %v, want ErrDiskFull", err)
	}
	free = 1 << 40
	if err := d.Put("v", "new", []float32{1, 2, 3, 4}, nil); err != nil {
		t.Fatalf("Put once space is back: %v", err)
	}
	if _, err := d.BuildIndex(context.Background(), "v", nil); err != nil {
		t.Fatalf("build once space is back: %v", err)
	}
	if real, ok := saved(t.TempDir()); !ok || real <= 0 {
		t.Errorf("this file system's free space: %d, %v", real, ok)
	}
}

// TestRefusedWriteThenBuild: a write refused for lack of space after it
// took doc ids (ids are not reused in the process), then a build, whose
// vector file's watermark counts those ids, then a reopen: the doc ids
// the next writes take are above the watermark, not among the ids the
// refused write never stored (which the vector file says it holds, and
// has no rows for: the check failed, and a build found live records
// without a vector). Found by TestModel.
func TestRefusedWriteThenBuild(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	fillCollection(t, d, "v", L2, 300, 4, 1)
	saved := freeBytes
	freeBytes = func(string) (int64, bool) { return 0, true }
	err := d.Put("v", "refused", []float32{1, 2, 3, 4}, nil)
	freeBytes = saved
	if !stderrors.Is(err, ErrDiskFull) {
		t.Fatalf("Put on a full disk: %v, want ErrDiskFull", err)
	}
	ctx := context.Background()
	if _, err := d.BuildIndex(ctx, "v", &BuildOptions{Seed: 1, Lists: 4}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTestDBAt(t, dir, nil)
	if err := d.Put("v", "new", []float32{1, 2, 3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Check(); err != nil {
		t.Fatalf("after a refused write, a build and a reopen: %v", err)
	}
	res, err := d.Search(ctx, "v", &SearchRequest{Vector: []float32{1, 2, 3, 4}, K: 1, NProbe: 4})
	if err != nil || len(res) != 1 || res[0].ID != "new" || res[0].Distance != 0 {
		t.Fatalf("search for the new record: %+v, %v", res, err)
	}
	if _, err := d.BuildIndex(ctx, "v", &BuildOptions{Seed: 2, Lists: 4}); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
}

// TestRefusedWriteLeavesIndex: a batch refused for lack of space (an
// upsert, a replacement and a delete on an indexed collection) leaves the
// index's counters as they were: codes added since the build, their
// drift, dead rows of the vector file. They were counted before the
// commit was refused, and the next write stored them. Found by TestModel.
func TestRefusedWriteLeavesIndex(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	fillCollection(t, d, "v", L2, 300, 4, 1)
	if _, err := d.BuildIndex(context.Background(), "v", &BuildOptions{Seed: 1, Lists: 4}); err != nil {
		t.Fatal(err)
	}
	counters := func() string {
		st, err := d.Stats("v")
		if err != nil {
			t.Fatal(err)
		}
		c, err := d.coll("v")
		if err != nil {
			t.Fatal(err)
		}
		d.wmu.Lock()
		defer d.wmu.Unlock()
		ix := c.ix.Load()
		return fmt.Sprintf("added %d, drift %.3f, codes %d, dead rows %d, next sequence %d", st.Index.Added, st.Index.Drift, ix.codes.Load(), ix.ptr.segDead, ix.ptr.nextSeq)
	}
	write := func() error {
		b := d.NewBatch()
		defer b.Close()
		for _, err := range []error{
			b.Put("v", "new", []float32{9, 9, 9, 9}, nil),
			b.Put("v", "1", []float32{-9, 9, -9, 9}, nil),
			b.Delete("v", "2"),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		return d.Apply(b, nil)
	}
	before := counters()
	saved := freeBytes
	freeBytes = func(string) (int64, bool) { return 0, true }
	err := write()
	freeBytes = saved
	if !stderrors.Is(err, ErrDiskFull) {
		t.Fatalf("write on a full disk: %v, want ErrDiskFull", err)
	}
	if after := counters(); after != before {
		t.Fatalf("after a refused write: %s; before it: %s", after, before)
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	want := counters()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTestDBAt(t, dir, nil)
	if got := counters(); got != want || !strings.HasPrefix(got, "added 2,") {
		t.Fatalf("after the write and a reopen: %s; before the reopen %s; want 2 added", got, want)
	}
}

// TestDamagedIndexIsolated: a collection whose index blob is damaged does
// not keep the database from opening: the other collections serve, its
// records read, its searches and check fail with ErrCorruption, and a
// build repairs it.
func TestDamagedIndexIsolated(t *testing.T) {
	// The index blob is read at open; the vector file on first use, by a
	// search, stats or a build.
	t.Run("blob", func(t *testing.T) {
		checkDamagedIndexIsolated(t, func(t *testing.T, d *DB, dir string, c *collection) {
			if err := d.pdb.Set(indexIVFKey(c.id, c.ix.Load().gen), []byte{1, 2, 3}, nil); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("vector-file", func(t *testing.T) {
		checkDamagedIndexIsolated(t, func(t *testing.T, d *DB, dir string, c *collection) {
			path := segmentPath(dir, c.id, c.ix.Load().gen)
			t.Cleanup(func() {
				if err := os.WriteFile(path, make([]byte, 4096), 0o644); err != nil {
					t.Error(err)
				}
			})
		})
	})
}

// checkDamagedIndexIsolated damages collection a's index with damage
// (called before the database is closed; a Cleanup it registers runs
// after) and checks that the rest of the database serves, that a's
// records read, that its searches, check and stats say what is wrong, and
// that a build repairs it.
func checkDamagedIndexIsolated(t *testing.T, damage func(t *testing.T, d *DB, dir string, c *collection)) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	for i, name := range []string{"a", "b"} {
		fillCollection(t, d, name, L2, 2000, 8, uint64(i+1))
		if _, err := d.BuildIndex(context.Background(), name, &BuildOptions{Seed: 1}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := d.coll("a")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("damage", func(t *testing.T) { damage(t, d, dir, c) })
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	var logged []string
	d, err = Open(dir, &Options{NoSync: true, Logger: recordLogger{&logged}})
	if err != nil {
		t.Fatalf("open with one damaged index: %v", err)
	}
	q := make([]float32, 8)
	if _, err := d.Search(context.Background(), "b", &SearchRequest{Vector: q}); err != nil {
		t.Fatalf("search of the intact collection: %v", err)
	}
	if _, err := d.Search(context.Background(), "a", &SearchRequest{Vector: q}); !stderrors.Is(err, ErrCorruption) || !strings.Contains(err.Error(), "vecdb build a") {
		t.Fatalf("search of the damaged collection: %v, want ErrCorruption and the way out", err)
	}
	if _, err := d.Get("a", "7"); err != nil {
		t.Fatalf("a record of the damaged collection: %v", err)
	}
	if err := d.CheckCollection("a"); !stderrors.Is(err, ErrCorruption) {
		t.Fatalf("check of the damaged collection: %v, want ErrCorruption", err)
	}
	if len(logged) == 0 {
		t.Error("the damage was not logged")
	}
	if st, err := d.Stats("a"); err != nil || st.IndexDamaged == "" || st.Index != nil {
		t.Errorf("stats of the damaged collection: %+v, %v; want the damage said", st, err)
	}
	if _, err := d.BuildIndex(context.Background(), "a", &BuildOptions{Seed: 1}); err != nil {
		t.Fatalf("rebuilding the damaged index: %v", err)
	}
	if _, err := d.Search(context.Background(), "a", &SearchRequest{Vector: q}); err != nil {
		t.Fatalf("search after the rebuild: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTestDBAt(t, dir, nil) // its cleanup checks the whole database
	if _, err := d.Search(context.Background(), "a", &SearchRequest{Vector: q}); err != nil {
		t.Fatalf("search after reopening: %v", err)
	}
}

// TestDamagedNextDocID: a next-doc-id counter damaged to below the doc ids
// in use is raised at open, so a write never reuses a doc id and
// overwrites another record; the index, whose lists may hold entries of
// doc ids handed out above the damaged value, is marked damaged until a
// build. (Found by TestCorruptionSweep's value flips: Put("new") after
// the counter fell to 100 made Get("100") return "new".)
func TestDamagedNextDocID(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	fillCollection(t, d, "v", L2, 500, 8, 1)
	if _, err := d.BuildIndex(context.Background(), "v", &BuildOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	want, err := d.Get("v", "100")
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.coll("v")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.pdb.Set(nextDocKey(c.id), []byte{100, 0, 0, 0}, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	var logged []string
	d, err = Open(dir, &Options{NoSync: true, Logger: recordLogger{&logged}})
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) == 0 || !strings.Contains(strings.Join(logged, "\n"), "next doc id") {
		t.Errorf("the damaged counter was not logged: %q", logged)
	}
	if err := d.Put("v", "new", make([]float32, 8), nil); err != nil {
		t.Fatal(err)
	}
	got, err := d.Get("v", "100")
	if err != nil || !slices.Equal(got.Vector, want.Vector) {
		t.Fatalf("record 100 after a write: %+v, %v; want it unchanged", got, err)
	}
	if n, err := d.Count("v"); err != nil || n != 501 {
		t.Fatalf("count %d, %v; want 501", n, err)
	}
	q := make([]float32, 8)
	if _, err := d.Search(context.Background(), "v", &SearchRequest{Vector: q}); !stderrors.Is(err, ErrCorruption) {
		t.Fatalf("search before the rebuild: %v, want ErrCorruption", err)
	}
	if _, err := d.BuildIndex(context.Background(), "v", &BuildOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	res, err := d.Search(context.Background(), "v", &SearchRequest{Vector: q, K: 1})
	if err != nil || len(res) != 1 || res[0].ID != "new" {
		t.Fatalf("search after the rebuild: %v, %v", res, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	openTestDBAt(t, dir, nil) // its cleanup checks the whole database
}
