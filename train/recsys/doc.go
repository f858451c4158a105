// Package recsys trains recommendation models from implicit feedback and
// evaluates them with a fixed ranking protocol. It works purely in memory:
// it reads "user item [weight [timestamp]]" lines ([ReadInteractions]),
// splits them into training and held-out items ([Split]), trains implicit
// ALS ([TrainALS]), BPR-MF ([TrainBPR]) or the popularity baseline
// ([NewPopularity]), and measures precision, recall, NDCG and MAP at k
// ([Evaluate]).
//
// Trained models are plain factor matrices ([Model]): row-major []float32
// with one row per user or item, such that the score of (user, item) is the
// dot product of the exported user and item vectors ([Model.UserVectors],
// [Model.ItemVectors]). They can be written into a vector collection with
// the dot-product metric without loss. [Folder] computes the ALS vector of a
// new or changed user against fixed item factors, without retraining.
//
// Every trainer takes a Seed. ALS is deterministic for a seed with any
// thread count; BPR is deterministic for a seed and a thread count.
//
// The evaluation protocol: every (user, item) pair present is a positive
// (duplicates summed; the weight is the trainer's confidence, not a
// relevance grade); for each user with at least 5 items, floor(fraction ×
// n) of them (at least 1) are held out, chosen by the seed or the latest
// ones; models train on the rest; users with fewer than 5 items keep all
// their items in training and are not evaluated; each user's top k is
// ranked among the items not in that user's training set; relevant = the
// held-out items; precision@k = hits/k; recall@k = hits/|relevant|; NDCG@k
// with binary gains 1/log2(rank+1), ideal DCG over min(k, |relevant|);
// MAP@k = the sum of precision@i at each hit rank i, divided by
// min(k, |relevant|); all averaged over the evaluated users. The baseline
// is [Popularity] on the same split.
//
// # Caveats
//
//   - An [Interactions] value is immutable once built and safe for
//     concurrent readers. Subsets made by [Split] and [Interactions.Filter]
//     share the Users, Items, UserIndex and ItemIndex of their parent;
//     callers must not modify them.
//   - Slices in a [Model] belong to the model; callers may read them from
//     any number of goroutines but must not modify them while the model is
//     being scored. [Model.UserVectors] and [Model.ItemVectors] return
//     fresh copies.
//   - [Evaluate] calls [Scorer.Score] from several goroutines at once; a
//     Scorer must be safe for concurrent use. [Model] and [Popularity] are.
//   - Trainers may be called concurrently on the same [Interactions]. Their
//     Progress callbacks run on the calling goroutine between iterations,
//     so a slow callback slows training.
//   - ALS regularisation (Lambda) is not scaled by counts, so its best
//     value depends on the size of the data; the defaults are tuned on
//     MovieLens-100k (see [ALSOptions]).
//   - The evaluation protocol is a contract (see [Split] and [Evaluate]):
//     change it only together with the checks that rely on it.
package recsys
