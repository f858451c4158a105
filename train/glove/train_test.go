package glove

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/train/text"
)

// dparams is a float64 copy of params for the reference cost: w[i] and
// wt[j] are the vector followed by the bias.
type dparams struct{ w, wt [][]float64 }

func toFloat64(p *params) dparams {
	var d dparams
	for i := range p.vocab {
		wi, _ := p.row(p.w, uint32(i))
		wj, _ := p.row(p.wt, uint32(i))
		d.w = append(d.w, f64(wi))
		d.wt = append(d.wt, f64(wj))
	}
	return d
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for k, v := range x {
		out[k] = float64(v)
	}
	return out
}

func weight(logX float32, h hyper) float64 {
	if logX >= h.logXMax {
		return 1
	}
	return math.Exp(h.alpha * float64(logX-h.logXMax))
}

// cost returns half the weighted squared error, J = ½ Σ f(X)(w·w̃ + b + b̃ − log X)²,
// whose gradient the trainer follows.
func (d dparams) cost(recs []trec, h hyper) float64 {
	var j float64
	for _, r := range recs {
		diff := d.diff(r)
		j += 0.5 * weight(r.logX, h) * diff * diff
	}
	return j
}

func (d dparams) diff(r trec) float64 {
	wi, wj := d.w[r.i], d.wt[r.j]
	n := len(wi) - 1
	diff := wi[n] + wj[n] - float64(r.logX)
	for k := range n {
		diff += wi[k] * wj[k]
	}
	return diff
}

// grad returns the analytical gradient of cost: ∂J/∂w_i = Σ f·diff·w̃_j,
// ∂J/∂w̃_j = Σ f·diff·w_i, ∂J/∂b_i = ∂J/∂b̃_j = Σ f·diff.
func (d dparams) grad(recs []trec, h hyper) dparams {
	g := dparams{w: make([][]float64, len(d.w)), wt: make([][]float64, len(d.wt))}
	for i := range d.w {
		g.w[i] = make([]float64, len(d.w[i]))
		g.wt[i] = make([]float64, len(d.wt[i]))
	}
	for _, r := range recs {
		fd := weight(r.logX, h) * d.diff(r)
		wi, wj := d.w[r.i], d.wt[r.j]
		n := len(wi) - 1
		for k := range n {
			g.w[r.i][k] += fd * wj[k]
			g.wt[r.j][k] += fd * wi[k]
		}
		g.w[r.i][n] += fd
		g.wt[r.j][n] += fd
	}
	return g
}

// randomProblem returns parameters with sizeable random values and records
// over a tiny vocabulary, some of them with X ≥ XMax (weight 1).
func randomProblem(rng *rand.Rand, vocab, dim, nrec int) (*params, []trec, hyper) {
	p := newParams(vocab, dim, rng)
	for _, m := range [][]float32{p.w, p.wt} {
		for i := range vocab {
			w, _ := p.row(m, uint32(i))
			for k := range w {
				w[k] = float32(rng.NormFloat64() * 0.5)
			}
		}
	}
	h := hyper{eta: 0.05, alpha: 0.75, logXMax: float32(math.Log(100))}
	recs := make([]trec, nrec)
	for k := range recs {
		recs[k] = trec{i: uint32(rng.IntN(vocab)), j: uint32(rng.IntN(vocab)), logX: float32(rng.Float64() * 6)}
	}
	return p, recs, h
}

// TestGradientCheck compares the analytical gradient of the weighted
// least-squares cost with central finite differences, for every weight and
// bias of both matrices.
func TestGradientCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	p, recs, h := randomProblem(rng, 4, 3, 12)
	if !slices.ContainsFunc(recs, func(r trec) bool { return r.logX >= h.logXMax }) ||
		!slices.ContainsFunc(recs, func(r trec) bool { return r.logX < h.logXMax }) {
		t.Fatal("the problem should have records on both sides of XMax")
	}
	d := toFloat64(p)
	g := d.grad(recs, h)
	const eps = 1e-6
	for _, m := range []struct {
		name   string
		params [][]float64
		grad   [][]float64
	}{{"w", d.w, g.w}, {"w̃", d.wt, g.wt}} {
		for i := range m.params {
			for k := range m.params[i] {
				x := m.params[i][k]
				m.params[i][k] = x + eps
				plus := d.cost(recs, h)
				m.params[i][k] = x - eps
				minus := d.cost(recs, h)
				m.params[i][k] = x
				num := (plus - minus) / (2 * eps)
				what := fmt.Sprintf("%s[%d][%d]", m.name, i, k)
				if k == len(m.params[i])-1 {
					what = fmt.Sprintf("bias of %s[%d]", m.name, i)
				}
				if ana := m.grad[i][k]; math.Abs(num-ana) > 1e-6+1e-6*math.Abs(ana) {
					t.Errorf("∂J/∂%s = %.9g, finite difference %.9g", what, ana, num)
				}
			}
		}
	}
}

