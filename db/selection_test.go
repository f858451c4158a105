package db

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/cockroachdb/errors"
)

// TestSelection checks that searches restricted by selections equal the
// same restrictions given as filters and ID lists, exactly and through
// the index, and that selections follow their rules: another collection's
// is rejected, a record rewritten after the selection drops out of it.
func TestSelection(t *testing.T) {
	d := openTestDB(t, nil)
	ctx := context.Background()
	vecs := fillCollection(t, d, "v", L2, 3000, 8, 3)
	fillCollection(t, d, "w", L2, 10, 8, 4)
	if _, err := d.BuildIndex(ctx, "v", &BuildOptions{Seed: 1, Lists: 32}); err != nil {
		t.Fatal(err)
	}
	evens, err := d.Select("v", "g < 5")
	if err != nil {
		t.Fatal(err)
	}
	if evens.Len() != 1500 {
		t.Fatalf("Select(g < 5) has %d records, want 1500", evens.Len())
	}
	var seen []string
	for i := 0; i < 3000; i += 7 {
		seen = append(seen, strconv.Itoa(i))
	}
	seenSel, err := d.SelectIDs("v", append(slices.Clone(seen), "no-such-id"))
	if err != nil {
		t.Fatal(err)
	}
	if seenSel.Len() != uint64(len(seen)) {
		t.Fatalf("SelectIDs has %d records, want %d", seenSel.Len(), len(seen))
	}
	both := evens.Clone()
	if err := both.AndNot(seenSel); err != nil {
		t.Fatal(err)
	}
	for _, exact := range []bool{true, false} {
		for qi := range 20 {
			q := vecs[qi*97]
			got, err := d.Search(ctx, "v", &SearchRequest{Vector: q, K: 10, Allow: evens, Exclude: seenSel, Exact: exact})
			if err != nil {
				t.Fatal(err)
			}
			want, err := d.Search(ctx, "v", &SearchRequest{Vector: q, K: 10, Filter: "g < 5", ExcludeIDs: seen, Exact: exact})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), ids(want)) {
				t.Fatalf("exact=%v query %d: selections give %v, filter and IDs give %v", exact, qi, ids(got), ids(want))
			}
			combined, err := d.Search(ctx, "v", &SearchRequest{Vector: q, K: 10, Allow: both, Exact: exact})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(combined), ids(want)) {
				t.Fatalf("exact=%v query %d: combined selection gives %v, want %v", exact, qi, ids(combined), ids(want))
			}
		}
	}
	other, err := d.Select("w", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Search(ctx, "v", &SearchRequest{Vector: vecs[0], Allow: other}); !errors.Is(err, ErrInvalid) {
		t.Errorf("another collection's selection: %v, want ErrInvalid", err)
	}
	if err := evens.And(other); !errors.Is(err, ErrInvalid) {
		t.Errorf("combining selections of two collections: %v, want ErrInvalid", err)
	}
	if _, err := d.Select("v", "nope = 1"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad filter: %v, want ErrInvalid", err)
	}
	// Record "0" (g = 0, in evens) is rewritten: the selection no longer
	// holds it, though the filter still matches it.
	if err := d.Put("v", "0", vecs[1], Meta{"g": 0}); err != nil {
		t.Fatal(err)
	}
	res, err := d.Search(ctx, "v", &SearchRequest{Vector: vecs[1], K: 3000, Allow: evens, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(ids(res), "0") || len(res) != 1499 {
		t.Errorf("after rewriting record 0: %d results, record 0 included: %v", len(res), slices.Contains(ids(res), "0"))
	}
}
