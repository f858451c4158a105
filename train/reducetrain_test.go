package train

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/cockroachdb/errors"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train/reduce"
	"github.com/vecdb/vecdb/train/traintest"
)

// TestReduceCollection: PCA fitted on a sample of points on a plane in
// 10-d keeps their variance in 2 dimensions and writes every record's
// projection with its metadata; the stored projection gives the same
// vectors; a random projection writes its own; bad options are refused.
func TestReduceCollection(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	if err := d.CreateCollection(db.Schema{Name: "pts", Dim: 10, Metric: db.L2, Fields: []db.Field{{Name: "g", Type: db.Int}}}); err != nil {
		t.Fatal(err)
	}
	u, v := make([]float32, 10), make([]float32, 10)
	for i := range 10 {
		u[i], v[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	b := d.NewBatch()
	const n = 300
	for i := range n {
		a, c := float32(rng.NormFloat64()*3), float32(rng.NormFloat64())
		x := make([]float32, 10)
		for j := range x {
			x[j] = 5 + a*u[j] + c*v[j] + float32(rng.NormFloat64()*1e-3)
		}
		if err := b.Put("pts", strconv.Itoa(i), x, db.Meta{"g": i % 3}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	b.Close()
	st, err := Reduce(ctx, d, "pts", Output{DB: d, Collection: "pca"}, ReduceOptions{Kind: reduce.PCA, Dim: 2, Sample: 120})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sampled != 120 || st.Written != n || st.ExplainedVariance < 0.9999 {
		t.Fatalf("stats %+v", st)
	}
	m, err := LoadModel(d, "pca")
	if err != nil || m.Kind != "pca" || m.In != 10 || m.Out != 2 {
		t.Fatalf("stored model %+v, %v", m, err)
	}
	for _, id := range []string{"0", "150", "299"} {
		src, _ := d.Get("pts", id)
		got, err := d.Get("pca", id)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, 2)
		m.Embed(want, src.Vector)
		if got.Vector[0] != want[0] || got.Vector[1] != want[1] || got.Meta["g"] != src.Meta["g"] {
			t.Fatalf("record %s: %v %v, the stored projection gives %v", id, got.Vector, got.Meta, want)
		}
	}
	if st, err := Reduce(ctx, d, "pts", Output{DB: d, Collection: "rp"}, ReduceOptions{Kind: reduce.RP, Dim: 4, Seed: 3}); err != nil || st.Written != n {
		t.Fatalf("rp: %+v, %v", st, err)
	}
	if m, err := LoadModel(d, "rp"); err != nil || m.Kind != "rp" || m.Out != 4 {
		t.Fatalf("rp model %+v, %v", m, err)
	}
	for _, o := range []ReduceOptions{{Kind: reduce.RP, Dim: 2, Whiten: true}, {Kind: "svd", Dim: 2}, {Kind: reduce.PCA, Dim: 11}} {
		if _, err := Reduce(ctx, d, "pts", Output{DB: d, Collection: "x"}, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := d.Collection("x"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a refused reduction left its collection: %v", err)
	}
}