// TestStepIsAdaGrad checks the trainer's update against the analytical
// gradient: from fresh gradient sums of 1, one step moves each parameter by
// exactly −η·∂J/∂θ for that record, adds (η·∂J/∂θ)² to its sum, and
// returns f·diff².
func TestStepIsAdaGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, dim := range []int{3, 8, 21} {
		p0, recs, h := randomProblem(rng, 5, dim, 20)
		for _, r := range recs {
			p := &params{dim: dim, vocab: p0.vocab, w: slices.Clone(p0.w), wt: slices.Clone(p0.wt)}
			d := toFloat64(p)
			g := d.grad([]trec{r}, h)
			wantCost := 2 * d.cost([]trec{r}, h)
			cost := p.step(r, h)
			if math.Abs(float64(cost)-wantCost) > 1e-5*(1+wantCost) {
				t.Errorf("dim %d, record %v: step cost %v, want %v", dim, r, cost, wantCost)
			}
			after := toFloat64(p)
			for _, m := range []struct {
				name              string
				m                 []float32
				before, now, grad [][]float64
				id                uint32
			}{{"w", p.w, d.w, after.w, g.w, r.i}, {"w̃", p.wt, d.wt, after.wt, g.wt, r.j}} {
				_, sums := p.row(m.m, m.id)
				for k := range m.before[m.id] {
					step := m.before[m.id][k] - m.now[m.id][k]
					want := float64(h.eta) * m.grad[m.id][k]
					if math.Abs(step-want) > 1e-6+1e-4*math.Abs(want) {
						t.Errorf("dim %d, record %v: %s[%d][%d] moved by %.7g, want η·∂J = %.7g", dim, r, m.name, m.id, k, -step, -want)
					}
					if gs := float64(sums[k]); math.Abs(gs-(1+want*want)) > 1e-5*(1+want*want) {
						t.Errorf("dim %d: gradient sum %s[%d][%d] = %.7g, want %.7g", dim, m.name, m.id, k, gs, 1+want*want)
					}
				}
			}
		}
	}
}

// TestAdagradKernel compares the vector kernel with the portable loop: the
// results must be bit-identical, clipping included.
func TestAdagradKernel(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no vector kernel on this machine")
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{1, 7, 8, 31, 33, 100, 127} {
		for _, fdiff := range []float32{0.01, -3, 2000} { // 2000 clips
			vec := make([][]float32, 4)
			for k := range vec {
				vec[k] = make([]float32, n)
				for x := range vec[k] {
					vec[k][x] = float32(rng.NormFloat64())
					if k >= 2 {
						vec[k][x] = 1 + float32(rng.ExpFloat64())
					}
				}
			}
			ref := make([][]float32, 4)
			for k := range ref {
				ref[k] = slices.Clone(vec[k])
			}
			adagradGo(ref[0], ref[1], ref[2], ref[3], fdiff)
			adagrad(vec[0], vec[1], vec[2], vec[3], fdiff)
			for k := range vec {
				if !slices.Equal(vec[k], ref[k]) {
					t.Errorf("n=%d fdiff=%v: kernel output %d = %v, want %v", n, fdiff, k, vec[k], ref[k])
				}
			}
		}
	}
}

