package recsys

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
)

func smallBPROptions() *BPROptions {
	return &BPROptions{Factors: 16, Epochs: 30, LearningRate: 0.05, Lambda: 0.01, Threads: 1, Seed: 1}
}

func TestBPRPlanted(t *testing.T) {
	train, test := plantedSplit(t)
	ctx := context.Background()
	for _, bias := range []bool{false, true} {
		o := smallBPROptions()
		o.ItemBias = bias
		var losses []float64
		o.Progress = func(epoch int, loss float64) { losses = append(losses, loss) }
		m, err := TrainBPR(ctx, train, o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Evaluate(ctx, m, train, test, 5)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("BPR (item bias %v) on planted groups: %+v; loss %.4f -> %.4f", bias, got, losses[0], losses[len(losses)-1])
		if got.Users != 200 || got.Precision < 0.9 {
			t.Fatalf("BPR precision@5 = %.3f over %d users, want >= 0.9 over 200", got.Precision, got.Users)
		}
		if len(losses) != o.Epochs || !(losses[0] < math.Ln2+0.05) || !(losses[len(losses)-1] < losses[0]/2) {
			t.Fatalf("BPR losses %v: want %d epochs, starting near ln 2 and at least halving", losses, o.Epochs)
		}
		if bias != (m.ItemBias != nil) {
			t.Fatalf("ItemBias %v but model biases %v", bias, m.ItemBias)
		}
	}
}

func TestBPRDeterministic(t *testing.T) {
	// 640 items and 160 users allow two blocks, so Threads 2 runs the
	// parallel path.
	train, _, err := Split(planted(t, 2, 8, 20, 80, 0.01), 0.2, SplitRandom, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, threads := range []int{1, 2} {
		var models []*Model
		for range 2 {
			o := smallBPROptions()
			o.Epochs = 5
			o.Threads = threads
			m, err := TrainBPR(ctx, train, o)
			if err != nil {
				t.Fatal(err)
			}
			models = append(models, m)
		}
		if !slices.Equal(models[0].UserFactors, models[1].UserFactors) || !slices.Equal(models[0].ItemFactors, models[1].ItemFactors) {
			t.Fatalf("threads %d: two runs with the same seed differ", threads)
		}
	}
	o := smallBPROptions()
	o.Epochs = 2
	a, _ := TrainBPR(ctx, train, o)
	o.Seed = 2
	b, _ := TrainBPR(ctx, train, o)
	if slices.Equal(a.UserFactors, b.UserFactors) {
		t.Fatal("seeds 1 and 2 gave identical factors")
	}
}

func TestBPRParallelQuality(t *testing.T) {
	in := planted(t, 3, 8, 20, 80, 0.01)
	train, test, err := Split(in, 0.5, SplitRandom, 1)
	if err != nil {
		t.Fatal(err)
	}
	o := smallBPROptions()
	o.Threads = 2
	m, err := TrainBPR(context.Background(), train, o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Evaluate(context.Background(), m, train, test, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("BPR, 2 threads, 8 planted groups: %+v", got)
	if got.Precision < 0.9 {
		t.Fatalf("2-thread BPR precision@5 = %.3f, want >= 0.9", got.Precision)
	}
}

func TestBPRCancel(t *testing.T) {
	train, _ := plantedSplit(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TrainBPR(ctx, train, smallBPROptions()); err != context.Canceled {
		t.Fatalf("TrainBPR(cancelled ctx) = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	o := smallBPROptions()
	o.Epochs = 100000
	calls := 0
	o.Progress = func(int, float64) { calls++; cancel() }
	if _, err := TrainBPR(ctx, train, o); err != context.Canceled {
		t.Fatalf("TrainBPR(cancelled mid-way) = %v, want context.Canceled", err)
	}
	if calls != 1 {
		t.Fatalf("%d Progress calls after cancelling in the first", calls)
	}
}

func TestBPROptions(t *testing.T) {
	train, _ := plantedSplit(t)
	for _, tc := range []struct {
		o    BPROptions
		want string
	}{
		{BPROptions{Factors: -1}, "factors"},
		{BPROptions{Epochs: -1}, "epochs"},
		{BPROptions{LearningRate: -0.1}, "learning rate"},
		{BPROptions{LearningRate: math.Inf(1)}, "learning rate"},
		{BPROptions{Lambda: -1}, "lambda"},
		{BPROptions{Threads: -2}, "threads"},
	} {
		if _, err := TrainBPR(context.Background(), train, &tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("TrainBPR(%+v) = %v, want an error about %s", tc.o, err, tc.want)
		}
	}
	if _, err := TrainBPR(context.Background(), nil, nil); err == nil {
		t.Error("TrainBPR(nil) = nil error")
	}
}

func TestBPRLossGrad(t *testing.T) {
	for _, x := range []float64{-800, -30, -1, 0, 0.5, 3, 40, 800} {
		l, g := bprLossGrad(x)
		// Reference: −ln σ(x) and σ(−x) with big-range care.
		wantL := math.Log1p(math.Exp(-x))
		if x < -30 {
			wantL = -x
		}
		wantG := 1 / (1 + math.Exp(x))
		if math.Abs(l-wantL) > 1e-12*math.Max(1, math.Abs(wantL)) || math.Abs(float64(g)-wantG) > 1e-7 {
			t.Errorf("bprLossGrad(%v) = %v, %v; want %v, %v", x, l, g, wantL, wantG)
		}
		if math.IsNaN(l) || math.IsInf(l, 0) {
			t.Errorf("bprLossGrad(%v) loss %v", x, l)
		}
	}
}
