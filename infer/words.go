package infer

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/quant"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/word2vec"
)

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

// WordVector returns the vector of word in a word collection. A word
// missing from it gets, when the collection was trained with subwords,
// the mean of its character n-gram vectors (fastText's vector for an
// unseen word), read from the first of [train.NgramCollections] that
// holds them; otherwise the error is [db.ErrNotFound]. The word and n-gram
// collections are read in one [db.DB.View], so a retrain that replaces
// both is seen whole or not at all.
func WordVector(ctx context.Context, d *db.DB, coll, word string) (vec []float32, err error) {
	err = d.View(func() error {
		vec, err = wordVector(d, coll, word)
		return err
	})
	return vec, err
}

func wordVector(d *db.DB, coll, word string) ([]float32, error) {
	rec, err := getWord(d, coll, word)
	if err == nil {
		return rec.Vector, nil
	}
	if !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	var ngrams string
	var p *db.Record
	perr := db.ErrNotFound
	for _, ngrams = range train.NgramCollections(coll) {
		if p, perr = d.Get(ngrams, train.NgramParamsID); !errors.Is(perr, db.ErrNotFound) {
			break
		}
	}
	if perr != nil {
		return nil, err // no subwords: the word is simply unknown
	}
	sub := word2vec.SubwordOptions{MinN: metaInt(p.Meta["minn"]), MaxN: metaInt(p.Meta["maxn"]), Buckets: metaInt(p.Meta["buckets"])}
	sum := make([]float32, len(p.Vector))
	n := 0
	for _, b := range word2vec.NgramBuckets(word, sub) {
		rec, gerr := d.Get(ngrams, strconv.Itoa(b))
		if errors.Is(gerr, db.ErrNotFound) {
			continue // a bucket no training word used: never trained
		}
		if gerr != nil {
			return nil, gerr
		}
		for i, x := range rec.Vector {
			sum[i] += x
		}
		n++
	}
	if n == 0 {
		return nil, sentinel.Mark(errors.Newf("word %q is not in %q and shares no trained n-gram with its words", word, coll), db.ErrNotFound)
	}
	for i := range sum {
		sum[i] /= float32(n)
	}
	return sum, nil
}

func metaInt(v any) int {
	i, _ := v.(int64)
	return int(i)
}
