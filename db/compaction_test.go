package db

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
)

// TestChurnStaysBounded writes ten times an indexed collection's size in
// upserts and deletes (every record replaced by a new vector from the same
// distribution, a tenth deleted and written back, each round) and checks
// that background compaction keeps the garbage bounded: codes in the
// lists, the vector file's rows and size, and the list cache stay within a
// small multiple of the live data, recall stays where it was, and every
// live record is found by its own vector.
func TestChurnStaysBounded(t *testing.T) {
	const n, dim, rounds = 3000, 16, 10
	defer func(m uint64) { compactMin = m }(compactMin)
	compactMin = 500
	d := openTestDB(t, nil)
	fillCollection(t, d, "v", L2, n, dim, 1)
	ctx := context.Background()
	if _, err := d.BuildIndex(ctx, "v", &BuildOptions{Seed: 1, Lists: 32}); err != nil {
		t.Fatal(err)
	}
	// One pool from one distribution: the collection's first records
	// (fillCollection's, same seed), each round's replacements, queries.
	pool := vectest.Clustered(1, n*(rounds+1)+50, dim, 50, 0.5)
	queries := pool[n*(rounds+1):]
	recall0 := recallVsExact(t, d, "v", queries, 10, SearchRequest{})
	var maxCodes, maxRows int
	var maxFile int64
	for r := range rounds {
		vecs := pool[n*(r+1) : n*(r+2)]
		putAll(t, d, "v", vecs, 0, 500, func(i int) Meta { return Meta{"g": (i + r) % 10} })
		var gone []string
		for i := r; i < n; i += 10 {
			gone = append(gone, strconv.Itoa(i))
		}
		if _, err := d.Delete("v", gone...); err != nil {
			t.Fatal(err)
		}
		for _, id := range gone {
			i, _ := strconv.Atoi(id)
			if err := d.Put("v", id, vecs[i], Meta{"g": 0}); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.WaitBackground(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := d.Stats("v")
		if err != nil {
			t.Fatal(err)
		}
		maxCodes = max(maxCodes, st.Index.Codes)
		maxRows = max(maxRows, int(st.Index.VectorFileRows))
		maxFile = max(maxFile, st.Index.VectorFileBytes)
		t.Logf("round %d: generation %d, %d codes, vector file %d rows (%d bytes), %d added, %d live, store %d bytes", r, st.Index.Generation, st.Index.Codes, st.Index.VectorFileRows, st.Index.VectorFileBytes, st.Index.Added, st.Count, st.DiskBytes)
	}
	st, err := d.Stats("v")
	if err != nil {
		t.Fatal(err)
	}
	if st.Count != n {
		t.Fatalf("count %d, want %d", st.Count, n)
	}
	if st.Index.Generation < 5 {
		t.Errorf("generation %d after %d rounds of churn: compaction did not keep up", st.Index.Generation, rounds)
	}
	// Garbage: each compaction starts when the codes added since the file
	// exceed its rows (or half of them are dead), so neither grows past
	// about twice the live data (plus one batch in flight).
	if maxCodes > 3*n || maxRows > 2*n {
		t.Errorf("garbage not bounded: up to %d codes and %d file rows for %d records", maxCodes, maxRows, n)
	}
	if perRow := int64(dim*4 + 4 + 4 + 4 + 4 + 8); maxFile > int64(2*n)*perRow+1<<20 {
		t.Errorf("vector file up to %d bytes for %d records", maxFile, n)
	}
	mem, err := d.Memory()
	if err != nil {
		t.Fatal(err)
	}
	if mem.ListsUsed > mem.Lists || mem.RowsUsed > mem.Rows {
		t.Errorf("caches beyond their shares: %+v", mem)
	}
	if r := recallVsExact(t, d, "v", queries, 10, SearchRequest{}); r < recall0-0.05 {
		t.Errorf("recall@10 %.3f after churn, %.3f before", r, recall0)
	}
	refine := st.Index.ListMax + 1
	it, err := d.NewRecordIterator("v")
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		rec := it.Record()
		res, err := d.Search(ctx, "v", &SearchRequest{Vector: rec.Vector, K: 1, NProbe: 1, Refine: refine})
		if err != nil || len(res) != 1 || res[0].Distance != 0 {
			t.Fatalf("record %s's own vector: %v, %v", rec.ID, res, err)
		}
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
}

// TestCheckDuringSwap: a compaction that swaps in a new generation while
// CheckCollection runs, with records written during the compaction (so
// the new generation holds their codes in blocks its swap commits, which
// the check's snapshot, taken before the swap, lacks), does not make the
// check report live records without a code. Found by TestModel: the
// check took its snapshot, then the serving generation, and between the
// two a background compaction swapped.
func TestCheckDuringSwap(t *testing.T) {
	d := openTestDB(t, nil)
	fillCollection(t, d, "v", L2, 1000, 8, 1)
	ctx := context.Background()
	if _, err := d.BuildIndex(ctx, "v", &BuildOptions{Seed: 1, Lists: 16}); err != nil {
		t.Fatal(err)
	}
	reached, resume, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		_, err := d.Compact(ctx, "v", &BuildOptions{Progress: func(stage string, _, _ int) {
			if stage == "swapping" {
				close(reached)
				<-resume
			}
		}})
		done <- err
	}()
	<-reached
	// Written after the compaction's snapshot: its swap catches them up.
	putAll(t, d, "v", vectest.Clustered(2, 20, 8, 5, 0.5), 1000, 100, nil)
	defer func() { checkHook = nil }()
	checkHook = func() {
		checkHook = nil // once: a check that starts over is not interrupted again
		close(resume)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if err := d.CheckCollection("v"); err != nil {
		t.Fatalf("check during a compaction's swap: %v", err)
	}
	if st, err := d.Stats("v"); err != nil || st.Index.Generation != 2 || st.Count != 1020 {
		t.Fatalf("stats: %+v, %v; want generation 2 and 1020 records", st.Index, err)
	}
}

// TestSearchDuringSwap: a search that took the serving generation just
// before a compaction swapped a new one in, and reads its lists after
// the swap deleted the old generation's blocks, still finds the records
// whose codes were in those blocks (written since the old generation's
// build). A stress run of searches beside writes and compactions missed
// such records in 5% of the searches that straddled a swap.
func TestSearchDuringSwap(t *testing.T) {
	d := openTestDB(t, nil)
	fillCollection(t, d, "v", L2, 1000, 8, 1)
	ctx := context.Background()
	if _, err := d.BuildIndex(ctx, "v", &BuildOptions{Seed: 1, Lists: 4}); err != nil {
		t.Fatal(err)
	}
	vecs := vectest.Clustered(2, 50, 8, 5, 0.5)
	putAll(t, d, "v", vecs, 1000, 100, nil) // coded in blocks of generation 1
	defer func() { searchHook = nil }()
	searchHook = func() {
		searchHook = nil // once: a search that starts over is not interrupted again
		if _, err := d.Compact(ctx, "v", nil); err != nil {
			t.Error(err)
		}
	}
	res, err := d.Search(ctx, "v", &SearchRequest{Vector: vecs[7], K: 1, NProbe: 4, Refine: 5})
	if err != nil || len(res) != 1 || res[0].ID != "1007" || res[0].Distance != 0 {
		t.Fatalf("search for record 1007 across a swap: %+v, %v", res, err)
	}
	if st, err := d.Stats("v"); err != nil || st.Index.Generation != 2 {
		t.Fatalf("stats: %+v, %v; want generation 2", st.Index, err)
	}
}

// TestSearchesBesideSwaps searches, from another goroutine, for the
// records just written, each by its own vector with every list probed,
// while batch after batch is written and compacted (a swap each): every
// search finds its record. The codes of the latest records are in the
// serving generation's blocks until the next swap, so a search that
// loses them (a list source loaded while a write committed, a
// generation swapped out while read: TestWriteWhileSourceLoads,
// TestSearchDuringSwap) misses its record.
func TestSearchesBesideSwaps(t *testing.T) {
	rounds := 60
	if testing.Short() {
		rounds = 20
	}
	d := openTestDB(t, nil)
	fillCollection(t, d, "v", L2, 2000, 8, 1)
	ctx := context.Background()
	if _, err := d.BuildIndex(ctx, "v", &BuildOptions{Seed: 1, Lists: 8}); err != nil {
		t.Fatal(err)
	}
	const batch = 20
	vecs := vectest.Clustered(7, rounds*batch, 8, 50, 0.5)
	var written, searches atomic.Int64
	var stop atomic.Bool
	failed := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; !stop.Load(); i++ {
			n := int(written.Load())
			if n == 0 {
				continue
			}
			j := n - 1 - i%batch // the latest batch
			res, err := d.Search(ctx, "v", &SearchRequest{Vector: vecs[j], K: 1, NProbe: 8, Refine: 50})
			searches.Add(1)
			if err != nil || len(res) != 1 || res[0].Distance != 0 {
				failed <- fmt.Sprintf("search for record %d: %+v, %v", 5000+j, res, err)
				return
			}
		}
	}()
	for r := 0; r < rounds && len(failed) == 0; r++ {
		putAll(t, d, "v", vecs[r*batch:(r+1)*batch], 5000+r*batch, batch, nil)
		written.Store(int64((r + 1) * batch))
		if _, err := d.Compact(ctx, "v", nil); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	<-done
	select {
	case msg := <-failed:
		t.Fatal(msg)
	default:
	}
	t.Logf("%d searches beside %d swaps", searches.Load(), rounds)
}
