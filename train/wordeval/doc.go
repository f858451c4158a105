// Package wordeval implements the standard intrinsic evaluations of word
// embeddings on in-memory vectors:
//
//   - word analogy ([ReadAnalogies], [Analogies]): the Google
//     questions-words.txt protocol of word2vec's compute-accuracy, 3CosAdd
//     over the most frequent words (30,000 by default), lower-cased look-up,
//     the three question words excluded from the candidates;
//   - word similarity ([ReadPairs], [Similarity]): Spearman's rank
//     correlation ([Spearman]) between the cosine similarity of two words and
//     a human score (WordSim-353, SimLex-999, MEN, RG-65, ...), over the pairs
//     whose two words are both in the vocabulary;
//   - nearest neighbours ([Space.Nearest]) and single analogies
//     ([Analogy3CosAdd], [Space.Analogy]) for interactive use.
//
// An [Embedding] lists its words in frequency order (row 0 is the most
// frequent word), as GloVe and word2vec write them. The package never touches
// storage: [LoadEmbedding] reads a vector file into memory and everything
// else works on that.
//
// # Look-up rules
//
// Question and pair words are lower-cased (strings.ToLower). An embedding word
// w answers to the key strings.ToLower(w); when several embedding words share a
// key ("Paris", "paris"), the most frequent one (lowest row) stands for it.
// A candidate row whose key is that of a question word counts as that
// question word: it is excluded from the answers, and an answer is correct
// when its key is the key of the expected word.
//
// # Caveats
//
//   - Goroutine safety: an [Embedding] is a plain value that the functions here
//     only read; do not modify it while they run. A [Space] is immutable and
//     safe for concurrent use. The readers and [Spearman] keep no state.
//   - Memory: [Analogies] and [NewSpace] copy the rows they use into a
//     unit-normalised matrix (n*dim float32); they never modify the
//     embedding. Rows whose norm is zero (or not finite) become zero vectors,
//     whose cosine with anything is 0.
//   - Slices returned here belong to the caller.
package wordeval
