package db

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cockroachdb/errors"
)

// The fixture testdata/v1db is a database the previous release (format
// version 1, no vector files) wrote with its own CLI: a collection "items"
// (3,000 8-d records with an int and a keyword field, an index of 16
// lists, 60 records written after the build, 6 deleted) and a collection
// "small" (200 4-d cosine records, no index). testdata/v1db.answers.json
// holds that release's answers to 22 searches (IVF, exact, filtered, by
// ID), as its `vecdb search --json` printed them.

// v1Answer is one recorded search and its results.
type v1Answer struct {
	Collection string    `json:"collection"`
	Vector     []float32 `json:"vector"`
	ID         string    `json:"id"`
	K          int       `json:"k"`
	Exact      bool      `json:"exact"`
	Filter     string    `json:"filter"`
	NProbe     int       `json:"nprobe"`
	Results    []struct {
		ID       string  `json:"id"`
		Distance float32 `json:"distance"`
	} `json:"results"`
}

// copyV1DB copies the fixture into a fresh directory.
func copyV1DB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir("../testdata/v1db")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("../testdata/v1db", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkV1Answers runs the recorded searches and compares IDs and
// distances with what the previous release answered.
func checkV1Answers(t *testing.T, d *DB, when string) {
	t.Helper()
	b, err := os.ReadFile("../testdata/v1db.answers.json")
	if err != nil {
		t.Fatal(err)
	}
	var answers []v1Answer
	if err := json.Unmarshal(b, &answers); err != nil {
		t.Fatal(err)
	}
	for i, a := range answers {
		res, err := d.Search(context.Background(), a.Collection, &SearchRequest{Vector: a.Vector, ID: a.ID, K: a.K, Exact: a.Exact, Filter: a.Filter, NProbe: a.NProbe})
		if err != nil {
			t.Fatalf("%s: search %d: %v", when, i, err)
		}
		ok := len(res) == len(a.Results)
		for j := 0; ok && j < len(res); j++ {
			ok = res[j].ID == a.Results[j].ID && res[j].Distance == a.Results[j].Distance
		}
		if !ok {
			t.Fatalf("%s: search %d (%+v): got %v, the previous release answered %v", when, i, a, res, a.Results)
		}
	}
}

// TestPreviousReleaseDatabase opens the previous release's database: it
// serves as it is, read-only and writable, with the same answers; an index
// build asks for the explicit migration; Migrate gives the index a vector
// file, keeps every answer, and is idempotent.
func TestPreviousReleaseDatabase(t *testing.T) {
	dir := copyV1DB(t)
	d := openTestDBAt(t, dir, &Options{ReadOnly: true})
	checkV1Answers(t, d, "read-only, format 1")
	st, err := d.Stats("items")
	if err != nil || st.Index == nil || st.Index.VectorFile || st.Count != 3054 {
		t.Fatalf("stats of the format-1 index: %+v, %v", st, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d = openTestDBAt(t, dir, nil)
	checkV1Answers(t, d, "writable, format 1")
	if _, err := d.BuildIndex(context.Background(), "items", nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("build on format 1 = %v, want an error asking for the migration", err)
	}
	// Writes that format 1 knows stay allowed, and are indexed.
	if err := d.Put("items", "new", []float32{9, 9, 9, 9, 9, 9, 9, 9}, Meta{"g": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Delete("items", "new"); err != nil {
		t.Fatal(err)
	}
	ms, err := d.Migrate(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ms.From != 1 || !slices.Equal(ms.Rewritten, []string{"items"}) {
		t.Fatalf("migrate: %+v", ms)
	}
	checkV1Answers(t, d, "migrated")
	if st, err := d.Stats("items"); err != nil || !st.Index.VectorFile || st.Index.VectorFileRows != 3054 {
		t.Fatalf("stats after the migration: %+v, %v", st.Index, err)
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	if ms, err := d.Migrate(context.Background(), nil); err != nil || ms.From != FormatVersion || len(ms.Rewritten) != 0 {
		t.Fatalf("second migrate: %+v, %v", ms, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTestDBAt(t, dir, &Options{ReadOnly: true})
	checkV1Answers(t, d, "migrated, reopened read-only")
	if _, err := d.BuildIndex(context.Background(), "small", nil); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("build read-only = %v", err)
	}
}
