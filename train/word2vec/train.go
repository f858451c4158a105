package word2vec

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/train/text"
	"golang.org/x/sync/errgroup"
)

// Source streams the training input: one call is one epoch, and it calls fn
// with the input's chunks in order. A chunk holds sentences of ids in
// [0, len(counts)) (words for a text corpus, items in time order for
// item2vec); windows never cross sentence ends. fn owns the chunk it is
// given, so the source must not reuse it, and the source must stop and
// return fn's error when fn returns one. A Source is called from one
// goroutine at a time.
type Source func(ctx context.Context, fn func(*text.Chunk) error) error

// syncWords is how many input words a worker trains between looks at the
// shared state: it then publishes its word count and loss, recomputes the
// learning rate and checks for cancellation (word2vec uses 10,000 too).
const syncWords = 10_000

// Train learns vectors for the ids that src produces. counts[id] is the
// number of times id occurs in one epoch: it drives frequent-word
// subsampling and the negative-sampling distribution, and its sum, times
// Epochs, is the length of the learning-rate schedule. Ids with a zero
// count are trained when they occur but never drawn as negatives.
//
// With Threads > 1 the workers update the shared matrices without locks
// (Hogwild), so results vary from run to run; with one thread they are
// bit-identical for a seed (on one machine: assembly and portable kernels
// round differently). Train returns ctx.Err() soon after ctx is done, and
// the first error of src.
func Train(ctx context.Context, src Source, counts []int64, opts Options) (*Model, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if src == nil {
		return nil, errors.New("word2vec: nil Source")
	}
	if len(counts) == 0 {
		return nil, errors.New("word2vec: empty vocabulary")
	}
	if len(counts) > 1<<31-1 {
		return nil, errors.Newf("word2vec: %d ids do not fit int32", len(counts))
	}
	if opts.Words != nil && len(opts.Words) != len(counts) {
		return nil, errors.Newf("word2vec: %d words for %d counts", len(opts.Words), len(counts))
	}
	t, err := newTrainer(counts, opts)
	if err != nil {
		return nil, err
	}
	if err := t.run(ctx, src); err != nil {
		return nil, err
	}
	return t.model(), nil
}

// TrainCorpus trains on a text corpus encoded with v, whose words name the
// model's rows (opts.Words is set to v.Words unless given).
func TrainCorpus(ctx context.Context, c *text.Corpus, v *text.Vocab, opts Options) (*Model, error) {
	if c == nil {
		return nil, errors.New("word2vec: nil corpus")
	}
	if v == nil || v.Len() == 0 {
		return nil, errors.New("word2vec: empty vocabulary")
	}
	if opts.Words == nil {
		opts.Words = v.Words
	}
	src := func(ctx context.Context, fn func(*text.Chunk) error) error {
		// Chunks of 16k words keep every worker busy on small corpora
		// and cost nothing to hand over on large ones.
		return c.Stream(ctx, v, text.StreamOptions{ChunkTokens: 1 << 14}, fn)
	}
	return Train(ctx, src, v.Counts, opts)
}

// trainer is the state the workers share.
type trainer struct {
	opts   Options
	dim    int
	nwords int
	// in holds the input vectors, one row per id, then (with subwords)
	// one per bucket; out holds the output vectors, one per id.
	in, out []float32
	keep    []uint32
	neg     aliasTable
	sub     *subwords
	hot     *hotSet
	// total is the sum of the counts; totalAll is Epochs times it.
	total, totalAll int64

	// The fields above are read all the time; those below are written
	// every syncWords words, so they get cache lines of their own.
	_    [cacheLine]byte
	done atomic.Int64 // input words trained, over all workers
	loss struct {
		sync.Mutex
		sum float64
		n   int64
	}
}

