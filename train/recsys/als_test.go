package recsys

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// plantedSplit returns the planted data set the trainer tests share (5
// groups of 40 users and 20 items, 2% noise) split in half at random.
func plantedSplit(t testing.TB) (train *Interactions, test [][]int32) {
	t.Helper()
	in := planted(t, 1, 5, 40, 20, 0.02)
	train, test, err := Split(in, 0.5, SplitRandom, 1)
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

func smallALSOptions() *ALSOptions {
	return &ALSOptions{Factors: 16, Lambda: 1, Alpha: 1, Iterations: 10, Seed: 1}
}

func TestALSPlanted(t *testing.T) {
	train, test := plantedSplit(t)
	ctx := context.Background()
	m, err := TrainALS(ctx, train, smallALSOptions())
	if err != nil {
		t.Fatal(err)
	}
	got, err := Evaluate(ctx, m, train, test, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ALS on planted groups: %+v", got)
	if got.Users != 200 || got.Precision < 0.9 {
		t.Fatalf("ALS precision@5 = %.3f over %d users, want >= 0.9 over 200", got.Precision, got.Users)
	}
}

func TestALSObjectiveNeverIncreases(t *testing.T) {
	train, _ := plantedSplit(t)
	for _, o := range []ALSOptions{
		{Factors: 16, Lambda: 1, Alpha: 1, Iterations: 40, Seed: 1},
		{Factors: 8, Lambda: 0.01, Alpha: 20, Iterations: 40, Seed: 2},
		{Factors: 32, Lambda: 40, Alpha: 1, Iterations: 40, Seed: 3},
	} {
		if testing.Short() {
			o.Iterations = 15
		}
		var objs []float64
		o.Progress = func(it int, obj float64) {
			if it != len(objs)+1 {
				t.Fatalf("Progress iteration %d after %d calls", it, len(objs))
			}
			objs = append(objs, obj)
		}
		if _, err := TrainALS(context.Background(), train, &o); err != nil {
			t.Fatal(err)
		}
		if len(objs) != o.Iterations {
			t.Fatalf("%d Progress calls, want %d", len(objs), o.Iterations)
		}
		// Each half-step is an exact minimisation, so the objective cannot
		// rise; once converged, successive values agree to about 1e-13
		// (float32 factors, float64 evaluation) and may wobble there.
		for k := 1; k < len(objs); k++ {
			if objs[k] > objs[k-1]*(1+1e-11) {
				t.Fatalf("factors %d lambda %v alpha %v: objective rose at iteration %d: %.12g -> %.12g (all: %v)",
					o.Factors, o.Lambda, o.Alpha, k+1, objs[k-1], objs[k], objs)
			}
		}
		if !(objs[len(objs)-1] < objs[0]) {
			t.Fatalf("objective did not decrease: %v", objs)
		}
		t.Logf("lambda %v alpha %v: objective %.6g -> %.6g", o.Lambda, o.Alpha, objs[0], objs[len(objs)-1])
	}
}

func TestALSDeterministic(t *testing.T) {
	train, _ := plantedSplit(t)
	ctx := context.Background()
	var models []*Model
	for _, threads := range []int{1, 1, 3} {
		o := smallALSOptions()
		o.Threads = threads
		m, err := TrainALS(ctx, train, o)
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, m)
	}
	for k, m := range models[1:] {
		if !slices.Equal(m.UserFactors, models[0].UserFactors) || !slices.Equal(m.ItemFactors, models[0].ItemFactors) {
			t.Fatalf("run %d differs from run 0 (threads 1, 1, 3)", k+1)
		}
	}
	o := smallALSOptions()
	o.Seed = 2
	m, err := TrainALS(ctx, train, o)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(m.UserFactors, models[0].UserFactors) {
		t.Fatal("seeds 1 and 2 gave identical factors")
	}
}

func TestALSCancel(t *testing.T) {
	train, _ := plantedSplit(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TrainALS(ctx, train, smallALSOptions()); err != context.Canceled {
		t.Fatalf("TrainALS(cancelled ctx) = %v, want context.Canceled", err)
	}
	// Cancel during training, from the first Progress call: training stops
	// before the next iteration finishes.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	o := smallALSOptions()
	o.Iterations = 1000
	calls := 0
	o.Progress = func(int, float64) { calls++; cancel() }
	start := time.Now()
	if _, err := TrainALS(ctx, train, o); err != context.Canceled {
		t.Fatalf("TrainALS(cancelled mid-way) = %v, want context.Canceled", err)
	}
	if calls != 1 {
		t.Fatalf("%d Progress calls after cancelling in the first", calls)
	}
	t.Logf("returned %v after cancel", time.Since(start))
}

func TestALSOptions(t *testing.T) {
	train, _ := plantedSplit(t)
	for _, tc := range []struct {
		o    ALSOptions
		want string
	}{
		{ALSOptions{Factors: -1}, "factors"},
		{ALSOptions{Factors: maxFactors + 1}, "factors"},
		{ALSOptions{Iterations: -3}, "iterations"},
		{ALSOptions{Lambda: -1}, "lambda"},
		{ALSOptions{Lambda: nan()}, "lambda"},
		{ALSOptions{Alpha: -1}, "alpha"},
		{ALSOptions{Threads: -1}, "threads"},
	} {
		if _, err := TrainALS(context.Background(), train, &tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("TrainALS(%+v) = %v, want an error about %s", tc.o, err, tc.want)
		}
	}
	if _, err := TrainALS(context.Background(), nil, nil); err == nil {
		t.Error("TrainALS(nil) = nil error")
	}
	d := DefaultALSOptions()
	var z ALSOptions
	z.EnsureDefaults()
	if z.Factors != d.Factors || z.Lambda != d.Lambda || z.Alpha != d.Alpha || z.Iterations != d.Iterations {
		t.Errorf("EnsureDefaults on zero = %+v, want %+v", z, d)
	}
}
