package cnn

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/cockroachdb/errors"
)

// Adam's constants, the usual ones (Kingma and Ba).
const (
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
)

// progressEvery is the number of batches between Progress calls within an
// epoch.
const progressEvery = 100

// Train trains a network on n images and their labels: images holds n
// consecutive images of shape.Size() float32 pixels (scaled to [0, 1] by the
// caller) and labels their classes, 0 to classes-1. It minimises the
// softmax cross-entropy of a classification head over the L2-normalised
// embedding with Adam, on minibatches in a seeded random order, and returns
// the net, whose [Net.Embed] gives the embedding.
//
// Every input is checked: an error (not a panic) reports a shape that does
// not match the pixels, a label out of range, a pixel that is not finite,
// fewer than 2 classes or bad options. Train checks ctx between batches and
// returns ctx.Err() once it is cancelled.
func Train(ctx context.Context, images []float32, labels []int32, classes int, shape Shape, o Options) (*Net, Stats, error) {
	start := time.Now()
	o.ensureDefaults(len(labels))
	if err := o.validate(); err != nil {
		return nil, Stats{}, err
	}
	cfg := Config{Version: ConfigVersion, Shape: shape, Conv1: o.Conv1, Conv2: o.Conv2,
		Dim: o.Dim, Classes: classes, Scale: headScale}
	if err := cfg.Validate(); err != nil {
		return nil, Stats{}, err
	}
	if err := checkData(images, labels, classes, shape); err != nil {
		return nil, Stats{}, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x636e6e))
	t := newTrainer(cfg, rng, o)
	n := len(labels)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	var st Stats
	for epoch := 1; epoch <= o.Epochs; epoch++ {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		loss, acc, err := t.epoch(ctx, epoch, images, labels, order)
		if err != nil {
			return nil, Stats{}, err
		}
		st = Stats{Epochs: epoch, Loss: loss, TrainAccuracy: acc}
	}
	for i, v := range t.net.params {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, Stats{}, errors.Newf("cnn: training diverged: parameter %d is %v (lower LearningRate)", i, v)
		}
	}
	st.Seconds = time.Since(start).Seconds()
	return t.net, st, nil
}

// checkData checks the training set against its declared shape and classes.
func checkData(images []float32, labels []int32, classes int, shape Shape) error {
	n, size := len(labels), shape.Size()
	if n == 0 {
		return errors.New("cnn: no images")
	}
	if len(images) != n*size {
		return errors.Newf("cnn: %d pixels for %d labels, want %d (%dx%dx%d per image)",
			len(images), n, n*size, shape.H, shape.W, shape.C)
	}
	for i, c := range labels {
		if c < 0 || int(c) >= classes {
			return errors.Newf("cnn: label %d of image %d out of range [0, %d)", c, i, classes)
		}
	}
	for i, v := range images {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return errors.Newf("cnn: pixel %d of image %d is %v", i%size, i/size, v)
		}
	}
	return nil
}

// trainer holds the state of a run: the net, Adam's moments and one
// gradient buffer and scratch per worker.
type trainer struct {
	net     *Net
	o       Options
	m, v    []float32
	workers []*worker
	step    int // Adam steps done
	steps   int // Adam steps in the whole run
}

// worker is one goroutine's share of a batch.
type worker struct {
	s       *scratch
	grad    []float32
	loss    float64
	correct int
}

func newTrainer(cfg Config, rng *rand.Rand, o Options) *trainer {
	l := cfg.layout()
	params := make([]float32, l.total)
	initUniform := func(w []float32, fanIn, fanOut int, he bool) {
		// He (ReLU layers) or Glorot uniform limits.
		lim := math.Sqrt(6 / float64(fanIn))
		if !he {
			lim = math.Sqrt(6 / float64(fanIn+fanOut))
		}
		for i := range w {
			w[i] = float32((2*rng.Float64() - 1) * lim)
		}
	}
	initUniform(params[l.w1:l.b1], l.k1, 9*l.f1, true)
	initUniform(params[l.w2:l.b2], l.k2, 9*l.f2, true)
	initUniform(params[l.we:l.be], l.flat, l.dim, false)
	initUniform(params[l.wh:l.bh], l.dim, l.classes, false)
	t := &trainer{net: newNet(cfg, params), o: o,
		m: make([]float32, l.total), v: make([]float32, l.total)}
	for range min(o.Threads, o.BatchSize) {
		t.workers = append(t.workers, &worker{s: newScratch(&l, true), grad: make([]float32, l.total)})
	}
	return t
}

