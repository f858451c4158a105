package recsys

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/internal/vectest"
)

// loadMovieLens reads MovieLens-100k u.data (skipping when the data set is
// missing) and splits it with the evaluation protocol: random 20% hold-out,
// seed 1.
func loadMovieLens(tb testing.TB) (all, train *Interactions, test [][]int32) {
	tb.Helper()
	path := filepath.Join(vectest.DataDir(tb, "movielens-100k"), "u.data")
	r, err := vecio.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() {
		if err := r.Close(); err != nil {
			tb.Error(err)
		}
	}()
	all, err = ReadInteractions(r, ReadOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	train, test, err = Split(all, 0.2, SplitRandom, 1)
	if err != nil {
		tb.Fatal(err)
	}
	return all, train, test
}

// TestMovieLens trains ALS and BPR with their defaults on MovieLens-100k
// (random 20% hold-out, seed 1) and requires NDCG@10 of at least 1.3 times
// the popularity baseline. -short trims the iterations.
func TestMovieLens(t *testing.T) {
	all, train, test := loadMovieLens(t)
	if all.NumUsers() != 943 || all.NumItems() != 1682 || all.Len() != 100000 {
		t.Fatalf("u.data: %d users, %d items, %d pairs; want 943, 1682, 100000", all.NumUsers(), all.NumItems(), all.Len())
	}
	ctx := context.Background()
	const k = 10
	pop, err := Evaluate(ctx, NewPopularity(train), train, test, k)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("popularity:  %s", fmtMetrics(pop))
	if pop.Users != 943 {
		t.Fatalf("%d users evaluated, want 943 (every MovieLens user has at least 20 ratings)", pop.Users)
	}

	alsOpts := DefaultALSOptions()
	bprOpts := DefaultBPROptions()
	if testing.Short() {
		// About a tenth of the work; NDCG@10 is still about 2x (ALS) and
		// 1.65x (BPR) popularity.
		alsOpts.Factors, alsOpts.Iterations = 32, 4
		bprOpts.Factors, bprOpts.Epochs = 32, 15
	}
	start := time.Now()
	als, err := TrainALS(ctx, train, &alsOpts)
	if err != nil {
		t.Fatal(err)
	}
	alsTime := time.Since(start)
	alsM, err := Evaluate(ctx, als, train, test, k)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ALS:         %s (%d factors, %d iterations in %v)", fmtMetrics(alsM), alsOpts.Factors, alsOpts.Iterations, alsTime.Round(time.Millisecond))

	start = time.Now()
	bpr, err := TrainBPR(ctx, train, &bprOpts)
	if err != nil {
		t.Fatal(err)
	}
	bprTime := time.Since(start)
	bprM, err := Evaluate(ctx, bpr, train, test, k)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("BPR:         %s (%d factors, %d epochs in %v)", fmtMetrics(bprM), bprOpts.Factors, bprOpts.Epochs, bprTime.Round(time.Millisecond))

	for _, c := range []struct {
		name string
		m    Metrics
	}{{"ALS", alsM}, {"BPR", bprM}} {
		if c.m.NDCG < 1.3*pop.NDCG {
			t.Errorf("%s NDCG@10 = %.4f, want >= 1.3 x popularity %.4f = %.4f", c.name, c.m.NDCG, pop.NDCG, 1.3*pop.NDCG)
		}
	}

	// Fold-in reproduces trained users on real data too.
	fo, err := NewFolder(als.ItemFactors, als.Dim, &alsOpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []int{0, 1, 500, 942} {
		items, ws := train.UserRow(u)
		x, err := fo.FoldIn(items, ws, nil)
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(x, als.UserRow(u)); e > 1e-3 {
			t.Errorf("fold-in of user %d: relative error %.3g, want < 1e-3", u, e)
		}
	}
}

func fmtMetrics(m Metrics) string {
	return fmt.Sprintf("P@10 %.4f  R@10 %.4f  NDCG@10 %.4f  MAP@10 %.4f  (%d users)", m.Precision, m.Recall, m.NDCG, m.MAP, m.Users)
}

// BenchmarkTrainMovieLens times each trainer with its defaults on the
// evaluation split and reports the ranking quality of the last model.
func BenchmarkTrainMovieLens(b *testing.B) {
	_, train, test := loadMovieLens(b)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		fit  func() (Scorer, error)
	}{
		{"als", func() (Scorer, error) { return TrainALS(ctx, train, nil) }},
		{"bpr", func() (Scorer, error) { return TrainBPR(ctx, train, nil) }},
		{"item2vec", func() (Scorer, error) { return TrainItem2Vec(ctx, train, nil) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var m Scorer
			var err error
			for b.Loop() {
				if m, err = tc.fit(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			got, err := Evaluate(ctx, m, train, test, 10)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(got.NDCG, "ndcg@10")
			b.ReportMetric(got.Precision, "p@10")
		})
	}
}

func BenchmarkEvaluateMovieLens(b *testing.B) {
	_, train, test := loadMovieLens(b)
	m, err := TrainALS(context.Background(), train, &ALSOptions{Iterations: 2})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(context.Background(), m, train, test, 10); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(943*b.N)/b.Elapsed().Seconds(), "users/s")
}

func BenchmarkReadInteractionsMovieLens(b *testing.B) {
	path := filepath.Join(vectest.DataDir(b, "movielens-100k"), "u.data")
	b.ReportAllocs()
	for b.Loop() {
		r, err := vecio.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ReadInteractions(r, ReadOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
