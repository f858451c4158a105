package train

import (
	"context"
	"strconv"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train/glove"
	"github.com/vecdb/vecdb/train/text"
	"github.com/vecdb/vecdb/train/word2vec"
)

// Corpus is the input of a word trainer: the text and how its vocabulary
// is chosen.
type Corpus struct {
	Text  *text.Corpus
	Vocab text.VocabOptions
}

// WordStats reports a word trainer's run.
type WordStats struct {
	// Words is the vocabulary size; Tokens the corpus length in tokens
	// and VocabTokens in vocabulary words.
	Words               int
	Tokens, VocabTokens int64
	// VocabTime, TrainTime and WriteTime split the run.
	VocabTime, TrainTime, WriteTime time.Duration
	// WordsPerSec is VocabTokens x epochs / TrainTime (word2vec and
	// fastText).
	WordsPerSec float64
	// Buckets is the number of subword n-gram vectors written (fastText).
	Buckets int
}

// Word2Vec trains word2vec (skip-gram or CBOW, by opts.Arch) on the corpus
// and writes the vectors into out.Collection (cosine metric, fields
// "count" and "rank"). With opts.Subword set it trains fastText-style
// subword vectors and also writes the n-gram vectors to an internal
// companion collection (db.InternalName("ngrams", out.Collection), dropped
// with it; see [NgramCollections]), so that
// [github.com/vecdb/vecdb/infer.WordVector] can give words outside the
// vocabulary a vector at query time.
func Word2Vec(ctx context.Context, in Corpus, opts word2vec.Options, out Output) (WordStats, error) {
	v, st, err := buildVocab(ctx, in)
	if err != nil {
		return st, err
	}
	start := time.Now()
	m, err := word2vec.TrainCorpus(ctx, in.Text, v, opts)
	if err != nil {
		return st, err
	}
	st.TrainTime = time.Since(start)
	st.WordsPerSec = float64(v.Total) * float64(max(opts.Epochs, 1)) / st.TrainTime.Seconds()
	start = time.Now()
	if m.Subword == nil {
		if err := writeWords(ctx, v, m.Dim, m.Vectors, out); err != nil {
			return st, err
		}
		st.WriteTime = time.Since(start)
		return st, nil
	}
	// The words and their n-grams are swapped in together.
	ng, n, err := stageNgrams(ctx, m, out)
	if err != nil {
		return st, err
	}
	st.Buckets = n
	ws, err := stageWords(ctx, v, m.Dim, m.Vectors, out)
	if err != nil {
		return st, dropStaged(out.DB, err, ng)
	}
	if err := swapIn(out.DB, ws, ng); err != nil {
		return st, err
	}
	st.WriteTime = time.Since(start)
	return st, nil
}

// GloVe trains GloVe on the corpus and writes the vectors (W + W̃) into
// out.Collection (cosine metric, fields "count" and "rank").
func GloVe(ctx context.Context, in Corpus, opts glove.Options, out Output) (WordStats, error) {
	v, st, err := buildVocab(ctx, in)
	if err != nil {
		return st, err
	}
	start := time.Now()
	m, err := glove.Train(ctx, in.Text, v, opts)
	if err != nil {
		return st, err
	}
	st.TrainTime = time.Since(start)
	start = time.Now()
	if err := writeWords(ctx, v, m.Dim, m.Vectors, out); err != nil {
		return st, err
	}
	st.WriteTime = time.Since(start)
	return st, nil
}

func buildVocab(ctx context.Context, in Corpus) (*text.Vocab, WordStats, error) {
	var st WordStats
	if in.Text == nil {
		return nil, st, errors.New("train: no corpus")
	}
	start := time.Now()
	v, err := text.BuildVocab(ctx, in.Text, in.Vocab)
	if err != nil {
		return nil, st, err
	}
	st.VocabTime = time.Since(start)
	st.Words, st.Tokens, st.VocabTokens = v.Len(), v.Tokens, v.Total
	return v, st, nil
}

// writeWords writes one vector per vocabulary word, with its count and
// rank, into a cosine collection.
func writeWords(ctx context.Context, v *text.Vocab, dim int, vecs []float32, out Output) error {
	st, err := stageWords(ctx, v, dim, vecs, out)
	if err != nil {
		return err
	}
	return swapIn(out.DB, st)
}

func stageWords(ctx context.Context, v *text.Vocab, dim int, vecs []float32, out Output) (staged, error) {
	out.Fields = wordFields
	return stage(ctx, out, db.Cosine, dim, v.Len(), func(i int) (string, []float32, db.Meta) {
		return v.Words[i], vecs[i*dim : (i+1)*dim], db.Meta{FieldCount: v.Counts[i], FieldRank: int64(i)}
	})
}

// ngramName names the collection of a subword model's n-gram vectors, an
// internal companion of the word collection (db.InternalName).
func ngramName(coll string) string { return db.InternalName("ngrams", coll) }

// NgramCollections returns the names under which the n-gram vectors of
// word collection coll, trained with subwords, may be stored, in the order
// to look them up: the internal companion collection [Word2Vec] writes
// today, then "COLL.ngrams", where earlier releases wrote them. Its
// record [NgramParamsID] holds the subword parameters (metadata fields
// "minn", "maxn" and "buckets"); every other record is one hash bucket's
// vector, its ID the bucket number in decimal.
func NgramCollections(coll string) []string {
	return []string{ngramName(coll), coll + ".ngrams"}
}

// NgramParamsID is the ID of the record of an n-gram collection (see
// [NgramCollections]) that holds the subword parameters; the other
// records are buckets, by number.
const NgramParamsID = "params"

// stageNgrams stages the n-gram buckets that some vocabulary word uses
// (the others were never trained) as a dot-metric collection, which keeps
// vectors as they are, and returns how many it wrote.
func stageNgrams(ctx context.Context, m *word2vec.Model, out Output) (staged, int, error) {
	used := make([]bool, m.Subword.Buckets)
	for _, w := range m.Words {
		for _, b := range word2vec.NgramBuckets(w, *m.Subword) {
			used[b] = true
		}
	}
	var buckets []int
	for b, u := range used {
		if u {
			buckets = append(buckets, b)
		}
	}
	no := out
	no.Collection = ngramName(no.Collection)
	no.IndexAbove = -1 // looked up by ID, never searched
	no.Fields = []db.Field{{Name: "minn", Type: db.Int}, {Name: "maxn", Type: db.Int}, {Name: "buckets", Type: db.Int}}
	params := make([]float32, m.Dim)
	st, err := stage(ctx, no, db.Dot, m.Dim, len(buckets)+1, func(i int) (string, []float32, db.Meta) {
		if i == len(buckets) {
			return NgramParamsID, params, db.Meta{"minn": m.Subword.MinN, "maxn": m.Subword.MaxN, "buckets": m.Subword.Buckets}
		}
		b := buckets[i]
		return strconv.Itoa(b), m.Buckets[b*m.Dim : (b+1)*m.Dim], nil
	})
	return st, len(buckets), err
}
