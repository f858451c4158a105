package db

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
)

// openTestDB opens a database in a temporary directory; cleanup checks its
// consistency and closes it.
func openTestDB(t testing.TB, opts *Options) *DB {
	t.Helper()
	return openTestDBAt(t, t.TempDir(), opts)
}

func openTestDBAt(t testing.TB, dir string, opts *Options) *DB {
	t.Helper()
	if opts == nil {
		opts = &Options{NoSync: true}
	}
	d, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if d.closed.Load() {
			return
		}
		if err := d.Check(); err != nil {
			t.Errorf("Check: %v", err)
		}
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

func mustCreate(t testing.TB, d *DB, s Schema) {
	t.Helper()
	if err := d.CreateCollection(s); err != nil {
		t.Fatalf("CreateCollection(%s): %v", s.Name, err)
	}
}

var testSchema = Schema{Name: "docs", Dim: 3, Metric: L2, Fields: []Field{
	{Name: "color", Type: Keyword},
	{Name: "tags", Type: Keywords},
	{Name: "year", Type: Int},
	{Name: "price", Type: Float},
	{Name: "sold", Type: Bool},
}}

func TestOpenCloseRoundTrip(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	mustCreate(t, d, testSchema)
	meta := Meta{"color": "red", "tags": []string{"b", "a"}, "year": 1999, "price": 2.5, "sold": true}
	if err := d.Put("docs", "x", []float32{1, 2, 3}, meta); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := d.Get("docs", "x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close = %v, want ErrClosed", err)
	}
	d2 := openTestDBAt(t, dir, nil)
	rec, err := d2.Get("docs", "x")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.Vector, []float32{1, 2, 3}) {
		t.Errorf("vector = %v", rec.Vector)
	}
	want := Meta{"color": "red", "tags": []string{"a", "b"}, "year": int64(1999), "price": 2.5, "sold": true}
	if !metaEqual(rec.Meta, want) {
		t.Errorf("meta = %#v, want %#v", rec.Meta, want)
	}
	s, err := d2.Collection("docs")
	if err != nil {
		t.Fatal(err)
	}
	if s.Dim != 3 || s.Metric != L2 || !slices.Equal(s.Fields, testSchema.Fields) {
		t.Errorf("schema after reopen = %+v", s)
	}
}

func metaEqual(a, b Meta) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok {
			return false
		}
		if vs, ok := v.([]string); ok {
			ws, ok := w.([]string)
			if !ok || !slices.Equal(vs, ws) {
				return false
			}
			continue
		}
		if v != w {
			return false
		}
	}
	return true
}

