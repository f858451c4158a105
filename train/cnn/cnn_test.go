package cnn

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cockroachdb/errors"
)

// bars returns n h×h grey images of a bar in one of 4 orientations (0°,
// 45°, 90°, 135°: the class), at a random place, brightness and length,
// over uniform noise.
func bars(seed uint64, n, h int) ([]float32, []int32) {
	rng := rand.New(rand.NewPCG(seed, 7))
	imgs := make([]float32, n*h*h)
	labels := make([]int32, n)
	for i := range n {
		c := rng.IntN(4)
		labels[i] = int32(c)
		img := imgs[i*h*h : (i+1)*h*h]
		for j := range img {
			img[j] = 0.3 * rng.Float32()
		}
		ang := float64(c) * math.Pi / 4
		cx := float64(h)/2 + (rng.Float64()-0.5)*float64(h)/3
		cy := float64(h)/2 + (rng.Float64()-0.5)*float64(h)/3
		half := float64(h) / 4 * (0.7 + 0.6*rng.Float64())
		v := 0.6 + 0.4*rng.Float32()
		for t := -half; t <= half; t += 0.25 {
			x, y := int(math.Round(cx+t*math.Cos(ang))), int(math.Round(cy+t*math.Sin(ang)))
			if x >= 0 && x < h && y >= 0 && y < h {
				img[y*h+x] = v
			}
		}
	}
	return imgs, labels
}

// tinyNet returns a randomly initialised net with random biases (so that
// few units are dead).
func tinyNet(t *testing.T, scale float32) *Net {
	cfg := Config{Version: ConfigVersion, Shape: Shape{H: 8, W: 6, C: 2}, Conv1: 3, Conv2: 4, Dim: 5, Classes: 3, Scale: scale}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	tr := newTrainer(cfg, rng, Options{Threads: 1, BatchSize: 1})
	for i := range tr.net.params {
		tr.net.params[i] += float32(0.1 * rng.NormFloat64())
	}
	tr.net.transpose()
	return tr.net
}

// TestGradient compares the backward pass with central finite differences
// on every layer's weights and biases (the first convolution's gradients
// also pass through the second convolution's input gradient, both
// poolings and im2col's adjoint), with and without the normalised head.
func TestGradient(t *testing.T) {
	for _, scale := range []float32{0, 4} {
		net := tinyNet(t, scale)
		l := net.l
		rng := rand.New(rand.NewPCG(5, 6))
		img := make([]float32, net.InDim())
		for i := range img {
			img[i] = rng.Float32()
		}
		const label = 1
		s := newScratch(&l, true)
		grad := make([]float32, l.total)
		net.lossGrad(s, img, label, 1, grad)
		loss := func() float64 { v, _ := net.lossGrad(s, img, label, 1, nil); return v }
		blocks := []struct {
			name   string
			lo, hi int
		}{
			{"conv1.w", l.w1, l.b1}, {"conv1.b", l.b1, l.w2}, {"conv2.w", l.w2, l.b2}, {"conv2.b", l.b2, l.we},
			{"embed.w", l.we, l.be}, {"embed.b", l.be, l.wh}, {"head.w", l.wh, l.bh}, {"head.b", l.bh, l.total},
		}
		for _, b := range blocks {
			misses, checked, nonzero := 0, 0, 0
			for range 12 {
				i := b.lo + rng.IntN(b.hi-b.lo)
				const eps = 1e-2
				orig := net.params[i]
				net.params[i] = orig + eps
				net.transpose()
				up := loss()
				net.params[i] = orig - eps
				net.transpose()
				down := loss()
				net.params[i] = orig
				net.transpose()
				num, ana := (up-down)/(2*eps), float64(grad[i])
				checked++
				if ana != 0 {
					nonzero++
				}
				if math.Abs(num-ana) > 1e-3+0.03*math.Abs(ana) {
					misses++
					t.Logf("scale %v %s[%d]: numeric %.6g, analytic %.6g", scale, b.name, i-b.lo, num, ana)
				}
			}
			// A finite difference can straddle a ReLU or max-pooling kink.
			if misses > 1 {
				t.Errorf("scale %v %s: %d of %d gradients differ from finite differences", scale, b.name, misses, checked)
			}
			if nonzero == 0 {
				t.Errorf("scale %v %s: every sampled gradient is zero", scale, b.name)
			}
		}
	}
}

