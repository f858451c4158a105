package recsys

import "math"

// Popularity is the popularity baseline: every user gets the same ranking,
// by the number of training users of each item, ties going to the lower
// item index (the [Evaluate] tie rule). It implements [Scorer] and is
// goroutine-safe.
type Popularity struct {
	// Counts holds, per item, the number of distinct training users.
	Counts []float32
}

// NewPopularity counts each item's users in train.
func NewPopularity(train *Interactions) *Popularity {
	p := &Popularity{Counts: make([]float32, train.NumItems())}
	for i := range p.Counts {
		p.Counts[i] = float32(train.ItemPtr[i+1] - train.ItemPtr[i])
	}
	return p
}

// NumItems returns the number of items scored.
func (p *Popularity) NumItems() int { return len(p.Counts) }

// Score copies the counts into out; entries of out beyond the known items
// are set to -Inf. The user is ignored.
func (p *Popularity) Score(_ int, out []float32) {
	n := copy(out, p.Counts)
	for i := n; i < len(out); i++ {
		out[i] = float32(math.Inf(-1))
	}
}
