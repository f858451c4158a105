package word2vec

// NgramBuckets returns the buckets of the character n-grams of word under
// o (which must have MinN, MaxN and Buckets set, as a trained Model's
// Subword has): the rows of [Model.Buckets] that [Model.Vector] averages
// for a word outside the vocabulary, hashed as fastText hashes them. A
// caller that stores the buckets elsewhere (package train writes them to a
// collection) composes unseen words with it.
func NgramBuckets(word string, o SubwordOptions) []int {
	if o.Buckets <= 0 || o.MinN <= 0 || o.MaxN < o.MinN {
		return nil
	}
	hashes, _ := appendNgramHashes(nil, nil, word, o.MinN, o.MaxN)
	out := make([]int, len(hashes))
	for i, h := range hashes {
		out[i] = int(h % uint32(o.Buckets))
	}
	return out
}
