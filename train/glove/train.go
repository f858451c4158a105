package glove

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/quant"
	"github.com/vecdb/vecdb/train/text"
	"golang.org/x/sync/errgroup"
)

// Model is a trained GloVe model.
type Model struct {
	// Dim is the vector length.
	Dim int
	// Vectors holds one row of Dim floats per word id, row-major: the sum
	// W + W̃ of the word and context vectors (GloVe's default output,
	// "model 2"). The slice belongs to the model; callers may read and
	// modify it.
	Vectors []float32
	// Cost is the mean weighted squared error of each epoch (see
	// [Progress.Cost]).
	Cost []float64
}

// Len returns the number of words.
func (m *Model) Len() int {
	if m.Dim == 0 {
		return 0
	}
	return len(m.Vectors) / m.Dim
}

// Vector returns the row of word id. It shares memory with Vectors and
// stays valid as long as the model.
func (m *Model) Vector(id int) []float32 { return m.Vectors[id*m.Dim : (id+1)*m.Dim : (id+1)*m.Dim] }

// gradClip bounds each component of a scaled gradient, as GloVe's
// grad_clip_value does.
const gradClip = 100

// Seed streams of the two random generators.
const (
	initStream    = 0x676c6f76655f696e // "glove_in"
	shuffleStream = 0x676c6f76655f7368 // "glove_sh"
)

// Train counts the co-occurrences of the words of v in the corpus (see
// [Count]) and fits GloVe vectors to them (see [TrainCooccurrences]). The
// temporary files are removed before it returns, whatever happens.
func Train(ctx context.Context, c *text.Corpus, v *text.Vocab, opts Options) (_ *Model, err error) {
	o, err := prepare(opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	co, err := count(ctx, c, v, &o, start)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.CombineErrors(err, co.Close()) }()
	m, err := trainCooccurrences(ctx, co, &o, start)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// TrainCooccurrences fits GloVe vectors to counted co-occurrences: it
// minimises sum f(X_ij) (w_i·w̃_j + b_i + b̃_j − log X_ij)² over the non-zero
// X_ij, f(x) = min(1, (x/XMax)^Alpha), by AdaGrad on the records in one
// seeded random order (shuffled once, as GloVe does), split into Threads
// contiguous shards updated without locks. co stays usable afterwards;
// training may move its in-memory counts to disk to free the memory budget.
//
// The AdaGrad step follows GloVe's code: the gradient g of half the cost
// term is scaled by the learning rate η first, each component clipped to
// ±100, and the parameter moves by −ηg/√G where G starts at 1 and then sums
// the squares of the scaled gradients (ηg)².
func TrainCooccurrences(ctx context.Context, co *Cooccurrences, opts Options) (*Model, error) {
	o, err := prepare(opts)
	if err != nil {
		return nil, err
	}
	return trainCooccurrences(ctx, co, &o, time.Now())
}

func trainCooccurrences(ctx context.Context, co *Cooccurrences, o *Options, start time.Time) (_ *Model, err error) {
	if co == nil {
		return nil, errors.New("glove: nil Cooccurrences")
	}
	ts, err := co.trainingSet(ctx, o, rand.New(rand.NewPCG(o.Seed, shuffleStream)), start)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.CombineErrors(err, ts.close()) }()
	p := newParams(co.vocab, o.Dim, rand.New(rand.NewPCG(o.Seed, initStream)))
	h := hyper{eta: float32(o.LearningRate), alpha: o.Alpha, logXMax: float32(math.Log(o.XMax))}
	m := &Model{Dim: o.Dim}
	for epoch := 1; epoch <= o.Epochs; epoch++ {
		cost, err := p.epoch(ctx, ts, o.Threads, h)
		if err != nil {
			return nil, errors.Wrapf(err, "training epoch %d", epoch)
		}
		m.Cost = append(m.Cost, cost)
		o.report(Progress{Stage: StageTrain, Epoch: epoch, Epochs: o.Epochs, Cost: cost,
			Records: ts.n, Runs: len(co.runs), Elapsed: time.Since(start)})
	}
	m.Vectors = p.output()
	return m, nil
}

// hyper holds the constants of an update.
type hyper struct {
	eta     float32
	alpha   float64
	logXMax float32
}

// params holds the parameters. Row i of w holds w_i, b_i and then their
// AdaGrad sums of squared gradients, Dim+1 floats each; row j of wt holds
// w̃_j, b̃_j and their sums the same way. Keeping a word's weights and
// gradient sums together makes an update touch two runs of memory rather
// than four.
type params struct {
	dim   int
	w, wt []float32
	vocab int
}