// knnAccuracy returns the share of queries whose nearest base embedding
// (by dot product of unit vectors) has the query's label.
func knnAccuracy(base []float32, baseLabels []int32, queries []float32, queryLabels []int32, dim int) float64 {
	hits := 0
	for q := range queryLabels {
		qv := queries[q*dim : (q+1)*dim]
		best, bestSim := -1, float32(-2)
		for b := range baseLabels {
			if s := dot(qv, base[b*dim:(b+1)*dim]); s > bestSim {
				best, bestSim = b, s
			}
		}
		if baseLabels[best] == queryLabels[q] {
			hits++
		}
	}
	return float64(hits) / float64(len(queryLabels))
}

var barShape = Shape{H: 16, W: 16, C: 1}

func smallOptions() Options {
	return Options{Dim: 16, Epochs: 4, BatchSize: 16, Conv1: 8, Conv2: 16, LearningRate: 3e-3}
}

// TestLearnBars trains on oriented bars and checks that 1-NN on the
// embeddings of held-out images finds the orientation far above chance
// (0.25). (Raw pixels do as well on this easy task; the test checks that
// training learns, the Fashion-MNIST test that it beats pixels.)
func TestLearnBars(t *testing.T) {
	trainX, trainY := bars(1, 600, 16)
	testX, testY := bars(2, 200, 16)
	var progress []Progress
	o := smallOptions()
	o.Progress = func(p Progress) { progress = append(progress, p) }
	net, st, err := Train(context.Background(), trainX, trainY, 4, barShape, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(progress) != o.Epochs || progress[o.Epochs-1].Epoch != o.Epochs || progress[0].Batches != 38 {
		t.Errorf("progress calls %+v, want one per epoch of 38 batches", progress)
	}
	if st.Epochs != o.Epochs || !(st.Loss < progress[0].Loss) {
		t.Errorf("stats %+v: loss did not fall below the first epoch's %v", st, progress[0].Loss)
	}
	d := net.OutDim()
	base := make([]float32, len(trainY)*d)
	queries := make([]float32, len(testY)*d)
	net.EmbedBatch(base, trainX, 0)
	net.EmbedBatch(queries, testX, 2)
	for i := range 3 {
		if n := math.Sqrt(float64(dot(queries[i*d:(i+1)*d], queries[i*d:(i+1)*d]))); math.Abs(n-1) > 1e-5 {
			t.Errorf("embedding %d has norm %v, want 1", i, n)
		}
	}
	one := make([]float32, d)
	net.Embed(one, testX[:net.InDim()])
	if !slices.Equal(one, queries[:d]) {
		t.Error("Embed and EmbedBatch disagree")
	}
	unit := func(x []float32) []float32 {
		out := slices.Clone(x)
		for i := 0; i < len(out); i += net.InDim() {
			v := out[i : i+net.InDim()]
			n := float32(math.Sqrt(float64(dot(v, v))))
			for j := range v {
				v[j] /= n
			}
		}
		return out
	}
	raw := knnAccuracy(unit(trainX), trainY, unit(testX), testY, net.InDim())
	acc := knnAccuracy(base, trainY, queries, testY, d)
	t.Logf("1-NN accuracy: embeddings %.3f, raw pixels %.3f; train accuracy %.3f, loss %.3f, %.1fs",
		acc, raw, st.TrainAccuracy, st.Loss, st.Seconds)
	if acc < 0.85 {
		t.Errorf("1-NN accuracy on embeddings %.3f, want ≥ 0.85 (chance 0.25, raw pixels %.3f)", acc, raw)
	}
}

// TestDeterminism trains twice with the same seed and threads and expects
// identical parameters, and different ones for another seed.
func TestDeterminism(t *testing.T) {
	x, y := bars(3, 100, 16)
	run := func(seed uint64, threads int) []float32 {
		o := smallOptions()
		o.Epochs, o.Seed, o.Threads = 1, seed, threads
		net, _, err := Train(context.Background(), x, y, 4, barShape, o)
		if err != nil {
			t.Fatal(err)
		}
		return net.Params()
	}
	for _, threads := range []int{1, 3} {
		a, b := run(7, threads), run(7, threads)
		if !slices.Equal(a, b) {
			t.Errorf("threads %d: two runs with seed 7 differ", threads)
		}
		if c := run(8, threads); slices.Equal(a, c) {
			t.Errorf("threads %d: seeds 7 and 8 give the same parameters", threads)
		}
	}
}

// TestRoundTrip rebuilds a trained net from its JSON config and parameters
// and expects bit-identical embeddings, and errors for bad parameters.
func TestRoundTrip(t *testing.T) {
	x, y := bars(4, 64, 16)
	o := smallOptions()
	o.Epochs = 1
	net, _, err := Train(context.Background(), x, y, 4, barShape, o)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(net.Config())
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	if err := json.Unmarshal(js, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg != net.Config() {
		t.Fatalf("config %+v after JSON (%s), want %+v", cfg, js, net.Config())
	}
	params := net.Params()
	net2, err := New(cfg, params)
	if err != nil {
		t.Fatal(err)
	}
	a, b := make([]float32, 8*net.OutDim()), make([]float32, 8*net.OutDim())
	net.EmbedBatch(a, x[:8*net.InDim()], 1)
	net2.EmbedBatch(b, x[:8*net.InDim()], 1)
	if !slices.Equal(a, b) {
		t.Error("the rebuilt net embeds differently")
	}
	if _, err := New(cfg, params[1:]); err == nil {
		t.Error("New accepted one parameter too few")
	}
	params[3] = float32(math.NaN())
	if _, err := New(cfg, params); err == nil {
		t.Error("New accepted a NaN parameter")
	}
	cfg.Version = 99
	if _, err := New(cfg, net.Params()); err == nil {
		t.Error("New accepted config version 99")
	}
}

// TestBadInput checks that every malformed input is an error.
func TestBadInput(t *testing.T) {
	x, y := bars(5, 4, 16)
	nan := slices.Clone(x)
	nan[100] = float32(math.Inf(1))
	tests := []struct {
		name    string
		x       []float32
		y       []int32
		classes int
		shape   Shape
		o       Options
	}{
		{"no images", nil, nil, 4, barShape, Options{}},
		{"short pixels", x[1:], y, 4, barShape, Options{}},
		{"shape mismatch", x, y, 4, Shape{H: 16, W: 8, C: 1}, Options{}},
		{"zero shape", x, y, 4, Shape{}, Options{}},
		{"label too big", x, []int32{0, 1, 4, 2}, 4, barShape, Options{}},
		{"negative label", x, []int32{0, -1, 3, 2}, 4, barShape, Options{}},
		{"one class", x, []int32{0, 0, 0, 0}, 1, barShape, Options{}},
		{"infinite pixel", nan, y, 4, barShape, Options{}},
		{"negative epochs", x, y, 4, barShape, Options{Epochs: -1}},
		{"negative dim", x, y, 4, barShape, Options{Dim: -3}},
		{"NaN learning rate", x, y, 4, barShape, Options{LearningRate: float32(math.NaN())}},
		{"negative threads", x, y, 4, barShape, Options{Threads: -2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, _, err := Train(context.Background(), tc.x, tc.y, tc.classes, tc.shape, tc.o)
			if err == nil || net != nil {
				t.Fatalf("Train = %v, %v; want an error", net, err)
			}
			t.Log(err)
		})
	}
}

// TestCancel checks that a cancelled context stops training between
// batches with ctx.Err().
func TestCancel(t *testing.T) {
	x, y := bars(6, 400, 16)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Train(ctx, x, y, 4, barShape, smallOptions()); !errors.Is(err, context.Canceled) {
		t.Errorf("Train with a cancelled context = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	o := smallOptions()
	calls := 0
	o.Progress = func(Progress) { calls++; cancel() }
	if _, _, err := Train(ctx, x, y, 4, barShape, o); !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("Train cancelled after epoch 1 = %v after %d progress calls, want context.Canceled after 1", err, calls)
	}
}

// TestDefaultEpochs checks that the default number of epochs is
// DefaultEpochs on a large set and rises on a small one to train for at
// least MinDefaultSteps batches, and that an explicit Epochs is kept.
func TestDefaultEpochs(t *testing.T) {
	for _, tc := range []struct {
		name          string
		n, bs, epochs int
		want          int
	}{
		{"fashion-mnist", 60000, 0, 0, DefaultEpochs},
		{"exactly enough", 100 * DefaultBatchSize, 0, 0, DefaultEpochs},
		{"100 images", 100, 0, 0, 50},  // 2 batches of 64
		{"1000 images", 1000, 0, 0, 7}, // 16 batches
		{"batch 16", 100, 16, 0, 15},   // 7 batches
		{"one image", 1, 0, 0, 100},    // 1 batch
		{"explicit", 100, 0, 2, 2},     // the caller's choice stands
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{BatchSize: tc.bs, Epochs: tc.epochs}
			o.ensureDefaults(tc.n)
			if o.Epochs != tc.want {
				t.Errorf("ensureDefaults(%d) with BatchSize %d, Epochs %d: Epochs = %d, want %d", tc.n, tc.bs, tc.epochs, o.Epochs, tc.want)
			}
		})
	}
	x, y := bars(7, 100, 16)
	_, st, err := Train(context.Background(), x, y, 4, barShape, Options{Dim: 4, Conv1: 2, Conv2: 2, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if st.Epochs != 50 {
		t.Errorf("Train on 100 images with the default Epochs ran %d epochs, want 50", st.Epochs)
	}
}
