package wordeval

import (
	"context"
	"math"
	"slices"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/quant"
	"golang.org/x/sync/errgroup"
)

// ErrUnknownWord marks the errors of look-ups of a word that is not in the
// vocabulary; test for it with errors.Is.
var ErrUnknownWord = errors.New("wordeval: unknown word")

// Space is the unit-normalised view of the n most frequent words of an
// [Embedding], with the lower-cased look-up described in the package
// documentation. It answers nearest-neighbour and analogy queries by cosine
// similarity. A Space is immutable and safe for concurrent use; it holds
// its own copy of the vectors (n*dim float32) and shares the word strings.
type Space struct {
	words []string
	dim   int
	unit  []float32 // len(words)*dim, each row of unit length or zero
	voc   *vocab
}

// Neighbor is one answer of a nearest-neighbour or analogy query.
type Neighbor struct {
	// Word is the embedding word, as written in the embedding.
	Word string `json:"word"`
	// Row is its row in the embedding (0 = most frequent).
	Row int `json:"row"`
	// Score is its cosine similarity with the query vector.
	Score float64 `json:"score"`
}

// NewSpace returns the Space of the n most frequent words of e (all of them
// when n is 0 or exceeds len(e.Words)). A negative n or an invalid e is an
// error.
func NewSpace(e *Embedding, n int) (*Space, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, errors.Newf("wordeval: vocabulary size %d is negative", n)
	}
	if n == 0 || n > len(e.Words) {
		n = len(e.Words)
	}
	return &Space{
		words: e.Words[:n:n],
		dim:   e.Dim,
		unit:  unitRows(e, n),
		voc:   newVocab(e.Words[:n]),
	}, nil
}

// Len returns the number of words in s.
func (s *Space) Len() int { return len(s.words) }

// Dim returns the dimension of the vectors of s.
func (s *Space) Dim() int { return s.dim }

// Lookup returns the row standing for word: the most frequent row whose
// lower-cased word equals strings.ToLower(word).
func (s *Space) Lookup(word string) (row int, ok bool) {
	i, ok := s.voc.lookup(word)
	return int(i), ok
}

// row returns the unit vector of row i; it aliases s.unit.
func (s *Space) row(i int32) []float32 {
	return s.unit[int(i)*s.dim : int(i+1)*s.dim]
}

// lookupAll looks up every word and returns their rows, or an error marked
// [ErrUnknownWord] naming the first unknown one.
func (s *Space) lookupAll(words ...string) ([]int32, error) {
	rows := make([]int32, len(words))
	for i, w := range words {
		r, ok := s.voc.lookup(w)
		if !ok {
			return nil, sentinel.Mark(errors.Newf("wordeval: %q is not among the %d words", w, len(s.words)), ErrUnknownWord)
		}
		rows[i] = r
	}
	return rows, nil
}

// Nearest returns the k words most similar to word by cosine, best first,
// word itself (and any word with the same lower-cased form) left out.
func (s *Space) Nearest(word string, k int) ([]Neighbor, error) {
	rows, err := s.lookupAll(word)
	if err != nil {
		return nil, err
	}
	return s.topK(s.row(rows[0]), k, [3]int32{rows[0], rows[0], rows[0]})
}

// Analogy answers "a is to b as c is to ?" with 3CosAdd: the k words x
// maximising cos(x, b) - cos(x, a) + cos(x, c), best first, a, b and c left
// out. Each Neighbor's Score is the cosine of x with b̂ - â + ĉ, which ranks
// the words the same way.
func (s *Space) Analogy(a, b, c string, k int) ([]Neighbor, error) {
	rows, err := s.lookupAll(a, b, c)
	if err != nil {
		return nil, err
	}
	q := make([]float32, s.dim)
	s.query3CosAdd(q, rows[0], rows[1], rows[2])
	return s.topK(q, k, [3]int32{rows[0], rows[1], rows[2]})
}

// Analogy3CosAdd answers "a is to b as c is to ?" over the whole vocabulary
// of e; see [Space.Analogy]. It normalises all of e for the one query, so
// callers asking many should build a [Space] once.
func Analogy3CosAdd(e *Embedding, a, b, c string, k int) ([]Neighbor, error) {
	s, err := NewSpace(e, 0)
	if err != nil {
		return nil, err
	}
	return s.Analogy(a, b, c, k)
}