// plantedCorpus returns a corpus with pairs of words that share their
// contexts exactly and never meet. Each group g has two pair words and a
// set of context words. A short "pair line" holds a pair word between two
// of the group's context words, and comes twice, once with each pair word;
// a "filler line" holds one of the group's context words among words of a
// shared pool. So the two pair words have identical rows of X (the group's
// context words), while a context word's row holds the pair words and the
// pool: the two pair words should come out as each other's nearest
// neighbours.
func plantedCorpus(seed uint64, groups, linesPerGroup int) (corpus string, pairs [][2]string) {
	rng := rand.New(rand.NewPCG(seed, 0))
	const ctxWords, fillerLen, pool = 12, 8, 60
	var sb strings.Builder
	for g := range groups {
		pairs = append(pairs, [2]string{wordName("pa", g), wordName("pb", g)})
	}
	ctxWord := func(g int) string { return wordName("c"+wordName("", g), rng.IntN(ctxWords)) }
	filler := make([]string, fillerLen)
	for range groups * linesPerGroup / 3 {
		g := rng.IntN(groups)
		c1, c2 := ctxWord(g), ctxWord(g)
		for _, w := range pairs[g] {
			sb.WriteString(c1 + " " + w + " " + c2 + "\n")
		}
		for k := range filler {
			filler[k] = wordName("pool", rng.IntN(pool))
		}
		filler[rng.IntN(fillerLen)] = ctxWord(g)
		sb.WriteString(strings.Join(filler, " ") + "\n")
	}
	return sb.String(), pairs
}

// nearest returns the word closest to word by cosine, other than itself.
func nearest(m *Model, v *text.Vocab, word string) string {
	id, _ := v.ID(word)
	best, bestCos := "", math.Inf(-1)
	for k := range v.Len() {
		if k == int(id) {
			continue
		}
		if c := cosine(m.Vector(int(id)), m.Vector(k)); c > bestCos {
			best, bestCos = v.Words[k], c
		}
	}
	return best
}

func checkPlanted(t *testing.T, m *Model, v *text.Vocab, pairs [][2]string) {
	t.Helper()
	for _, p := range pairs {
		for s := range 2 {
			if got := nearest(m, v, p[s]); got != p[1-s] {
				t.Errorf("nearest(%s) = %s, want %s", p[s], got, p[1-s])
			}
		}
	}
}

