package recsys

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/quant"
)

// Defaults for [BPROptions], tuned on MovieLens-100k with the [Split]
// protocol (random 20% hold-out) on seeds other than the one the tests
// report.
const (
	DefaultBPRFactors      = 64
	DefaultBPREpochs       = 50
	DefaultBPRLearningRate = 0.03
	DefaultBPRLambda       = 0.015
)

// bprInitScale is the standard deviation of the initial factors.
const bprInitScale = 0.1

// bprMinBlockItems and bprMinBlockUsers bound the number of blocks (and so
// goroutines) of parallel BPR: negatives come from one item block, which
// must not be tiny.
const (
	bprMinBlockItems = 256
	bprMinBlockUsers = 16
)

// bprNegativeTries bounds the draws for a negative item the user has not
// seen; a sample whose draws all hit seen items is skipped.
const bprNegativeTries = 32

// BPROptions configures [TrainBPR]. The zero value of a numeric field means
// its default; [DefaultBPROptions] returns the defaults.
type BPROptions struct {
	// Factors is the number of latent factors. Default 64, as for ALS.
	Factors int
	// Epochs is the number of passes; each visits every training pair once,
	// in a random order, with one sampled negative item. Default 50: on
	// MovieLens-100k NDCG@10 still creeps up after that (about +3% at 100
	// epochs, +5% at 200) but most of the gain is in by 50.
	Epochs int
	// LearningRate is the SGD step size, constant over training. Default
	// 0.03: on MovieLens-100k, 0.01–0.05 with Lambda 0.01–0.02 are within
	// a few percent of each other at 50 epochs; 0.1 is clearly worse.
	LearningRate float64
	// Lambda is the L2 regularisation weight on the factors (and biases)
	// touched by each step. Default 0.015 (see LearningRate); 0.001 and
	// 0.05 both lose 10% or more of NDCG@10.
	Lambda float64
	// ItemBias adds a learned per-item bias to the score. Default false:
	// it made no measurable difference on MovieLens-100k.
	ItemBias bool
	// Threads is the number of goroutines. Default (0): GOMAXPROCS. With
	// T > 1, each epoch splits users and items into T random blocks and
	// runs T rounds in which the T goroutines each train on a disjoint
	// (user block, item block) cell, negatives drawn from that cell's item
	// block (distributed SGD, Gemulla et al. 2011). Unlike lock-free
	// Hogwild, goroutines never write the same rows, so training is
	// race-free and deterministic for a seed and a thread count; on
	// MovieLens-100k, 1, 2 and 4 threads give the same NDCG@10 within
	// 0.5%. The number of blocks is capped so that each item block holds
	// at least 256 items and each user block 16 users.
	Threads int
	// Seed seeds the initial factors, the visiting order and the negatives.
	Seed uint64
	// Progress, when set, is called after every epoch (1-based) with the
	// mean BPR loss −ln σ(x_uij) over the epoch's samples, each measured
	// just before its update.
	Progress func(epoch int, loss float64)
}

// DefaultBPROptions returns the default options.
func DefaultBPROptions() BPROptions {
	return BPROptions{
		Factors: DefaultBPRFactors, Epochs: DefaultBPREpochs,
		LearningRate: DefaultBPRLearningRate, Lambda: DefaultBPRLambda,
	}
}

// EnsureDefaults replaces zero fields with their defaults.
func (o *BPROptions) EnsureDefaults() {
	d := DefaultBPROptions()
	if o.Factors == 0 {
		o.Factors = d.Factors
	}
	if o.Epochs == 0 {
		o.Epochs = d.Epochs
	}
	if o.LearningRate == 0 {
		o.LearningRate = d.LearningRate
	}
	if o.Lambda == 0 {
		o.Lambda = d.Lambda
	}
}

// Validate reports options that are out of range.
func (o *BPROptions) Validate() error {
	switch {
	case o.Factors < 1 || o.Factors > maxFactors:
		return errors.Newf("recsys: BPR factors %d out of range [1, %d]", o.Factors, maxFactors)
	case o.Epochs < 1:
		return errors.Newf("recsys: BPR epochs %d, want at least 1", o.Epochs)
	case !(o.LearningRate > 0) || math.IsInf(o.LearningRate, 0):
		return errors.Newf("recsys: BPR learning rate %v, want a finite positive number", o.LearningRate)
	case !(o.Lambda >= 0) || math.IsInf(o.Lambda, 0):
		return errors.Newf("recsys: BPR lambda %v, want a finite non-negative number", o.Lambda)
	case o.Threads < 0:
		return errors.Newf("recsys: BPR threads %d, want 0 (all cores) or more", o.Threads)
	}
	return nil
}

