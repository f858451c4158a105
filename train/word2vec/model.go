package word2vec

import "github.com/vecdb/vecdb/quant"

// Model holds trained vectors. It is independent of any vocabulary type:
// row id of Vectors belongs to id id of the training input, and Words, when
// known, names the rows. A Model is safe for concurrent reads; do not
// modify it while reading it from other goroutines.
type Model struct {
	// Dim is the vector length.
	Dim int
	// Vectors holds one row of Dim float32s per id, row-major: the input
	// vectors, or with subwords each word's mean of its own and its
	// n-grams' vectors. The caller may modify them (for instance normalise
	// them in place); Vector then returns the modified rows.
	Vectors []float32
	// Words names the rows, or is nil when the ids were not named. It is
	// the slice of Options.Words (for TrainCorpus, the vocabulary's
	// Words), not a copy.
	Words []string
	// Subword is set for subword models: the n-gram lengths and the
	// bucket count that unseen words are hashed with.
	Subword *SubwordOptions
	// Buckets holds Subword.Buckets rows of Dim float32s: the n-gram
	// vectors of a subword model.
	Buckets []float32

	index map[string]int32
}

// buildIndex maps Words to ids.
func (m *Model) buildIndex() {
	if m.Words == nil {
		return
	}
	m.index = make(map[string]int32, len(m.Words))
	for i, w := range m.Words {
		if _, dup := m.index[w]; !dup {
			m.index[w] = int32(i)
		}
	}
}

// Len returns the number of rows.
func (m *Model) Len() int {
	if m.Dim == 0 {
		return 0
	}
	return len(m.Vectors) / m.Dim
}

// ID returns the id of word, if Words names it.
func (m *Model) ID(word string) (int32, bool) {
	id, ok := m.index[word]
	return id, ok
}

// Row returns the vector of id, a sub-slice of Vectors, or nil when id is
// out of range.
func (m *Model) Row(id int32) []float32 {
	if id < 0 || int(id) >= m.Len() {
		return nil
	}
	c := int(id) * m.Dim
	return m.Vectors[c : c+m.Dim : c+m.Dim]
}

// Vector writes the vector of word into dst, reusing its storage when it
// has the capacity, and returns it. A word of Words gets its row of
// Vectors. Any other word gets, in a subword model, the mean of its
// n-gram vectors, as fastText does for unseen words. ok is false, and the
// returned slice empty, when the word has no vector: it is unknown and the
// model has no subwords or the word no n-gram of the trained lengths.
func (m *Model) Vector(word string, dst []float32) (vec []float32, ok bool) {
	if id, found := m.index[word]; found {
		return append(dst[:0], m.Row(id)...), true
	}
	if m.Subword == nil || m.Dim == 0 {
		return dst[:0], false
	}
	hashes, _ := appendNgramHashes(nil, nil, word, m.Subword.MinN, m.Subword.MaxN)
	if len(hashes) == 0 || len(m.Buckets) < m.Subword.Buckets*m.Dim {
		return dst[:0], false
	}
	if cap(dst) < m.Dim {
		dst = make([]float32, m.Dim)
	}
	dst = dst[:m.Dim]
	clear(dst)
	inv := 1 / float32(len(hashes))
	for _, h := range hashes {
		c := int(h%uint32(m.Subword.Buckets)) * m.Dim
		quant.Axpy(inv, m.Buckets[c:c+m.Dim:c+m.Dim], dst)
	}
	return dst, true
}