// epoch trains on the images in order, batch by batch; it returns the mean
// loss and the accuracy.
func (t *trainer) epoch(ctx context.Context, epoch int, images []float32, labels []int32, order []int) (float64, float64, error) {
	bs, n := t.o.BatchSize, len(order)
	batches := (n + bs - 1) / bs
	if t.steps == 0 {
		t.steps = batches * t.o.Epochs
	}
	start := time.Now()
	var loss float64
	var correct int
	report := func(b int) {
		if t.o.Progress == nil {
			return
		}
		seen := min(b*bs, n)
		t.o.Progress(Progress{Epoch: epoch, Epochs: t.o.Epochs, Batch: b, Batches: batches,
			Loss: loss / float64(seen), Accuracy: float64(correct) / float64(seen),
			ImagesPerSec: float64(seen) / time.Since(start).Seconds()})
	}
	for b := range batches {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		l, c := t.batch(images, labels, order[b*bs:min((b+1)*bs, n)])
		loss += l
		correct += c
		if (b+1)%progressEvery == 0 && b+1 < batches {
			report(b + 1)
		}
	}
	report(batches)
	return loss / float64(n), float64(correct) / float64(n), nil
}

// batch computes the gradient of the mean loss over the images idx (split
// into contiguous shares, one per worker), sums the workers' gradients in
// worker order and takes an Adam step. It returns the summed loss and the
// number of correct top classes.
func (t *trainer) batch(images []float32, labels []int32, idx []int) (float64, int) {
	net, size := t.net, t.net.InDim()
	ws := t.workers[:min(len(t.workers), len(idx))]
	weight := 1 / float32(len(idx))
	var wg sync.WaitGroup
	for k, w := range ws {
		share := idx[len(idx)*k/len(ws) : len(idx)*(k+1)/len(ws)]
		wg.Go(func() {
			clear(w.grad)
			w.loss, w.correct = 0, 0
			for _, i := range share {
				l, ok := net.lossGrad(w.s, images[i*size:(i+1)*size], int(labels[i]), weight, w.grad)
				w.loss += l
				if ok {
					w.correct++
				}
			}
		})
	}
	wg.Wait()
	var loss float64
	var correct int
	for _, w := range ws {
		loss += w.loss
		correct += w.correct
	}
	t.step++
	t.adam(ws)
	net.transpose()
	return loss, correct
}

// adam sums the workers' gradients and takes one Adam step, with the
// learning rate on a half cosine from LearningRate to 0 over the run. The
// parameters are split into ranges updated in parallel; the result does
// not depend on the split.
func (t *trainer) adam(ws []*worker) {
	lr := float64(t.o.LearningRate) * 0.5 * (1 + math.Cos(math.Pi*float64(t.step-1)/float64(t.steps)))
	c1 := 1 - math.Pow(adamBeta1, float64(t.step))
	c2 := 1 - math.Pow(adamBeta2, float64(t.step))
	a := float32(lr * math.Sqrt(c2) / c1)
	eps := float32(adamEps * math.Sqrt(c2))
	p, m, v := t.net.params, t.m, t.v
	parts := len(ws)
	var wg sync.WaitGroup
	for k := range parts {
		lo, hi := len(p)*k/parts, len(p)*(k+1)/parts
		wg.Go(func() {
			g := ws[0].grad[lo:hi]
			for _, w := range ws[1:] {
				for i, x := range w.grad[lo:hi] {
					g[i] += x
				}
			}
			pp, mm, vv := p[lo:hi], m[lo:hi], v[lo:hi]
			for i, gi := range g {
				mi := adamBeta1*mm[i] + (1-adamBeta1)*gi
				vi := adamBeta2*vv[i] + (1-adamBeta2)*gi*gi
				mm[i], vv[i] = mi, vi
				pp[i] -= a * mi / (float32(math.Sqrt(float64(vi))) + eps)
			}
		})
	}
	wg.Wait()
}
