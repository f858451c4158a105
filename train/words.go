package train

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/quant"
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

// Analogy answers "A is to B as C is to ?" over a word collection: the k
// words nearest (by cosine) to B - A + C, the three words left out, found
// through the collection's search (so its index serves when it has one).
// Words are looked up as given, then lower-cased. The words and the
// search read the collection in one [db.DB.View].
func Analogy(ctx context.Context, d *db.DB, coll, a, b, c string, k int) (res []db.Result, err error) {
	err = d.View(func() error {
		res, err = analogy(ctx, d, coll, a, b, c, k)
		return err
	})
	return res, err
}

func analogy(ctx context.Context, d *db.DB, coll, a, b, c string, k int) ([]db.Result, error) {
	if _, err := d.Collection(coll); err != nil {
		return nil, err
	}
	var sum []float32
	var ids []string
	for i, w := range []string{a, b, c} {
		rec, err := getWord(d, coll, w)
		if err != nil {
			return nil, err
		}
		v := slices.Clone(rec.Vector)
		if !quant.Normalize(v) {
			return nil, sentinel.Mark(errors.Newf("word %q has a zero vector", w), db.ErrInvalid)
		}
		if sum == nil {
			sum = make([]float32, len(v))
		}
		sign := float32(1)
		if i == 0 {
			sign = -1
		}
		for j, x := range v {
			sum[j] += sign * x
		}
		ids = append(ids, rec.ID)
	}
	if !quant.Normalize(sum) {
		return nil, sentinel.Mark(errors.New("the analogy vector B - A + C is zero"), db.ErrInvalid)
	}
	return d.Search(ctx, coll, &db.SearchRequest{Vector: sum, K: k, ExcludeIDs: ids})
}

// getWord reads a word's record, trying it as given and then lower-cased.
func getWord(d *db.DB, coll, w string) (*db.Record, error) {
	rec, err := d.Get(coll, w)
	if errors.Is(err, db.ErrNotFound) && strings.ToLower(w) != w {
		rec, err = d.Get(coll, strings.ToLower(w))
	}
	if errors.Is(err, db.ErrNotFound) {
		return nil, sentinel.Mark(errors.Newf("word %q is not in %q", w, coll), db.ErrNotFound)
	}
	return rec, err
}
