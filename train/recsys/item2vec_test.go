package recsys

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestItem2VecPlanted(t *testing.T) {
	train, test := plantedSplit(t)
	ctx := context.Background()
	m, err := TrainItem2Vec(ctx, train, &Item2VecOptions{Dim: 16, Epochs: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Evaluate(ctx, m, train, test, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("item2vec on planted groups: %+v", got)
	if got.Users != 200 || got.Precision < 0.9 {
		t.Fatalf("item2vec precision@5 = %.3f over %d users, want >= 0.9 over 200", got.Precision, got.Users)
	}
}

func TestItem2VecDeterministic(t *testing.T) {
	train, _ := plantedSplit(t)
	ctx := context.Background()
	run := func(seed uint64) []float32 {
		m, err := TrainItem2Vec(ctx, train, &Item2VecOptions{Dim: 8, Epochs: 2, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return m.ItemVectors
	}
	a, b, c := run(1), run(1), run(2)
	if !slices.Equal(a, b) {
		t.Error("two one-thread runs with seed 1 differ")
	}
	if slices.Equal(a, c) {
		t.Error("seeds 1 and 2 give the same vectors")
	}
}

func TestItem2VecErrors(t *testing.T) {
	if _, err := TrainItem2Vec(context.Background(), NewBuilder(nil).Build(), nil); err == nil {
		t.Error("empty interactions accepted")
	}
	b := NewBuilder(nil)
	if err := b.Add("u", "i", 1, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := TrainItem2Vec(context.Background(), b.Build(), nil); err == nil {
		t.Error("interactions without a two-item user accepted")
	}
}

// TestItem2VecMovieLens requires NDCG@10 >= 1.3x popularity's on the
// evaluation split (-short: 3 epochs, a sanity bound of 0.5x).
func TestItem2VecMovieLens(t *testing.T) {
	_, train, test := loadMovieLens(t)
	ctx := context.Background()
	pop, err := Evaluate(ctx, NewPopularity(train), train, test, 10)
	if err != nil {
		t.Fatal(err)
	}
	opts := &Item2VecOptions{Seed: 1}
	want := 1.3 * pop.NDCG
	if testing.Short() {
		opts.Epochs, want = 3, 0.5*pop.NDCG
	}
	start := time.Now()
	m, err := TrainItem2Vec(ctx, train, opts)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	got, err := Evaluate(ctx, m, train, test, 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("item2vec: %s in %s (popularity NDCG@10 %.4f)", fmtMetrics(got), took, pop.NDCG)
	if got.NDCG < want {
		t.Errorf("item2vec NDCG@10 %.4f below %.4f (popularity's is %.4f)", got.NDCG, want, pop.NDCG)
	}
}
