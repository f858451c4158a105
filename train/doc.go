// Package train runs vecdb's built-in trainers and writes the vectors they
// learn straight into collections: word vectors (word2vec skip-gram and
// CBOW, fastText-style subwords, GloVe) and recommendation factors (ALS,
// BPR, item2vec). The learning itself lives in the subpackages (text,
// word2vec, glove, recsys) and the evaluations in wordeval and recsys;
// this package joins them to package db, writing only through its public
// API. Answering queries with what it stored (recommendations, fold-in of
// new users, word vectors with subwords, analogies) is package
// [github.com/vecdb/vecdb/infer]'s work; this package only says where it
// stored it ([FieldSeen], [NgramCollections]).
//
// Retraining into an existing collection replaces it atomically: the
// vectors go into an internal staging collection (db.InternalName, which
// no user collection can have), which [db.DB.ReplaceCollection] swaps in
// once complete. Readers see the old vectors until then. A crash leaves
// the old collection serving and a staging collection that the next
// writable open drops.
//
// # Caveats
//
// Trainers use every core by default and hold their model in memory; each
// trainer's options document its memory use. Training functions are safe
// to call from several goroutines on different collections.
package train