// stride returns the length of a row of w or wt.
func (p *params) stride() int { return 2 * (p.dim + 1) }

// row returns the weights and the gradient sums of row i of m.
func (p *params) row(m []float32, i uint32) (weights, grads []float32) {
	s := p.dim + 1
	o := int(i) * 2 * s
	return m[o : o+s : o+s], m[o+s : o+2*s : o+2*s]
}

// newParams initialises every weight and bias uniformly in
// [-0.5/dim, 0.5/dim), and the gradient sums to 1, as GloVe does.
func newParams(vocab, dim int, rng *rand.Rand) *params {
	p := &params{dim: dim, vocab: vocab}
	p.w = make([]float32, vocab*p.stride())
	p.wt = make([]float32, vocab*p.stride())
	for _, m := range [][]float32{p.w, p.wt} {
		for i := range vocab {
			w, g := p.row(m, uint32(i))
			for k := range w {
				w[k] = (rng.Float32() - 0.5) / float32(dim)
				g[k] = 1
			}
		}
	}
	return p
}

// output returns W + W̃ without the biases.
func (p *params) output() []float32 {
	out := make([]float32, p.vocab*p.dim)
	for i := range p.vocab {
		row := out[i*p.dim : (i+1)*p.dim]
		w, _ := p.row(p.w, uint32(i))
		wt, _ := p.row(p.wt, uint32(i))
		for k := range row {
			row[k] = w[k] + wt[k]
		}
	}
	return out
}

// trainBlock is the number of records a worker reads at a time, and how
// often it checks its context.
const trainBlock = 4096

// epoch makes one pass over the records with the given number of
// goroutines, each over a contiguous shard, and returns the mean weighted
// squared error.
func (p *params) epoch(ctx context.Context, ts *trainSet, threads int, h hyper) (float64, error) {
	costs := make([]float64, threads)
	g, gctx := errgroup.WithContext(ctx)
	for t := range threads {
		lo, hi := ts.n*int64(t)/int64(threads), ts.n*int64(t+1)/int64(threads)
		g.Go(func() error {
			c, err := p.shard(gctx, ts, lo, hi, h)
			costs[t] = c
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	var sum float64
	for _, c := range costs {
		sum += c
	}
	return sum / float64(ts.n), nil
}

// shard trains on records [lo, hi) and returns the sum of their weighted
// squared errors.
func (p *params) shard(ctx context.Context, ts *trainSet, lo, hi int64, h hyper) (float64, error) {
	var cost float64
	buf := make([]trec, trainBlock)
	var scratch []byte
	for off := lo; off < hi; off += trainBlock {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		recs, s, err := ts.read(off, buf[:min(trainBlock, hi-off)], scratch)
		if err != nil {
			return 0, err
		}
		scratch = s
		var blockCost float64
		for k, r := range recs {
			if k+prefetchAhead < len(recs) {
				p.prefetch(recs[k+prefetchAhead])
			}
			blockCost += float64(p.step(r, h))
		}
		cost += blockCost
	}
	return cost, nil
}

// prefetchAhead is how many records ahead of the current update a worker
// asks for the rows it will need: rows of rare words are rarely in the
// cache, and an update is short enough that two of them cover a miss.
const prefetchAhead = 2

// prefetch asks for the rows that record r will update.
func (p *params) prefetch(r trec) {
	s := p.stride()
	prefetch(p.w[int(r.i)*s : int(r.i+1)*s])
	prefetch(p.wt[int(r.j)*s : int(r.j+1)*s])
}

// step applies one AdaGrad update for record r and returns its weighted
// squared error f(X)·diff² before the update. A record whose error is not
// finite is skipped and costs 0.
func (p *params) step(r trec, h hyper) float32 {
	d := p.dim
	wi, gi := p.row(p.w, r.i)
	wj, gj := p.row(p.wt, r.j)
	diff := quant.DotProduct(wi[:d], wj[:d]) + wi[d] + wj[d] - r.logX
	fdiff := diff
	if r.logX < h.logXMax {
		fdiff *= float32(math.Exp(h.alpha * float64(r.logX-h.logXMax)))
	}
	if isInfOrNaN(fdiff) {
		return 0
	}
	cost := fdiff * diff
	fdiff *= h.eta
	adagrad(wi[:d], wj[:d], gi[:d], gj[:d], fdiff)
	wi[d] -= fdiff / sqrt32(gi[d])
	wj[d] -= fdiff / sqrt32(gj[d])
	gi[d] += fdiff * fdiff
	gj[d] += fdiff * fdiff
	return cost
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

func isInfOrNaN(x float32) bool { return x-x != 0 }
