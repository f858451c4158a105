package wordeval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// randomEmbedding returns n random words ("w0", "w1", ...) of dimension d
// drawn from seed.
func randomEmbedding(seed uint64, n, d int) *Embedding {
	rng := rand.New(rand.NewPCG(seed, seed))
	e := &Embedding{Words: make([]string, n), Dim: d, Vectors: make([]float32, n*d)}
	for i := range e.Words {
		e.Words[i] = fmt.Sprintf("w%d", i)
	}
	for i := range e.Vectors {
		e.Vectors[i] = float32(rng.NormFloat64())
	}
	return e
}

// randomAnalogies returns nq questions over the first vocab words of e.
func randomAnalogies(seed uint64, e *Embedding, nq, vocab int) []Analogy {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	qs := make([]Analogy, nq)
	w := func() string { return e.Words[rng.IntN(vocab)] }
	for i := range qs {
		qs[i] = Analogy{Section: fmt.Sprintf("s%d", i%14), A: w(), B: w(), C: w(), D: w()}
	}
	return qs
}

// BenchmarkAnalogies measures the analogy evaluation at the size of the
// Google set on a 100-d embedding: 19,544 questions against the 30,000
// most frequent words.
func BenchmarkAnalogies(b *testing.B) {
	for _, tc := range []struct{ nq, vocab, dim int }{
		{2000, 30000, 100},
		{19544, 30000, 100},
	} {
		b.Run(fmt.Sprintf("q=%d/vocab=%d/dim=%d", tc.nq, tc.vocab, tc.dim), func(b *testing.B) {
			e := randomEmbedding(1, tc.vocab, tc.dim)
			qs := randomAnalogies(2, e, tc.nq, tc.vocab)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Analogies(context.Background(), e, qs, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(tc.nq*b.N)/b.Elapsed().Seconds(), "questions/s")
			b.ReportMetric(2*float64(tc.nq)*float64(tc.vocab)*float64(tc.dim)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