// TrainBPR trains BPR-MF (Rendle et al., 2009) on train with SGD: for each
// training pair (u, i) and an item j drawn uniformly from the items u has
// not seen, it takes a step up the gradient of ln σ(x_ui − x_uj) − λ‖Θ‖².
// Weights are ignored: every present pair is a positive. A nil opts means
// [DefaultBPROptions].
//
// The result is deterministic for a seed and a thread count. TrainBPR
// checks ctx every few thousand steps and returns ctx.Err() once it is
// done.
func TrainBPR(ctx context.Context, train *Interactions, opts *BPROptions) (*Model, error) {
	o := DefaultBPROptions()
	if opts != nil {
		o = *opts
		o.EnsureDefaults()
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if train == nil {
		return nil, errors.New("recsys: TrainBPR: nil interactions")
	}
	t := newBPRTrainer(train, &o)
	for epoch := 1; epoch <= o.Epochs; epoch++ {
		loss, err := t.epoch(ctx, uint64(epoch))
		if err != nil {
			return nil, err
		}
		if o.Progress != nil {
			o.Progress(epoch, loss)
		}
	}
	return t.m, nil
}

// bprTrainer holds the model and the per-epoch bucketing of pairs into
// (user block, item block) cells.
type bprTrainer struct {
	in      *Interactions
	o       *BPROptions
	m       *Model
	posUser []int32 // user of each pair position
	blocks  int
	// Per epoch: the block of each user and item, the items of each block,
	// and the pair positions grouped by cell (cellStart has blocks²+1
	// offsets into cells).
	userBlock, itemBlock []int32
	blockItems           [][]int32
	cells                []int32
	cellStart            []int
}

func newBPRTrainer(in *Interactions, o *BPROptions) *bprTrainer {
	f := o.Factors
	m := &Model{
		Dim:         f,
		UserFactors: make([]float32, in.NumUsers()*f),
		ItemFactors: make([]float32, in.NumItems()*f),
	}
	if o.ItemBias {
		m.ItemBias = make([]float32, in.NumItems())
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x627072))
	for k := range m.UserFactors {
		m.UserFactors[k] = float32(rng.NormFloat64() * bprInitScale)
	}
	for k := range m.ItemFactors {
		m.ItemFactors[k] = float32(rng.NormFloat64() * bprInitScale)
	}
	blocks := min(threadsOrDefault(o.Threads), in.NumItems()/bprMinBlockItems, in.NumUsers()/bprMinBlockUsers)
	t := &bprTrainer{in: in, o: o, m: m, blocks: max(1, blocks)}
	t.posUser = make([]int32, in.Len())
	for u := range in.Users {
		for pos := in.UserPtr[u]; pos < in.UserPtr[u+1]; pos++ {
			t.posUser[pos] = int32(u)
		}
	}
	t.userBlock = make([]int32, in.NumUsers())
	t.itemBlock = make([]int32, in.NumItems())
	t.blockItems = make([][]int32, t.blocks)
	t.cells = make([]int32, in.Len())
	t.cellStart = make([]int, t.blocks*t.blocks+1)
	return t
}

// assignBlocks draws this epoch's random user and item blocks and groups the
// pair positions by cell.
func (t *bprTrainer) assignBlocks(rng *rand.Rand) {
	T := t.blocks
	randomBlocks(rng, t.userBlock, T)
	randomBlocks(rng, t.itemBlock, T)
	for b := range t.blockItems {
		t.blockItems[b] = t.blockItems[b][:0]
	}
	for i, b := range t.itemBlock {
		t.blockItems[b] = append(t.blockItems[b], int32(i))
	}
	cell := func(pos int) int { return int(t.userBlock[t.posUser[pos]])*T + int(t.itemBlock[t.in.UserItems[pos]]) }
	clear(t.cellStart)
	for pos := range t.posUser {
		t.cellStart[cell(pos)+1]++
	}
	for c := range T * T {
		t.cellStart[c+1] += t.cellStart[c]
	}
	next := slices.Clone(t.cellStart[:T*T])
	for pos := range t.posUser {
		c := cell(pos)
		t.cells[next[c]] = int32(pos)
		next[c]++
	}
}

