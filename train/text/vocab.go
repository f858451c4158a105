package text

import (
	"cmp"
	"context"
	"slices"

	"github.com/cockroachdb/errors"
)

// VocabOptions tune [BuildVocab].
type VocabOptions struct {
	// MinCount drops words seen fewer times (default 5, as in word2vec).
	MinCount int
	// MaxVocab keeps only the most frequent words when positive.
	MaxVocab int
	// MaxDistinct bounds the distinct words counted at once (default
	// 10,000,000, about 1 GB of map). Past it, the rarest words are pruned
	// with a rising threshold, as word2vec does, so the counts of words
	// near MinCount may come out low on a huge corpus.
	MaxDistinct int
}

// Vocab is a frequency-ordered vocabulary: word 0 is the most frequent.
// It is safe for concurrent use once built.
type Vocab struct {
	// Words and Counts are indexed by word id.
	Words  []string
	Counts []int64
	// Total is the sum of Counts: the corpus length in vocabulary words.
	Total int64
	// Tokens is the corpus length in tokens, including dropped words.
	Tokens int64
	index  map[string]int32
}

// NewVocab builds a vocabulary from words and their counts, ordered by
// count (ties keep the given order). Words must be distinct.
func NewVocab(words []string, counts []int64) (*Vocab, error) {
	if len(words) != len(counts) {
		return nil, errors.Newf("vocab: %d words but %d counts", len(words), len(counts))
	}
	ents := make([]vocabEntry, len(words))
	for i, w := range words {
		ents[i] = vocabEntry{word: w, count: counts[i], first: int64(i)}
	}
	return newVocab(ents)
}

type vocabEntry struct {
	word         string
	count, first int64
}

func newVocab(ents []vocabEntry) (*Vocab, error) {
	slices.SortFunc(ents, func(a, b vocabEntry) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return cmp.Compare(a.first, b.first)
	})
	v := &Vocab{
		Words:  make([]string, len(ents)),
		Counts: make([]int64, len(ents)),
		index:  make(map[string]int32, len(ents)),
	}
	for i, e := range ents {
		if _, dup := v.index[e.word]; dup {
			return nil, errors.Newf("vocab: word %q appears twice", e.word)
		}
		v.Words[i], v.Counts[i] = e.word, e.count
		v.index[e.word] = int32(i)
		v.Total += e.count
	}
	v.Tokens = v.Total
	return v, nil
}

// Len returns the number of words.
func (v *Vocab) Len() int { return len(v.Words) }

// ID returns the id of word.
func (v *Vocab) ID(word string) (int32, bool) {
	id, ok := v.index[word]
	return id, ok
}

// BuildVocab counts the words of c and keeps those seen at least MinCount
// times, most frequent first (ties in order of first appearance).
func BuildVocab(ctx context.Context, c *Corpus, opts VocabOptions) (*Vocab, error) {
	if opts.MinCount <= 0 {
		opts.MinCount = 5
	}
	if opts.MaxDistinct <= 0 {
		opts.MaxDistinct = 10_000_000
	}
	type count struct{ n, first int64 }
	counts := make(map[string]*count)
	var tokens int64
	pruneBelow := int64(1)
	err := c.Sentences(ctx, func(toks [][]byte) error {
		for _, t := range toks {
			if e, ok := counts[string(t)]; ok {
				e.n++
			} else {
				counts[string(t)] = &count{n: 1, first: tokens}
			}
			tokens++
		}
		if len(counts) > opts.MaxDistinct {
			for len(counts) > opts.MaxDistinct*3/4 {
				for w, e := range counts {
					if e.n <= pruneBelow {
						delete(counts, w)
					}
				}
				pruneBelow++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ents := make([]vocabEntry, 0, len(counts))
	for w, e := range counts {
		if e.n >= int64(opts.MinCount) {
			ents = append(ents, vocabEntry{word: w, count: e.n, first: e.first})
		}
	}
	if len(ents) == 0 {
		return nil, errors.Newf("corpus has no word seen %d times or more (%d tokens read)", opts.MinCount, tokens)
	}
	v, err := newVocab(ents)
	if err != nil {
		return nil, err
	}
	if opts.MaxVocab > 0 && v.Len() > opts.MaxVocab {
		v, err = NewVocab(v.Words[:opts.MaxVocab], v.Counts[:opts.MaxVocab])
		if err != nil {
			return nil, err
		}
	}
	v.Tokens = tokens
	return v, nil
}
