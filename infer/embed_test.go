package infer

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/cockroachdb/errors"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/reduce"
	"github.com/vecdb/vecdb/train/traintest"
)

// TestEmbeddedFollowsRetrain: a vector of the model's input dimension is
// embedded by the collection's model, which the cache keeps until a
// retrain swaps in another; a vector of the collection's own dimension
// passes as it is, and any other length is a dimension error naming both.
func TestEmbeddedFollowsRetrain(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	if err := d.CreateCollection(db.Schema{Name: "src", Dim: 6, Metric: db.L2}); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		v := make([]float32, 6)
		for j := range v {
			v[j] = float32((i*5+j*3)%11) - 5
		}
		if err := d.Put("src", strconv.Itoa(i), v, nil); err != nil {
			t.Fatal(err)
		}
	}
	raw := []float32{1, -2, 3, 0.5, 4, -1}
	project := func(seed uint64) []float32 {
		t.Helper()
		if _, err := train.Reduce(ctx, d, "src", train.Output{DB: d, Collection: "out"}, train.ReduceOptions{Kind: reduce.RP, Dim: 3, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		p, err := reduce.RandomProjection(6, 3, seed)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, 3)
		p.Apply(want, raw)
		got, err := Embedded(d, "out", 3, raw)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: embedded %v, the projection gives %v", seed, got, want)
		}
		return got
	}
	first := project(1)
	if second := project(2); slices.Equal(first, second) {
		t.Fatalf("after the retrain the cached model of the first training still answered: %v", second)
	}
	own := []float32{1, 2, 3}
	if got, err := Embedded(d, "out", 3, own); err != nil || !slices.Equal(got, own) {
		t.Fatalf("a vector of the collection's dimension: %v, %v", got, err)
	}
	if _, err := Embedded(d, "out", 3, []float32{1, 2}); !errors.Is(err, db.ErrDimensionMismatch) {
		t.Fatalf("a vector of neither dimension: %v", err)
	}
	if _, err := Embedded(d, "src", 6, []float32{1, 2}); !errors.Is(err, db.ErrDimensionMismatch) {
		t.Fatalf("a collection no model made: %v", err)
	}
}
