package wordeval

import (
	"context"
	"math"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/quant"
)

// Embedding is a set of word vectors held in memory.
//
// Words must be in frequency order, the most frequent first (the order of
// the GloVe and word2vec files): the analogy evaluation restricts itself to
// a prefix of Words, and look-ups prefer the lowest row. The functions of
// this package only read an Embedding; it is safe to share between
// goroutines as long as nobody modifies it.
type Embedding struct {
	// Words holds one word per row, the most frequent first.
	Words []string
	// Dim is the number of values per vector (at least 1).
	Dim int
	// Vectors holds the rows, row-major: row i is
	// Vectors[i*Dim : (i+1)*Dim]. len(Vectors) must be len(Words)*Dim.
	Vectors []float32
}

// Validate reports whether e is well formed: Dim at least 1 and
// len(Vectors) equal to len(Words)*Dim.
func (e *Embedding) Validate() error {
	if e == nil {
		return errors.New("wordeval: nil embedding")
	}
	if e.Dim < 1 {
		return errors.Newf("wordeval: embedding dimension %d, want at least 1", e.Dim)
	}
	if len(e.Words) > math.MaxInt32 {
		return errors.Newf("wordeval: %d words, at most %d supported", len(e.Words), math.MaxInt32)
	}
	if len(e.Vectors) != len(e.Words)*e.Dim {
		return errors.Newf("wordeval: embedding has %d values, want %d words x %d dimensions = %d",
			len(e.Vectors), len(e.Words), e.Dim, len(e.Words)*e.Dim)
	}
	return nil
}

// Row returns the vector of row i, which must be in [0, len(e.Words)) (it
// panics otherwise, as an index out of range does). The slice aliases
// e.Vectors: changing it changes the embedding.
func (e *Embedding) Row(i int) []float32 {
	return e.Vectors[i*e.Dim : (i+1)*e.Dim : (i+1)*e.Dim]
}

// LoadEmbedding reads the first limit records of the vector file at path
// (all of them when limit <= 0) into memory, in file order, which for the
// GloVe and word2vec files is frequency order. The file may be gzip- or
// zstd-compressed; f is its format (see [vecio.Format]; "" infers it from
// the name, so "glove.6B.100d.txt.gz" is read as text). The record IDs
// become the words.
func LoadEmbedding(ctx context.Context, path string, f vecio.Format, limit int) (*Embedding, error) {
	r, err := vecio.OpenReader(path, f)
	if err != nil {
		return nil, errors.Wrapf(err, "opening embedding %s", path)
	}
	e := &Embedding{}
	for r.Next() {
		if limit > 0 && len(e.Words) >= limit {
			break
		}
		if len(e.Words)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				_ = r.Close() // the cancellation is the error to report
				return nil, err
			}
		}
		rec := r.Record()
		e.Words = append(e.Words, rec.ID)
		e.Vectors = append(e.Vectors, rec.Vector...)
	}
	err = r.Err()
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, errors.Wrapf(err, "reading embedding %s", path)
	}
	e.Dim = r.Dim()
	if len(e.Words) == 0 {
		return nil, errors.Newf("reading embedding %s: no vectors", path)
	}
	return e, nil
}

// vocab is the lower-cased look-up over the first n words of an embedding.
type vocab struct {
	// index maps a key (a lower-cased word) to the lowest row with that key.
	index map[string]int32
	// canon[i] is index[key of row i]: the row that stands for row i's key.
	canon []int32
}

// newVocab builds the look-up over words, which must be in frequency order.
func newVocab(words []string) *vocab {
	v := &vocab{index: make(map[string]int32, len(words)), canon: make([]int32, len(words))}
	for i, w := range words {
		k := strings.ToLower(w)
		c, ok := v.index[k]
		if !ok {
			c = int32(i)
			v.index[k] = c
		}
		v.canon[i] = c
	}
	return v
}

// lookup returns the row standing for word (lower-cased) and whether there
// is one.
func (v *vocab) lookup(word string) (int32, bool) {
	i, ok := v.index[strings.ToLower(word)]
	return i, ok
}

// unitRows returns a copy of the first n rows of e, each scaled to unit
// length; rows that cannot be normalised (zero, NaN or Inf) become zero.
func unitRows(e *Embedding, n int) []float32 {
	d := e.Dim
	m := make([]float32, n*d)
	copy(m, e.Vectors[:n*d])
	for i := 0; i < n; i++ {
		row := m[i*d : (i+1)*d]
		if !quant.Normalize(row) {
			clear(row)
		}
	}
	return m
}
