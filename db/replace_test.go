package db

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/errors"
)

// TestReplaceCollection retrains "words" through a staging collection:
// readers see the old records until the swap and the new ones after it,
// across a reopen, and the old generation's keys are gone.
func TestReplaceCollection(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	ctx := context.Background()
	fillCollection(t, d, "words", L2, 2000, 8, 1)
	oldID := d.mu.colls["words"].id
	fillCollection(t, d, "words.staging", Cosine, 3000, 16, 2)
	if _, err := d.BuildIndex(ctx, "words.staging", nil); err != nil {
		t.Fatal(err)
	}
	q := make([]float32, 16)
	q[0] = 1

	// A reader searches "words" throughout; each answer comes wholly from
	// one generation (dim 8 before, dim 16 after).
	var stop atomic.Bool
	var wg sync.WaitGroup
	var sawNew atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			s, err := d.Collection("words")
			if err != nil {
				t.Errorf("Collection during replace: %v", err)
				return
			}
			res, err := d.Search(ctx, "words", &SearchRequest{Vector: q[:s.Dim], K: 5})
			if errors.Is(err, ErrDimensionMismatch) {
				continue // the swap happened between the two calls
			}
			if err != nil {
				t.Errorf("Search during replace: %v", err)
				return
			}
			if len(res) != 5 {
				t.Errorf("search during replace returned %d results", len(res))
				return
			}
			if s.Dim == 16 {
				sawNew.Store(true)
			}
		}
	}()
	if err := d.ReplaceCollection("words", "words.staging"); err != nil {
		t.Fatal(err)
	}
	for !sawNew.Load() && !t.Failed() {
		runtime.Gosched()
	}
	stop.Store(true)
	wg.Wait()

	check := func(d *DB, count uint64) {
		t.Helper()
		s, err := d.Collection("words")
		if err != nil || s.Dim != 16 || s.Metric != Cosine || s.Name != "words" {
			t.Fatalf("after replace: %+v, %v", s, err)
		}
		if _, err := d.Collection("words.staging"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("staging collection still there: %v", err)
		}
		st, err := d.Stats("words")
		if err != nil || st.Count != count || st.Index == nil {
			t.Fatalf("stats after replace: count %d index %v err %v", st.Count, st.Index != nil, err)
		}
		rec, err := d.Get("words", strconv.Itoa(2999))
		if err != nil || len(rec.Vector) != 16 {
			t.Fatalf("Get after replace: %v", err)
		}
		res, err := d.Search(ctx, "words", &SearchRequest{Vector: q, K: 3})
		if err != nil || len(res) != 3 {
			t.Fatalf("search after replace: %d results, %v", len(res), err)
		}
		// The old collection's keys are gone.
		it, err := d.pdb.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		for fam := famNextDoc; fam < famEnd; fam++ {
			start := appendCollPrefix(nil, fam, oldID)
			if it.SeekGE(start); it.Valid() && string(it.Key()) < string(prefixEnd(start)) {
				t.Fatalf("family %d of the replaced collection still has key %x", fam, it.Key())
			}
		}
	}
	check(d, 3000)
	// The new records take writes under the new name.
	if err := d.Put("words", "extra", q, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTestDBAt(t, dir, nil)
	check(d, 3001)
	if _, err := d.Get("words", "extra"); err != nil {
		t.Fatalf("write after replace lost across reopen: %v", err)
	}
}

func TestReplaceCollectionErrors(t *testing.T) {
	d := openTestDB(t, nil)
	fillCollection(t, d, "a", L2, 10, 4, 1)
	if err := d.ReplaceCollection("a", "a"); !errors.Is(err, ErrInvalid) {
		t.Errorf("replace with itself: %v", err)
	}
	if err := d.ReplaceCollection("a", "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("replace from a missing collection: %v", err)
	}
	if err := d.ReplaceCollection("-bad", "a"); !errors.Is(err, ErrInvalid) {
		t.Errorf("replace to a bad name: %v", err)
	}
	// A batch built against the staging collection fails after the swap.
	b := d.NewBatch()
	defer b.Close()
	if err := b.Put("a", "late", []float32{1, 2, 3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	// Replacing into a name that does not exist is a rename.
	if err := d.ReplaceCollection("b", "a"); err != nil {
		t.Fatal(err)
	}
	if err := d.Apply(b, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("batch built before the swap applied: %v", err)
	}
	if st, err := d.Stats("b"); err != nil || st.Count != 10 {
		t.Errorf("renamed collection: %d records, %v", st.Count, err)
	}
}

// TestReplaceCollections swaps two collections in one step, across a
// reopen, and rejects names that appear twice.
func TestReplaceCollections(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	fillCollection(t, d, "users", L2, 10, 4, 1)
	fillCollection(t, d, "users.staging", L2, 20, 8, 2)
	fillCollection(t, d, "items.staging", L2, 30, 8, 3)
	if err := d.ReplaceCollections([]Replacement{{Dst: "users", Src: "users.staging"}, {Dst: "items", Src: "users"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a name used twice: %v", err)
	}
	if err := d.ReplaceCollections([]Replacement{{Dst: "users", Src: "users.staging"}, {Dst: "items", Src: "missing"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a missing source: %v", err)
	}
	if st, err := d.Stats("users"); err != nil || st.Count != 10 {
		t.Fatalf("a failed replacement changed users: %d, %v", st.Count, err)
	}
	if err := d.ReplaceCollections([]Replacement{{Dst: "users", Src: "users.staging"}, {Dst: "items", Src: "items.staging"}}); err != nil {
		t.Fatal(err)
	}
	check := func(d *DB) {
		t.Helper()
		for name, want := range map[string]uint64{"users": 20, "items": 30} {
			if st, err := d.Stats(name); err != nil || st.Count != want || st.Schema.Dim != 8 {
				t.Fatalf("%s after the swap: %d records, dim %d, %v", name, st.Count, st.Schema.Dim, err)
			}
		}
		cols, err := d.Collections()
		if err != nil || len(cols) != 2 {
			t.Fatalf("collections after the swap: %v, %v", cols, err)
		}
	}
	check(d)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	check(openTestDBAt(t, dir, nil))
}

// TestSearchDuringDropAndReplace searches indexed collections while they
// are replaced (rebuilt staging collections swapped in) and dropped: a
// search sees the old or the new records, or, once the name is gone,
// ErrNotFound; never another error, and never an unmapped vector file.
func TestSearchDuringDropAndReplace(t *testing.T) {
	const n, dim = 1000, 8
	d := openTestDB(t, nil)
	ctx := context.Background()
	build := func(name string, seed uint64) {
		fillCollection(t, d, name, L2, n, dim, seed)
		if _, err := d.BuildIndex(ctx, name, &BuildOptions{Seed: 1, Lists: 16}); err != nil {
			t.Fatal(err)
		}
	}
	build("v", 1)
	q := make([]float32, dim)
	stop := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, err := d.Search(ctx, "v", &SearchRequest{Vector: q, K: 5, NProbe: 4})
			if err != nil && !errors.Is(err, ErrNotFound) {
				errs <- err
				return
			}
		}
	}()
	for i := range 5 {
		build("v.staging", uint64(10+i))
		if err := d.ReplaceCollection("v", "v.staging"); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.DropCollection("v"); err != nil {
		t.Fatal(err)
	}
	build("v", 99)
	if err := d.DropCollection("v"); err != nil {
		t.Fatal(err)
	}
	close(stop)
	if err := <-errs; err != nil {
		t.Fatalf("search during replace and drop: %v", err)
	}
}
