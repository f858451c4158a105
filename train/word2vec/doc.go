// Package word2vec trains word2vec embeddings: skip-gram and CBOW with
// negative sampling, as in Mikolov et al.'s word2vec tool and gensim, plus
// fastText-style subword vectors that give unseen words a vector from their
// character n-grams.
//
// [Train] works on any stream of id sentences (a [Source]) with the ids'
// counts, so item2vec can feed it users' items in time order; [TrainCorpus]
// feeds it a [text.Corpus] through a [text.Vocab]. The algorithm follows
// word2vec: frequent-word subsampling, a random shrink of every window,
// negatives drawn from the unigram distribution raised to 0.75, a learning
// rate decaying linearly over the run, inputs initialised uniformly in
// ±0.5/Dim and outputs at zero. Several goroutines train at once without
// locks (Hogwild), fed by one reader. With more than one, each worker also
// keeps private copies of the output rows of the most frequent ids (1,310
// rows at 100 dimensions: 1 MiB with their snapshots) and merges its
// changes into the shared rows every 10,000 words: those rows are written
// all the time, and their cache lines bouncing between cores cost two
// threads up to a third of their speed.
//
// # Caveats
//
//   - Hogwild is a data race by design: workers read and write shared rows
//     of float32s without synchronisation, as word2vec, gensim and fastText
//     do. A lost update only perturbs a stochastic gradient, but the race
//     detector reports it, so run Train with Threads = 1 under -race (this
//     package's tests skip their multi-threaded runs there); with one worker
//     the code is race-free.
//   - Results are bit-identical run to run for a seed only with Threads = 1,
//     where training is word2vec's sequential algorithm exactly (up to the
//     order of float operations in the kernels and the scores of one
//     example being computed before its updates; see worker.negSample),
//     and on one kind of machine: the AVX2 kernels (fused multiply-add)
//     round differently from the portable ones.
//   - Memory: training holds the input and output matrices, 2 × V × Dim × 4
//     bytes for V ids (49 MB for 61,000 words at 100 dimensions), 12 to 16
//     bytes per id of tables, and with several threads 1 MiB of row copies
//     per worker. With subwords the n-gram buckets add Buckets × Dim × 4 bytes
//     (800 MB at fastText's defaults, 2,000,000 buckets and 100
//     dimensions) and the n-gram lists about 4 bytes per n-gram per word.
//     The [Model] keeps the input matrix (and buckets) and drops the rest.
//   - A [Model] is safe for concurrent reads. Its slices belong to the
//     model; [Model.Vector] copies into the caller's buffer.
//   - Counts drive the subsampling and the negatives; they should describe
//     the stream the [Source] produces, but nothing checks that they do.
package word2vec
