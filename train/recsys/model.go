package recsys

import (
	"math"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/quant"
)

// Model is a trained matrix factorisation: the score of (user u, item i) is
// the dot product of user row u and item row i, plus ItemBias[i] when
// ItemBias is set. [TrainALS] and [TrainBPR] return one.
//
// A Model is safe for concurrent readers (Score may be called from many
// goroutines). Its slices belong to it: callers may read them but must not
// modify them while the model is in use.
type Model struct {
	// Dim is the number of latent factors: the length of every row.
	Dim int
	// UserFactors holds one row of Dim floats per user, row-major: user u
	// is UserFactors[u*Dim : (u+1)*Dim].
	UserFactors []float32
	// ItemFactors holds one row of Dim floats per item, row-major.
	ItemFactors []float32
	// ItemBias holds one bias per item, or is nil when the model has none
	// (ALS, and BPR without [BPROptions.ItemBias]).
	ItemBias []float32
}

// NumUsers returns the number of user rows.
func (m *Model) NumUsers() int {
	if m.Dim <= 0 {
		return 0
	}
	return len(m.UserFactors) / m.Dim
}

// NumItems returns the number of item rows.
func (m *Model) NumItems() int {
	if m.Dim <= 0 {
		return 0
	}
	return len(m.ItemFactors) / m.Dim
}

// UserRow returns user u's factors; the slice aliases the model.
func (m *Model) UserRow(u int) []float32 { return m.UserFactors[u*m.Dim : (u+1)*m.Dim] }

// ItemRow returns item i's factors; the slice aliases the model.
func (m *Model) ItemRow(i int) []float32 { return m.ItemFactors[i*m.Dim : (i+1)*m.Dim] }

// Score sets out[i] to the score of item i for user u, for every item
// i < len(out). It implements [Scorer]. A user index out of range, or an
// out longer than NumItems, leaves the affected scores at -Inf rather than
// panicking. It is goroutine-safe.
func (m *Model) Score(u int, out []float32) {
	n := min(len(out), m.NumItems())
	for i := n; i < len(out); i++ {
		out[i] = float32(math.Inf(-1))
	}
	if u < 0 || u >= m.NumUsers() {
		for i := range n {
			out[i] = float32(math.Inf(-1))
		}
		return
	}
	quant.DotBatch(m.UserRow(u), m.ItemFactors[:n*m.Dim], out[:n])
	if m.ItemBias != nil {
		for i, b := range m.ItemBias[:n] {
			out[i] += b
		}
	}
}

// VectorDim returns the length of the vectors [Model.UserVectors] and
// [Model.ItemVectors] return: Dim, plus one when the model has item biases.
func (m *Model) VectorDim() int {
	if m.ItemBias != nil {
		return m.Dim + 1
	}
	return m.Dim
}

// UserVectors returns a fresh row-major copy of the user factors with
// VectorDim columns, such that the dot product of user row u and item row i
// of [Model.ItemVectors] is the model's score. With item biases, each user
// row ends with a constant 1. The caller owns the result.
func (m *Model) UserVectors() []float32 {
	if m.ItemBias == nil {
		return append([]float32(nil), m.UserFactors...)
	}
	return appendColumn(m.UserFactors, m.Dim, func(int) float32 { return 1 })
}

// ItemVectors returns a fresh row-major copy of the item factors with
// VectorDim columns; with item biases, each row ends with the item's bias.
// The caller owns the result.
func (m *Model) ItemVectors() []float32 {
	if m.ItemBias == nil {
		return append([]float32(nil), m.ItemFactors...)
	}
	return appendColumn(m.ItemFactors, m.Dim, func(i int) float32 { return m.ItemBias[i] })
}

func appendColumn(rows []float32, dim int, last func(row int) float32) []float32 {
	n := len(rows) / dim
	out := make([]float32, 0, n*(dim+1))
	for r := range n {
		out = append(out, rows[r*dim:(r+1)*dim]...)
		out = append(out, last(r))
	}
	return out
}

// check validates the model's shape against train.
func (m *Model) check(train *Interactions) error {
	if m.Dim <= 0 || len(m.UserFactors)%m.Dim != 0 || len(m.ItemFactors)%m.Dim != 0 {
		return errors.Newf("recsys: model with %d factors has %d user and %d item floats",
			m.Dim, len(m.UserFactors), len(m.ItemFactors))
	}
	if m.ItemBias != nil && len(m.ItemBias) != m.NumItems() {
		return errors.Newf("recsys: %d item biases for %d items", len(m.ItemBias), m.NumItems())
	}
	if train != nil && (m.NumUsers() != train.NumUsers() || m.NumItems() != train.NumItems()) {
		return errors.Newf("recsys: model has %d users and %d items, interactions have %d and %d",
			m.NumUsers(), m.NumItems(), train.NumUsers(), train.NumItems())
	}
	return nil
}
