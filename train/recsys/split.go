package recsys

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/cockroachdb/errors"
)

// MinEvalItems is the number of items a user needs to take part in the
// evaluation: [Split] holds out items only from users with at least this
// many; the others keep all their items in training.
const MinEvalItems = 5

// SplitMode chooses which items [Split] holds out.
type SplitMode int

const (
	// SplitRandom holds out items chosen by the seed.
	SplitRandom SplitMode = iota
	// SplitTime holds out each user's latest items by timestamp; among
	// equal timestamps the higher item index (the item first seen later in
	// the input) counts as later.
	SplitTime
)

// String returns "random" or "time".
func (m SplitMode) String() string {
	switch m {
	case SplitRandom:
		return "random"
	case SplitTime:
		return "time"
	}
	return "SplitMode(?)"
}

// ParseSplitMode parses "random" or "time".
func ParseSplitMode(s string) (SplitMode, error) {
	switch s {
	case "random":
		return SplitRandom, nil
	case "time":
		return SplitTime, nil
	}
	return 0, errors.Newf("recsys: unknown split mode %q (want random or time)", s)
}

// Split holds out part of each user's items for evaluation. Each user with
// at least [MinEvalItems] items has floor(fraction × n) of them held out
// (at least 1), chosen by seed (SplitRandom; each user's choice depends
// only on the seed and the user's index) or the latest ones (SplitTime).
// Users with fewer items keep them all in training and are not evaluated.
//
// It returns the training pairs (same users and items, same indices, as in)
// and, per user, the held-out items in increasing order (nil for users not
// evaluated). fraction must be in (0, 1).
func Split(in *Interactions, fraction float64, mode SplitMode, seed uint64) (*Interactions, [][]int32, error) {
	if in == nil {
		return nil, nil, errors.New("recsys: Split: nil interactions")
	}
	if !(fraction > 0 && fraction < 1) {
		return nil, nil, errors.Newf("recsys: test fraction %v, want a number in (0, 1)", fraction)
	}
	if mode != SplitRandom && mode != SplitTime {
		return nil, nil, errors.Newf("recsys: unknown split mode %d", int(mode))
	}
	heldOut := make([]bool, in.Len())
	test := make([][]int32, in.NumUsers())
	var order []int
	for u := range in.Users {
		lo, hi := in.UserPtr[u], in.UserPtr[u+1]
		n := hi - lo
		if n < MinEvalItems {
			continue
		}
		h := max(1, int(math.Floor(fraction*float64(n))))
		order = order[:0]
		for pos := lo; pos < hi; pos++ {
			order = append(order, pos)
		}
		switch mode {
		case SplitRandom:
			// Partial Fisher–Yates: order[:h] is a uniform sample.
			rng := rand.New(rand.NewPCG(seed, uint64(u)))
			for k := range h {
				j := k + rng.IntN(n-k)
				order[k], order[j] = order[j], order[k]
			}
			order = order[:h]
		case SplitTime:
			// order is by item already; a stable sort by time makes the
			// higher item index later among equal timestamps.
			slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(in.UserTimes[a], in.UserTimes[b]) })
			order = order[n-h:]
		}
		items := make([]int32, 0, h)
		for _, pos := range order {
			heldOut[pos] = true
			items = append(items, in.UserItems[pos])
		}
		slices.Sort(items)
		test[u] = items
	}
	train := in.Filter(func(_, pos int) bool { return !heldOut[pos] })
	return train, test, nil
}