// query3CosAdd sets q to b̂ - â + ĉ.
func (s *Space) query3CosAdd(q []float32, a, b, c int32) {
	va, vb, vc := s.row(a), s.row(b), s.row(c)
	for i := range q {
		q[i] = vb[i] - va[i] + vc[i]
	}
}

// topK returns the k rows with the highest cosine with q, best first (ties
// to the lower row), skipping rows whose key is that of a row in excl.
func (s *Space) topK(q []float32, k int, excl [3]int32) ([]Neighbor, error) {
	if k < 1 {
		return nil, errors.Newf("wordeval: k = %d, want at least 1", k)
	}
	norm := math.Sqrt(float64(quant.DotProduct(q, q)))
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		norm = 1 // the scores are then all 0 (or NaN), and so is the ranking
	}
	scores := make([]float32, len(s.words))
	quant.DotBatch(q, s.unit, scores)
	var best []Neighbor
	for j, v := range scores {
		if math.IsNaN(float64(v)) || len(best) == k && !(v > float32(best[k-1].Score)) || isExcluded(s.voc.canon[j], excl) {
			continue
		}
		n := Neighbor{Word: s.words[j], Row: j, Score: float64(v)}
		// Insert after every better or equal score: descending, ties in row order.
		i, _ := slices.BinarySearchFunc(best, n, func(a, b Neighbor) int {
			if a.Score >= b.Score {
				return -1
			}
			return 1
		})
		if len(best) < k {
			best = append(best, Neighbor{})
		}
		copy(best[i+1:], best[i:])
		best[i] = n
	}
	for i := range best {
		best[i].Score /= norm
	}
	return best, nil
}

// isExcluded reports whether key row c is one of excl.
func isExcluded(c int32, excl [3]int32) bool {
	return c == excl[0] || c == excl[1] || c == excl[2]
}

// Block sizes of argmaxExcluding: a task takes blockQuestions query
// vectors through the whole matrix, tileBytes of rows at a time, so that
// each tile is read from memory once per block and then from the core's L2
// cache for every question of the block.
const (
	blockQuestions = 64
	tileBytes      = 512 << 10
)

// argmaxExcluding sets pred[i] to the row j maximising qs_i · unit_j over
// the rows whose key is not in excl[i] (ties to the lower row), or -1 when
// there is none, for every query vector qs_i (row-major, dim floats each).
// It runs on up to threads goroutines.
func (s *Space) argmaxExcluding(ctx context.Context, qs []float32, excl [][3]int32, pred []int32, threads int) error {
	d := s.dim
	tile := max(64, tileBytes/(4*d))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(threads)
	for lo := 0; lo < len(excl) && gctx.Err() == nil; lo += blockQuestions {
		hi := min(len(excl), lo+blockQuestions)
		g.Go(func() error {
			return s.scanBlock(gctx, qs[lo*d:hi*d], excl[lo:hi], pred[lo:hi], tile)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// A cancellation that came after the last block started scanning.
	return ctx.Err()
}

// scanBlock is argmaxExcluding for one block of questions, going through
// the rows tile rows at a time.
func (s *Space) scanBlock(ctx context.Context, qs []float32, excl [][3]int32, pred []int32, tile int) error {
	d, n := s.dim, len(s.words)
	canon := s.voc.canon
	best := make([]float32, len(pred))
	for i := range pred {
		best[i] = float32(math.Inf(-1))
		pred[i] = -1
	}
	out := make([]float32, tile)
	for r0 := 0; r0 < n; r0 += tile {
		if err := ctx.Err(); err != nil {
			return err
		}
		r1 := min(n, r0+tile)
		rows, o := s.unit[r0*d:r1*d], out[:r1-r0]
		for qi := range pred {
			quant.DotBatch(qs[qi*d:(qi+1)*d], rows, o)
			b, ex := best[qi], excl[qi]
			for j, v := range o {
				if v > b && !isExcluded(canon[r0+j], ex) {
					b = v
					pred[qi] = int32(r0 + j)
				}
			}
			best[qi] = b
		}
	}
	return nil
}
