// Package glove trains GloVe word vectors (Pennington, Socher and Manning,
// "GloVe: Global Vectors for Word Representation", EMNLP 2014) from a
// [text.Corpus], in two steps that follow the reference implementation:
//
//   - [Count] reads the corpus once and counts the weighted co-occurrences
//     X_ij: a symmetric window of Window words (10 by default) within a
//     line, a context word d positions away adding 1/d. The counts live in
//     a bounded amount of memory ([Options.MemoryBytes]): a dense table for
//     the pairs of frequent words (those whose rank product (i+1)(j+1) is
//     small, GloVe's own trick, since word frequencies fall off like 1/rank)
//     and a buffer for the rest that is sorted and compacted when full and,
//     when compacting no longer frees half of it, written out as a sorted
//     run file. The runs are merged k ways on demand, summing equal pairs.
//     Since X is symmetric only the pairs i ≤ j are stored, and counts are
//     exact integers in units of 1/lcm(1..Window).
//   - [TrainCooccurrences] turns the counts into training records (i, j,
//     log X_ij) for both orders of each pair, shuffles them once with the
//     seed (in memory, or through random bucket files on disk when they do
//     not fit), and minimises the weighted least-squares cost
//     sum f(X_ij) (w_i·w̃_j + b_i + b̃_j − log X_ij)², f(x) = min(1,
//     (x/100)^0.75), with AdaGrad (learning rate 0.05, gradient sums
//     starting at 1) for Epochs passes. Threads goroutines each take a
//     contiguous shard of the records and update the shared parameters
//     without locks (Hogwild), as GloVe's threads do.
//
// [Train] does both. The result is a [Model] whose vectors are W + W̃, one
// row per word id of the [text.Vocab].
//
// # Caveats
//
//   - With Threads > 1 the updates race on purpose: the goroutines read and
//     write the shared float32 parameters without synchronisation, which is
//     the accepted Hogwild algorithm (and GloVe's) but not data-race free in
//     Go's memory model. Results then vary from run to run, and the race
//     detector reports these races, so the tests that train with several
//     threads are skipped under -race (race_test.go sets a flag they
//     check). With Threads = 1 training is deterministic: the same corpus,
//     options and Seed give bit-identical vectors on a given machine.
//   - Memory: MemoryBytes bounds the counting tables (8 bytes per dense
//     cell, 16 per buffered pair) and, separately, the in-memory training
//     records (12 bytes for each of (i, j) and (j, i)); when the two would
//     not fit together, the tables are written to disk and collected
//     (runtime.GC) before the records are built. The model takes
//     16·Vocab·(Dim+1) bytes more, each run file open during a merge has a
//     256 KiB read buffer (at most 64 are open at once), and a file
//     shuffle has up to 256 bucket files with 64 KiB write buffers.
//   - Speed: the AdaGrad update has an AVX2 kernel on amd64 (bit-identical
//     to the portable loop, which other machines and the purego tag use),
//     and each worker prefetches the rows of the records just ahead.
//   - Temporary files go to a fresh directory under [Options.TempDir]. [Train]
//     removes it before returning, also on error or cancellation; after
//     [Count], [Cooccurrences.Close] does.
//   - A [Cooccurrences] and its [Iter] are not goroutine-safe. Options,
//     Models and the package functions keep no shared state, so separate
//     calls may run concurrently.
//   - [Options.Progress] is called synchronously; a slow callback slows
//     training.
package glove
