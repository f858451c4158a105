// Package infer answers queries with what vecdb's trainers (package
// [github.com/vecdb/vecdb/train]) stored: recommendations for a user
// ([Recommend]), fold-in of a new or changed user against the stored item
// vectors without retraining ([FoldIn], [Folder]), the vector of a word,
// one outside the vocabulary included when the model was trained with
// subwords ([WordVector]), and word analogies ([Analogy]). Both the
// command line and the server (through package wire) call it.
//
// A trainer replaces its collections together (a recommender's users and
// items, a subword model's words and n-grams). A helper that reads several
// collections does so in one [db.DB.View], so a retrain that lands
// meanwhile is seen whole or not at all: a user of one model is never
// paired with the items of another.
//
// # Caveats
//
// The functions are safe to call from several goroutines, and so is a
// [Folder]. A View holds off collection swaps (a retrain waits for it),
// so each helper keeps its view to the few reads and the one search it
// needs. Returned vectors and results belong to the caller.
package infer