func newTrainer(counts []int64, opts Options) (*trainer, error) {
	t := &trainer{opts: opts, dim: opts.Dim, nwords: len(counts)}
	for i, c := range counts {
		if c < 0 {
			return nil, errors.Newf("word2vec: count of id %d is negative (%d)", i, c)
		}
		if c > math.MaxInt64/int64(opts.Epochs)-t.total {
			return nil, errors.New("word2vec: counts times Epochs overflow int64")
		}
		t.total += c
	}
	t.totalAll = t.total * int64(opts.Epochs)
	var err error
	if t.neg, err = newAliasTable(counts, 0.75); err != nil {
		return nil, err
	}
	t.keep = keepThresholds(counts, t.total, opts.Sample)
	rows := t.nwords
	if opts.Subword != nil {
		t.sub = newSubwords(opts.Words, *opts.Subword)
		rows += opts.Subword.Buckets
	}
	// word2vec's initialisation: inputs uniform in [-0.5/dim, 0.5/dim],
	// outputs zero.
	t.in = make([]float32, rows*t.dim)
	r := newRNG(opts.Seed, -1)
	scale := 1 / float32(t.dim)
	for i := range t.in {
		t.in[i] = (float32(r.next()>>40)/(1<<24) - 0.5) * scale
	}
	t.out = make([]float32, t.nwords*t.dim)
	t.hot = newHotSet(counts, t.dim, opts.Threads)
	return t, nil
}

// alphaAt is the learning rate after done input words: linear from Alpha
// to MinAlpha over the whole run.
func (t *trainer) alphaAt(done int64) float64 {
	p := float64(done) / float64(max(t.totalAll, 1))
	a := t.opts.Alpha - (t.opts.Alpha-t.opts.MinAlpha)*p
	return max(a, t.opts.MinAlpha)
}

// run trains: one goroutine reads src Epochs times and hands the chunks to
// Threads workers, while this one reports progress.
func (t *trainer) run(ctx context.Context, src Source) error {
	g, gctx := errgroup.WithContext(ctx)
	chunks := make(chan *text.Chunk, 2*t.opts.Threads)
	g.Go(func() error {
		defer close(chunks)
		send := func(ch *text.Chunk) error {
			if ch == nil {
				return errors.New("word2vec: the source passed a nil chunk")
			}
			select {
			case chunks <- ch:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		for range t.opts.Epochs {
			if err := src(gctx, send); err != nil {
				return err
			}
		}
		return nil
	})
	for i := range t.opts.Threads {
		w := newWorker(t, i)
		g.Go(func() error { return w.run(gctx, chunks) })
	}
	err := t.wait(g)
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

// wait waits for g, calling Progress meanwhile if it is set.
func (t *trainer) wait(g *errgroup.Group) error {
	if t.opts.Progress == nil {
		return g.Wait()
	}
	start := time.Now()
	finished := make(chan error, 1)
	go func() { finished <- g.Wait() }()
	tick := time.NewTicker(t.opts.ProgressInterval)
	defer tick.Stop()
	var lastSum, lastLoss float64
	var lastN int64
	report := func() {
		done := t.done.Load()
		t.loss.Lock()
		sum, n := t.loss.sum, t.loss.n
		t.loss.Unlock()
		p := Progress{
			Epoch:      int(min(done/max(t.total, 1)+1, int64(t.opts.Epochs))),
			Words:      done,
			TotalWords: t.totalAll,
			Alpha:      t.alphaAt(done),
			Elapsed:    time.Since(start),
		}
		if s := p.Elapsed.Seconds(); s > 0 {
			p.WordsPerSec = float64(done) / s
		}
		if n > lastN {
			lastLoss = (sum - lastSum) / float64(n-lastN)
		}
		p.Loss = lastLoss
		lastSum, lastN = sum, n
		t.opts.Progress(p)
	}
	for {
		select {
		case err := <-finished:
			if err == nil {
				report()
			}
			return err
		case <-tick.C:
			report()
		}
	}
}

// model turns the trained input matrix into a Model. It reuses t.in: with
// subwords each word's row is replaced by the mean of its rows (its own and
// its n-grams'), which leaves the bucket rows the other words need intact.
func (t *trainer) model() *Model {
	m := &Model{Dim: t.dim, Words: t.opts.Words}
	n := t.nwords * t.dim
	if t.sub != nil {
		tmp := make([]float32, t.dim)
		for id := range t.nwords {
			t.sub.mean(t.in, t.dim, int32(id), tmp)
			copy(t.in[id*t.dim:(id+1)*t.dim], tmp)
		}
		s := *t.opts.Subword
		m.Subword = &s
		m.Buckets = t.in[n:]
	}
	m.Vectors = t.in[:n:n]
	m.buildIndex()
	return m
}