func TestSchemaValidation(t *testing.T) {
	d := openTestDB(t, nil)
	for _, tc := range []struct {
		name string
		s    Schema
	}{
		{"empty name", Schema{Name: "", Dim: 2, Metric: L2}},
		{"bad name", Schema{Name: "a b", Dim: 2, Metric: L2}},
		{"zero dim", Schema{Name: "a", Dim: 0, Metric: L2}},
		{"huge dim", Schema{Name: "a", Dim: MaxDim + 1, Metric: L2}},
		{"bad metric", Schema{Name: "a", Dim: 2, Metric: 9}},
		{"dup field", Schema{Name: "a", Dim: 2, Metric: L2, Fields: []Field{{Name: "f", Type: Int}, {Name: "f", Type: Int}}}},
		{"bad field type", Schema{Name: "a", Dim: 2, Metric: L2, Fields: []Field{{Name: "f", Type: 0}}}},
		{"bad field name", Schema{Name: "a", Dim: 2, Metric: L2, Fields: []Field{{Name: "", Type: Int}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := d.CreateCollection(tc.s); !errors.Is(err, ErrInvalid) {
				t.Fatalf("CreateCollection(%+v) = %v, want ErrInvalid", tc.s, err)
			}
		})
	}
	mustCreate(t, d, Schema{Name: "a", Dim: 2, Metric: Cosine})
	if err := d.CreateCollection(Schema{Name: "a", Dim: 2, Metric: L2}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate create = %v, want ErrExists", err)
	}
}

func TestRecordValidation(t *testing.T) {
	d := openTestDB(t, nil)
	mustCreate(t, d, testSchema)
	mustCreate(t, d, Schema{Name: "cos", Dim: 2, Metric: Cosine})
	nan := float32(0)
	nan = nan / nan
	long := string(make([]byte, MaxIDLen+1))
	for _, tc := range []struct {
		name, coll, id string
		vec            []float32
		meta           Meta
		is             error
		contains       string
	}{
		{"wrong dim", "docs", "r1", []float32{1, 2}, nil, ErrDimensionMismatch, `record "r1": vector has 2 values`},
		{"nan", "docs", "r2", []float32{1, nan, 3}, nil, ErrInvalid, `record "r2": vector value 1 is NaN`},
		{"empty id", "docs", "", []float32{1, 2, 3}, nil, ErrInvalid, "empty record ID"},
		{"long id", "docs", long, []float32{1, 2, 3}, nil, ErrInvalid, "at most 1024"},
		{"unknown field", "docs", "r3", []float32{1, 2, 3}, Meta{"colour": "red"}, ErrInvalid, `record "r3": unknown field "colour"`},
		{"int as string", "docs", "r4", []float32{1, 2, 3}, Meta{"year": "1999"}, ErrInvalid, `record "r4": field "year": want int, got "1999"`},
		{"int fraction", "docs", "r5", []float32{1, 2, 3}, Meta{"year": 3.5}, ErrInvalid, `field "year": want int, got 3.5`},
		{"keyword number", "docs", "r6", []float32{1, 2, 3}, Meta{"color": 3}, ErrInvalid, `field "color": want keyword`},
		{"keywords mixed", "docs", "r7", []float32{1, 2, 3}, Meta{"tags": []any{"a", 1.0}}, ErrInvalid, `field "tags": want a list of strings`},
		{"bool string", "docs", "r8", []float32{1, 2, 3}, Meta{"sold": "yes"}, ErrInvalid, `field "sold": want bool`},
		{"float nan", "docs", "r9", []float32{1, 2, 3}, Meta{"price": float64(nan)}, ErrInvalid, `field "price": want a finite float`},
		{"zero cosine", "cos", "z", []float32{0, 0}, nil, ErrInvalid, "zero vector"},
		{"no collection", "nope", "z", []float32{0, 0}, nil, ErrNotFound, `collection "nope" does not exist`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := d.NewBatch()
			defer b.Close()
			if err := b.Put("docs", "good", make([]float32, 3), nil); err != nil {
				t.Fatal(err)
			}
			err := b.Put(tc.coll, tc.id, tc.vec, tc.meta)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("Put = %v, want %v containing %q", err, tc.is, tc.contains)
			}
			if err := d.Apply(b, nil); err == nil {
				t.Fatal("Apply of a batch with a bad record succeeded")
			}
			if _, err := d.Get("docs", "good"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("good record of a failed batch: Get = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestUpsertReplacesMetadata(t *testing.T) {
	d := openTestDB(t, nil)
	mustCreate(t, d, testSchema)
	ctx := context.Background()
	if err := d.Put("docs", "a", []float32{0, 0, 0}, Meta{"color": "red", "year": 2000}); err != nil {
		t.Fatal(err)
	}
	if err := d.Put("docs", "a", []float32{1, 0, 0}, Meta{"color": "blue"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{`color = "red"`, 0}, {`color = "blue"`, 1}, {`year = 2000`, 0}, {`EXISTS year`, 0}, {`NOT EXISTS year`, 1},
	} {
		res, err := d.Search(ctx, "docs", &SearchRequest{Vector: []float32{0, 0, 0}, Filter: tc.filter})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != tc.want {
			t.Errorf("filter %s: %d results, want %d", tc.filter, len(res), tc.want)
		}
	}
	if n, _ := d.Count("docs"); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
	rec, err := d.Get("docs", "a")
	if err != nil || rec.Vector[0] != 1 {
		t.Fatalf("Get = %+v, %v", rec, err)
	}
}

func TestReimportIsNoop(t *testing.T) {
	d := openTestDB(t, nil)
	mustCreate(t, d, testSchema)
	put := func() {
		b := d.NewBatch()
		defer b.Close()
		for i := range 10 {
			if err := b.Put("docs", string(rune('a'+i)), []float32{float32(i), 0, 0}, Meta{"year": i}); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Apply(b, nil); err != nil {
			t.Fatal(err)
		}
	}
	put()
	st1, _ := d.Stats("docs")
	put()
	st2, _ := d.Stats("docs")
	if st1.NextDocID != st2.NextDocID || st2.Count != 10 {
		t.Fatalf("re-import allocated doc ids: %d -> %d (count %d)", st1.NextDocID, st2.NextDocID, st2.Count)
	}
}

func TestDeleteAndDrop(t *testing.T) {
	d := openTestDB(t, nil)
	mustCreate(t, d, testSchema)
	for i, id := range []string{"a", "b", "c"} {
		if err := d.Put("docs", id, []float32{float32(i), 0, 0}, Meta{"color": "red"}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := d.Delete("docs", "b", "zz")
	if err != nil || n != 1 {
		t.Fatalf("Delete = %d, %v; want 1", n, err)
	}
	if _, err := d.Get("docs", "b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get deleted = %v", err)
	}
	res, err := d.Search(context.Background(), "docs", &SearchRequest{Vector: []float32{1, 0, 0}, K: 5, Filter: `color = "red"`})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("search after delete = %v", got)
	}
	if err := d.DropCollection("docs"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get("docs", "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after drop = %v", err)
	}
	// Nothing of the dropped collection remains.
	it, err := d.pdb.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	for it.First(); it.Valid(); it.Next() {
		if k := it.Key(); k[0] != famMeta {
			t.Errorf("key %x left after drop", k)
		}
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	// A new collection of the same name starts empty.
	mustCreate(t, d, testSchema)
	if n, _ := d.Count("docs"); n != 0 {
		t.Fatalf("recreated collection has %d records", n)
	}
}

func ids(res []Result) []string {
	out := make([]string, len(res))
	for i, r := range res {
		out[i] = r.ID
	}
	return out
}

func TestReadOnlyAndLocking(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	d, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, d, testSchema)
	if err := d.Put("docs", "a", []float32{1, 2, 3}, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	r1, err := Open(dir, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(dir, &Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("second read-only open: %v", err)
	}
	defer r2.Close()
	if _, err := r2.Get("docs", "a"); err != nil {
		t.Fatal(err)
	}
	if err := r1.Put("docs", "b", []float32{1, 2, 3}, nil); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Put on read-only = %v, want ErrReadOnly", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing"), &Options{ReadOnly: true}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read-only open of a missing dir = %v, want ErrNotFound", err)
	}
}

func TestCosineStoresNormalized(t *testing.T) {
	d := openTestDB(t, nil)
	mustCreate(t, d, Schema{Name: "c", Dim: 2, Metric: Cosine})
	if err := d.Put("c", "a", []float32{3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	rec, err := d.Get("c", "a")
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(rec.Vector[0])-0.6) > 1e-6 || math.Abs(float64(rec.Vector[1])-0.8) > 1e-6 {
		t.Fatalf("stored %v, want [0.6 0.8]", rec.Vector)
	}
}