// TestTrainPlanted trains on the planted corpus with one thread: the cost
// falls every epoch and the pair words find each other.
func TestTrainPlanted(t *testing.T) {
	corpus, pairs := plantedCorpus(1, 6, 1500)
	c := stringCorpus(corpus)
	v := buildVocab(t, c)
	var stages []string
	var merged Progress
	progress := func(p Progress) {
		if len(stages) == 0 || stages[len(stages)-1] != string(p.Stage) {
			stages = append(stages, string(p.Stage))
		}
		switch p.Stage {
		case StageCount:
			if p.Tokens > v.Tokens || p.Records <= 0 {
				t.Errorf("count progress %+v", p)
			}
		case StageMerge:
			merged = p
		case StageTrain:
			if p.Records != merged.Records || p.Epochs != 30 || p.Cost <= 0 || p.Elapsed < merged.Elapsed {
				t.Errorf("train progress %+v after merge progress %+v", p, merged)
			}
		}
	}
	m, err := Train(context.Background(), c, v, Options{Dim: 16, Epochs: 30, Threads: 1, Seed: 3, TempDir: t.TempDir(), Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(stages, ","); got != "count,merge,train" {
		t.Errorf("stages %s, want count,merge,train", got)
	}
	if m.Len() != v.Len() || len(m.Cost) != 30 {
		t.Fatalf("model has %d rows and %d costs, want %d and 30", m.Len(), len(m.Cost), v.Len())
	}
	t.Logf("cost by epoch: %.4f", m.Cost)
	for e := 1; e < len(m.Cost); e++ {
		if !(m.Cost[e] < m.Cost[e-1]) {
			t.Errorf("cost rose from %.6f to %.6f in epoch %d", m.Cost[e-1], m.Cost[e], e+1)
		}
	}
	checkPlanted(t, m, v, pairs)
}

// TestTrainHogwild trains the planted corpus with several lock-free threads.
func TestTrainHogwild(t *testing.T) {
	if raceEnabled {
		t.Skip("Hogwild updates race by design; skipped under the race detector")
	}
	corpus, pairs := plantedCorpus(2, 6, 1500)
	c := stringCorpus(corpus)
	v := buildVocab(t, c)
	m, err := Train(context.Background(), c, v, Options{Dim: 16, Epochs: 30, Threads: 4, Seed: 3, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	checkPlanted(t, m, v, pairs)
}

// TestTrainDeterministic checks that one thread and a seed give identical
// vectors, with the records in memory and on disk, and that another seed
// gives other vectors.
func TestTrainDeterministic(t *testing.T) {
	c := stringCorpus(zipfCorpus(3, 300, 10, 300))
	v := buildVocab(t, c)
	for _, mem := range []int64{0, MinMemoryBytes} {
		train := func(seed uint64) *Model {
			dir := t.TempDir()
			m, err := Train(context.Background(), c, v, Options{Dim: 10, Epochs: 3, Threads: 1, Seed: seed, MemoryBytes: mem, TempDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			assertEmptyDir(t, dir)
			return m
		}
		a, b, other := train(11), train(11), train(12)
		if !slices.Equal(a.Vectors, b.Vectors) || !slices.Equal(a.Cost, b.Cost) {
			t.Errorf("budget %d: two runs with seed 11 differ", mem)
		}
		if slices.Equal(a.Vectors, other.Vectors) {
			t.Errorf("budget %d: seeds 11 and 12 gave the same vectors", mem)
		}
	}
}

// TestTrainCooccurrencesReuse trains twice on one count, the second time
// after the first moved the tables to disk.
func TestTrainCooccurrencesReuse(t *testing.T) {
	c := stringCorpus(zipfCorpus(4, 200, 10, 200))
	v := buildVocab(t, c)
	dir := t.TempDir()
	ctx := context.Background()
	co, err := Count(ctx, c, v, Options{TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := records(t, co)
	opts := Options{Dim: 8, Epochs: 2, Threads: 1, TempDir: dir}
	m1, err := TrainCooccurrences(ctx, co, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := co.spillTables(); err != nil {
		t.Fatal(err)
	}
	if got := records(t, co); !slices.Equal(got, want) {
		t.Fatalf("counts changed after moving them to disk")
	}
	m2, err := TrainCooccurrences(ctx, co, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m1.Vectors, m2.Vectors) {
		t.Error("training on the same counts with the same seed gave other vectors")
	}
	if err := co.Close(); err != nil {
		t.Fatal(err)
	}
	assertEmptyDir(t, dir)
	if _, err := TrainCooccurrences(ctx, co, opts); err == nil {
		t.Error("training on closed counts did not fail")
	}
}

func TestTrainCancel(t *testing.T) {
	c := stringCorpus(zipfCorpus(5, 300, 10, 300))
	v := buildVocab(t, c)
	for _, stage := range []Stage{StageCount, StageMerge, StageTrain} {
		t.Run(string(stage), func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var last Progress
			opts := Options{Dim: 8, Epochs: 5, Threads: 1, MemoryBytes: MinMemoryBytes, TempDir: dir,
				Progress: func(p Progress) {
					last = p
					if p.Stage == stage {
						cancel()
					}
				}}
			_, err := Train(ctx, c, v, opts)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Train cancelled in stage %s: %v, want context.Canceled", stage, err)
			}
			if last.Stage != stage || last.Epoch > 1 {
				t.Errorf("Train went on to %+v after the cancel", last)
			}
			assertEmptyDir(t, dir)
		})
	}
}

func BenchmarkStep(b *testing.B) {
	const dim = 100
	for _, vocab := range []int{1000, 60000} {
		for _, zipf := range []bool{false, true} {
			b.Run(fmt.Sprintf("vocab=%d/zipf=%v", vocab, zipf), func(b *testing.B) {
				p, recs := benchProblem(vocab, dim, zipf)
				h := hyper{eta: 0.05, alpha: 0.75, logXMax: 4.6}
				k := 0
				for b.Loop() {
					p.step(recs[k&(len(recs)-1)], h)
					k++
				}
			})
		}
	}
}

// BenchmarkShard measures a worker's pass over records, prefetching
// included.
func BenchmarkShard(b *testing.B) {
	p, recs := benchProblem(60000, 100, true)
	ts := &trainSet{recs: recs, n: int64(len(recs)), vocab: p.vocab}
	h := hyper{eta: 0.05, alpha: 0.75, logXMax: 4.6}
	for b.Loop() {
		if _, err := p.shard(b.Context(), ts, 0, ts.n, h); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*ts.n), "ns/record")
}

func benchProblem(vocab, dim int, zipf bool) (*params, []trec) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := newParams(vocab, dim, rng)
	recs := make([]trec, 1<<20)
	z := rand.NewZipf(rng, 1.05, 1, uint64(vocab-1))
	for k := range recs {
		i := uint32(rng.IntN(vocab))
		if zipf {
			i = uint32(z.Uint64())
		}
		recs[k] = trec{i: i, j: uint32(rng.IntN(vocab)), logX: rng.Float32() * 3}
	}
	return p, recs
}
