package db

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSlowFetchOfResidentRows: a Fetch that looks slow (its goroutine
// waited for a CPU) starts no prefetching while the rows are in memory,
// and does once they are not.
func TestSlowFetchOfResidentRows(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	if err := d.CreateCollection(Schema{Name: "v", Dim: 32, Metric: L2}); err != nil {
		t.Fatal(err)
	}
	b := d.NewBatch()
	for i := range 3000 {
		v := make([]float32, 32)
		for j := range v {
			v[j] = float32((i*31+j*7)%101) / 101
		}
		if err := b.Put("v", strconv.Itoa(i), v, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, err := d.BuildIndex(context.Background(), "v", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Search(context.Background(), "v", &SearchRequest{Vector: make([]float32, 32), K: 1}); err != nil {
		t.Fatal(err) // loads the vector file
	}
	c, err := d.coll("v")
	if err != nil {
		t.Fatal(err)
	}
	src := c.ix.Load().src.Load()
	if src == nil || src.seg == nil {
		t.Fatal("the build wrote no vector file")
	}
	seg := src.seg
	var sum float32
	for r := range int(seg.shape.rows) { // bring every row into memory
		row, err := seg.row(r)
		if err != nil {
			t.Fatal(err)
		}
		sum += row[0]
	}
	slow := time.Duration(10*slowRowNs) * 10 // 10 rows at 10x the threshold each
	seg.observeFetch(10, slow)
	if n := seg.prefetch.Load(); n != 0 {
		t.Fatalf("rows in memory: a slow fetch started %d prefetching fetches", n)
	}

	// Out of memory: unmapped from this process, then dropped from the
	// page cache.
	if err := unix.Madvise(seg.data, unix.MADV_DONTNEED); err != nil {
		t.Skipf("madvise: %v", err)
	}
	f, err := os.Open(segmentPath(dir, c.id, c.ix.Load().gen))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Skipf("fadvise: %v", err)
	}
	if in := residentBytes(seg.data); in > int64(len(seg.data))/2 {
		t.Skipf("the kernel kept %d of %d bytes in memory", in, len(seg.data))
	}
	seg.residentAt.Store(0) // measure again now
	seg.observeFetch(10, slow)
	if n := seg.prefetch.Load(); n != prefetchRuns {
		t.Fatalf("rows out of memory: a slow fetch left %d prefetching fetches, want %d", n, prefetchRuns)
	}
	_ = sum
}
