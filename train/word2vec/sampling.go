package word2vec

import (
	"math"
	"math/bits"

	"github.com/cockroachdb/errors"
)

// rng is wyrand: one 64x64->128-bit multiply per draw, a period of 2^64 and
// output that passes BigCrush, which is far more than negative sampling
// needs and cheaper than math/rand/v2's generators behind an interface.
type rng struct{ s uint64 }

// newRNG seeds a generator for one worker from the training seed.
func newRNG(seed int64, worker int) rng {
	return rng{s: splitmix64(uint64(seed) ^ splitmix64(uint64(worker)+0x632be59bd9b4e019))}
}

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intn returns a value in [0, n) for 0 < n < 2^32 (Lemire's multiply-shift;
// the bias of at most n/2^32 is irrelevant here).
func (r *rng) intn(n int) int {
	return int((r.next() >> 32) * uint64(n) >> 32)
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// aliasEntry is one column of Walker's alias table: keep the column's own
// id when the low 32 random bits fall below prob, else take alias.
type aliasEntry struct {
	prob  uint32
	alias int32
}

// aliasTable draws ids with probability proportional to count^0.75, the
// unigram distribution word2vec samples negatives from. It is exact (the
// classic 1e8-entry table rounds each word to a multiple of 1e-8), costs one
// random number and one 8-byte load per draw, and 8 bytes per id.
type aliasTable []aliasEntry

// newAliasTable builds the table with Vose's algorithm. Ids with a zero
// count are never drawn.
func newAliasTable(counts []int64, power float64) (aliasTable, error) {
	n := len(counts)
	w := make([]float64, n)
	var sum float64
	for i, c := range counts {
		if c > 0 {
			w[i] = math.Pow(float64(c), power)
			sum += w[i]
		}
	}
	if !(sum > 0) || math.IsInf(sum, 0) {
		return nil, errors.Newf("word2vec: counts sum to %g; no id can be drawn as a negative", sum)
	}
	t := make(aliasTable, n)
	small := make([]int32, 0, n)
	large := make([]int32, 0, n)
	for i := range w {
		w[i] *= float64(n) / sum
		if w[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		t[s] = aliasEntry{prob: probBits(w[s]), alias: l}
		w[l] -= 1 - w[s]
		if w[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// What is left has weight 1 up to rounding: keep itself always.
	for _, i := range append(small, large...) {
		t[i] = aliasEntry{prob: math.MaxUint32, alias: i}
	}
	return t, nil
}

// probBits scales p in [0, 1] to a uint32 threshold.
func probBits(p float64) uint32 {
	if p >= 1 {
		return math.MaxUint32
	}
	if p <= 0 {
		return 0
	}
	return uint32(p * (1 << 32))
}

// draw maps 64 random bits to an id: the high half picks the column, the
// low half decides between it and its alias.
func (t aliasTable) draw(r uint64) int32 {
	i := (r >> 32) * uint64(len(t)) >> 32
	e := t[i]
	if uint32(r) < e.prob {
		return int32(i)
	}
	return e.alias
}

// keepThresholds returns, for each id, the threshold below which 32 random
// bits keep an occurrence of it under frequent-word subsampling, exactly as
// word2vec and gensim compute it: with t = sample*total and f the id's
// count, the keep probability is (sqrt(f/t) + 1) * t/f, capped at 1. A zero
// sample keeps everything.
func keepThresholds(counts []int64, total int64, sample float64) []uint32 {
	keep := make([]uint32, len(counts))
	t := sample * float64(total)
	for i, c := range counts {
		p := 1.0
		if sample > 0 && c > 0 {
			f := float64(c)
			p = (math.Sqrt(f/t) + 1) * t / f
		}
		keep[i] = probBits(p)
	}
	return keep
}

// The logistic function and the loss come from tables, as in word2vec's
// EXP_TABLE: sigmoid(x) is 0 or 1 beyond ±maxExp, and in between the table
// holds its value at the centre of each of tableSize bins (word2vec uses
// 1000 bins over ±6 and truncates instead of centring).
const (
	maxExp    = 6
	tableSize = 1024
	tableStep = tableSize / (2.0 * maxExp) // bins per unit of x
)

var (
	// sigmoidTable[i] = 1/(1+exp(-x_i)) at the centre x_i of bin i.
	sigmoidTable [tableSize]float32
	// softplusTable[i] = log(1+exp(x_i)) = -log(sigmoid(-x_i)), the
	// negative-sampling loss of a negative example with score x_i (and of
	// a positive one with score -x_i).
	softplusTable [tableSize]float32
)

func init() {
	for i := range tableSize {
		x := (float64(i)+0.5)/tableStep - maxExp
		sigmoidTable[i] = float32(1 / (1 + math.Exp(-x)))
		softplusTable[i] = float32(math.Log1p(math.Exp(x)))
	}
}
