package db

import (
	"context"
	"strconv"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/query"
)

// TestListCountsExact: a filtered probe counts each list's allowed records
// by intersecting the list's docs with the filter's live records, so the
// counts are exact as long as every live record sits in exactly one list
// of the serving index. That must hold across upserts (new vectors and
// metadata for existing IDs), deletes, records added after the build,
// reopen and a rebuild.
func TestListCountsExact(t *testing.T) {
	const n, dim = 3000, 8
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	fillCollection(t, d, "v", L2, n, dim, 5)
	ctx := context.Background()
	if _, err := d.BuildIndex(ctx, "v", &BuildOptions{Seed: 1, Lists: 32}); err != nil {
		t.Fatal(err)
	}
	check := func(step string) {
		t.Helper()
		if err := d.Check(); err != nil {
			t.Fatalf("%s: check: %v", step, err)
		}
		c, err := d.coll("v")
		if err != nil {
			t.Fatal(err)
		}
		held, unhold, err := d.acquireIndex(c)
		if err != nil {
			t.Fatal(err)
		}
		defer unhold()
		src, _, err := queryIndex(held, &SearchRequest{}, 10)
		ix, ok := src.(*query.IVF)
		if err != nil || !ok {
			t.Fatalf("%s: index %v, %v", step, src, err)
		}
		for _, filter := range []string{"g = 3", "g < 5", ""} {
			sel, err := d.Select("v", filter)
			if err != nil {
				t.Fatal(err)
			}
			seen := roaring.New()
			for l := range ix.IVF.NList {
				list, err := ix.Lists.Fetch(l)
				if err != nil {
					t.Fatal(err)
				}
				for _, doc := range list.Docs {
					if !sel.bm.Contains(doc) {
						continue // another filter's, or a deleted or replaced record's code
					}
					if seen.Contains(doc) {
						t.Fatalf("%s, %q: doc %d counted in two lists", step, filter, doc)
					}
					seen.Add(doc)
				}
			}
			if !seen.Equals(sel.bm) {
				t.Fatalf("%s, %q: lists count %d allowed records, the filter passes %d", step, filter, seen.GetCardinality(), sel.Len())
			}
		}
	}
	check("after the build")

	// Upsert 300 existing IDs with new vectors and new metadata.
	moved := vectest.Clustered(6, 300, dim, 10, 0.5)
	b := d.NewBatch()
	for i, v := range moved {
		if err := b.Put("v", strconv.Itoa(i*7), v, Meta{"g": (i*7 + 3) % 10}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	b.Close()
	check("after upserts")

	var gone []string
	for i := 1; i < n; i += 15 {
		gone = append(gone, strconv.Itoa(i))
	}
	if _, err := d.Delete("v", gone...); err != nil {
		t.Fatal(err)
	}
	check("after deletes")

	for i, v := range vectest.Clustered(7, 300, dim, 10, 0.5) {
		if err := d.Put("v", "new"+strconv.Itoa(i), v, Meta{"g": i % 10}); err != nil {
			t.Fatal(err)
		}
	}
	check("after new records")

	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTestDBAt(t, dir, nil)
	check("after reopen")

	if _, err := d.BuildIndex(ctx, "v", &BuildOptions{Seed: 2, Lists: 16}); err != nil {
		t.Fatal(err)
	}
	check("after a rebuild")
}
