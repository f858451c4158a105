package query

import (
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
)

func TestFilterEvalLookups(t *testing.T) {
	ix := filterFuzzIndex()
	for _, tc := range []struct {
		in    string
		calls int // index look-ups besides All
	}{
		{`year = 3.5`, 0},
		{`NOT year = 3.5`, 0},
		{`tags IN ("a")`, 1},
		{`NOT NOT tags IN ("a")`, 1},
		{`tags IN ("a", "a", "b", "a")`, 2},
		{`tags NOT IN ("a", "b")`, 3},
		{`year != 1990`, 2},
		// The first term is empty, so the second is never read.
		{`genre = "nope" AND year > 0`, 1},
	} {
		t.Run(tc.in, func(t *testing.T) {
			f, err := CompileFilter(tc.in, ix.schema)
			if err != nil {
				t.Fatal(err)
			}
			ix.calls = 0
			got, err := f.Eval(ix)
			if err != nil {
				t.Fatal(err)
			}
			if ix.calls != tc.calls {
				t.Errorf("Eval(%s) made %d index look-ups, want %d", tc.in, ix.calls, tc.calls)
			}
			if want := ix.refEval(f.Expr()); !got.Equals(want) {
				t.Errorf("Eval(%s) = %v, want %v", tc.in, got.ToArray(), want.ToArray())
			}
		})
	}
}

func TestFilterEvalNil(t *testing.T) {
	ix := filterFuzzIndex()
	var f *Filter
	got, err := f.Eval(ix)
	if err != nil || !got.Equals(ix.live) {
		t.Fatalf("nil Filter: Eval = %v, %v; want every live document %v", got, err, ix.live.ToArray())
	}
	if f.String() != "" || f.Expr() != nil {
		t.Fatalf("nil Filter: String() = %q, Expr() = %v", f.String(), f.Expr())
	}
}

// failingIndex fails every look-up and returns nil bitmaps from All.
type failingIndex struct{ err error }

func (x failingIndex) All() (*roaring.Bitmap, error)               { return nil, nil }
func (x failingIndex) Equal(Field, Value) (*roaring.Bitmap, error) { return nil, x.err }
func (x failingIndex) Exists(Field) (*roaring.Bitmap, error)       { return nil, x.err }
func (x failingIndex) IntRange(Field, int64, int64) (*roaring.Bitmap, error) {
	return nil, x.err
}
func (x failingIndex) FloatRange(Field, float64, float64, bool, bool) (*roaring.Bitmap, error) {
	return nil, x.err
}

func TestFilterEvalError(t *testing.T) {
	errBoom := errors.New("boom")
	for _, in := range []string{`genre = "a"`, `NOT year > 1`, `EXISTS tags OR price < 1`, `tags NOT IN ("a") AND flag = TRUE`} {
		f, err := CompileFilter(in, testFilterSchema)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Eval(failingIndex{errBoom}); !errors.Is(err, errBoom) {
			t.Errorf("Eval(%s) = %v, want an error wrapping %v", in, err, errBoom)
		}
	}
	f, err := CompileFilter(`NOT year = 3.5`, testFilterSchema)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.Eval(failingIndex{errBoom}); err != nil || got == nil || !got.IsEmpty() {
		t.Errorf("Eval(NOT year = 3.5) over an empty index = %v, %v; want an empty bitmap", got, err)
	}
}
