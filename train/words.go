package train

import (
	"cmp"
	"context"
	"slices"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train/wordeval"
)

// Word metadata the word trainers store with each vector.
const (
	// FieldCount is the word's count in the training corpus (int).
	FieldCount = "count"
	// FieldRank is the word's frequency rank, 0 = most frequent (int).
	FieldRank = "rank"
)

// wordFields are the metadata fields of a word collection.
var wordFields = []db.Field{{Name: FieldCount, Type: db.Int}, {Name: FieldRank, Type: db.Int}}

// LoadWords reads a word collection into memory in frequency order: by
// the "rank" field when the collection has it (as trainers write it),
// otherwise in insertion order (as an import of a frequency-ordered file
// such as GloVe's gives). The evaluations read collections this way.
func LoadWords(ctx context.Context, d *db.DB, coll string) (*wordeval.Embedding, error) {
	s, err := d.Collection(coll)
	if err != nil {
		return nil, err
	}
	f, hasRank := s.Field(FieldRank)
	hasRank = hasRank && f.Type == db.Int
	it, err := d.NewRecordIterator(coll)
	if err != nil {
		return nil, err
	}
	type word struct {
		w    string
		rank int64
		row  int
	}
	var words []word
	var vecs []float32
	for it.First(); it.Valid(); it.Next() {
		if len(words)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				_ = it.Close() // the cancellation is the error to report
				return nil, err
			}
		}
		rec := it.Record()
		w := word{w: rec.ID, rank: int64(len(words)), row: len(words)}
		if r, ok := rec.Meta[FieldRank].(int64); ok && hasRank {
			w.rank = r
		}
		words = append(words, w)
		vecs = append(vecs, rec.Vector...)
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, errors.Newf("collection %q is empty", coll)
	}
	if hasRank {
		slices.SortStableFunc(words, func(a, b word) int { return cmp.Compare(a.rank, b.rank) })
	}
	e := &wordeval.Embedding{Dim: s.Dim, Words: make([]string, len(words)), Vectors: make([]float32, 0, len(vecs))}
	for i, w := range words {
		e.Words[i] = w.w
		e.Vectors = append(e.Vectors, vecs[w.row*s.Dim:(w.row+1)*s.Dim]...)
	}
	return e, nil
}