// randomBlocks assigns the indices of dst to T blocks of near-equal size, at
// random.
func randomBlocks(rng *rand.Rand, dst []int32, T int) {
	n := len(dst)
	for k := range dst {
		dst[k] = int32(k * T / max(n, 1))
	}
	rng.Shuffle(n, func(a, b int) { dst[a], dst[b] = dst[b], dst[a] })
}

// epoch runs one pass over all pairs and returns the mean loss.
func (t *bprTrainer) epoch(ctx context.Context, epoch uint64) (float64, error) {
	T := t.blocks
	rng := rand.New(rand.NewPCG(t.o.Seed, epoch<<20))
	t.assignBlocks(rng)
	loss := make([]float64, T*T)
	count := make([]int, T*T)
	for round := range T {
		err := forChunks(ctx, T, 1, T, func(_, ub, _ int) {
			ib := (ub + round) % T
			c := ub*T + ib
			cellRNG := rand.New(rand.NewPCG(t.o.Seed, epoch<<20|uint64(c)+1))
			loss[c], count[c] = t.sgd(ctx, t.cells[t.cellStart[c]:t.cellStart[c+1]], t.blockItems[ib], cellRNG)
		})
		if err != nil {
			return 0, err
		}
	}
	var sum float64
	n := 0
	for c := range loss {
		sum += loss[c]
		n += count[c]
	}
	if n == 0 {
		return 0, nil
	}
	return sum / float64(n), nil
}

// sgd shuffles one cell's pair positions and takes one step per pair with a
// negative drawn from negItems. It returns the summed loss and the number of
// steps; it stops early (the caller then sees ctx.Err()) once ctx is done.
func (t *bprTrainer) sgd(ctx context.Context, cell, negItems []int32, rng *rand.Rand) (float64, int) {
	if len(negItems) == 0 {
		return 0, 0
	}
	rng.Shuffle(len(cell), func(a, b int) { cell[a], cell[b] = cell[b], cell[a] })
	f := t.m.Dim
	lr, reg := float32(t.o.LearningRate), float32(t.o.Lambda)
	U, V, bias := t.m.UserFactors, t.m.ItemFactors, t.m.ItemBias
	var loss float64
	steps := 0
	for k, pos := range cell {
		if k&4095 == 4095 && ctx.Err() != nil {
			break
		}
		u, i := int(t.posUser[pos]), int(t.in.UserItems[pos])
		seen, _ := t.in.UserRow(u)
		j := -1
		for range bprNegativeTries {
			cand := negItems[rng.IntN(len(negItems))]
			if _, ok := slices.BinarySearch(seen, cand); !ok {
				j = int(cand)
				break
			}
		}
		if j < 0 {
			continue
		}
		xu, yi, yj := U[u*f:(u+1)*f], V[i*f:(i+1)*f], V[j*f:(j+1)*f]
		x := quant.DotProduct(xu, yi) - quant.DotProduct(xu, yj)
		if bias != nil {
			x += bias[i] - bias[j]
		}
		l, g := bprLossGrad(float64(x))
		loss += l
		for c := range xu {
			xc, ic, jc := xu[c], yi[c], yj[c]
			xu[c] = xc + lr*(g*(ic-jc)-reg*xc)
			yi[c] = ic + lr*(g*xc-reg*ic)
			yj[c] = jc + lr*(-g*xc-reg*jc)
		}
		if bias != nil {
			bias[i] += lr * (g - reg*bias[i])
			bias[j] += lr * (-g - reg*bias[j])
		}
		steps++
	}
	return loss, steps
}

// bprLossGrad returns the loss −ln σ(x) and the gradient factor σ(−x),
// with one exponential and without overflow.
func bprLossGrad(x float64) (loss float64, g float32) {
	if x > 0 {
		e := math.Exp(-x) // σ(−x) = e/(1+e), −ln σ(x) = ln(1+e)
		return math.Log1p(e), float32(e / (1 + e))
	}
	e := math.Exp(x) // σ(−x) = 1/(1+e), −ln σ(x) = ln(1+e) − x
	return math.Log1p(e) - x, float32(1 / (1 + e))
}
