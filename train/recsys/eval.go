package recsys

import (
	"context"
	"math"
	"runtime"
	"slices"

	"github.com/cockroachdb/errors"
)

// Scorer scores every item for a user; higher is better. Score sets out[i]
// for every i < len(out). [Evaluate] calls Score from several goroutines at
// once, so implementations must be goroutine-safe. [Model] and [Popularity]
// implement it.
type Scorer interface {
	Score(user int, out []float32)
}

// Metrics are ranking metrics at k averaged over the evaluated users.
type Metrics struct {
	// Precision is the mean of hits/k.
	Precision float64
	// Recall is the mean of hits/|relevant|.
	Recall float64
	// NDCG is the mean NDCG@k with binary gains 1/log2(rank+1) (rank
	// 1-based) and the ideal DCG taken over min(k, |relevant|) ranks.
	NDCG float64
	// MAP is the mean of AP@k: the sum of precision@i over the ranks i of
	// the hits, divided by min(k, |relevant|).
	MAP float64
	// Users is the number of users evaluated: those with held-out items.
	Users int
}

// Evaluate ranks, for every user with held-out items (test[u] non-empty),
// the items not in that user's training set by s's scores, takes the top k
// (ties going to the lower item index; NaN scores rank last), and averages
// precision, recall, NDCG and MAP at k against test[u] over those users.
//
// test is indexed by user, as [Split] returns it; it may be shorter than
// the number of users. A held-out item out of range or present in the
// user's training set is an error, as is k < 1, and a Scorer that reports
// (through a NumItems method) a different number of items than train. The
// work is spread over GOMAXPROCS goroutines; the result does not depend on
// their number. Evaluate checks ctx between chunks of users.
func Evaluate(ctx context.Context, s Scorer, train *Interactions, test [][]int32, k int) (Metrics, error) {
	if err := checkEvalArgs(s, train, test, k); err != nil {
		return Metrics{}, err
	}
	type userMetrics struct{ p, r, ndcg, ap float64 }
	per := make([]userMetrics, len(test))
	threads := runtime.GOMAXPROCS(0)
	type scratch struct {
		scores []float32
		top    []int32
		rel    []int32
	}
	scr := make([]scratch, threads)
	err := forChunks(ctx, len(test), 16, threads, func(w, lo, hi int) {
		sc := &scr[w]
		if sc.scores == nil {
			sc.scores = make([]float32, train.NumItems())
		}
		for u := lo; u < hi; u++ {
			if len(test[u]) == 0 {
				continue
			}
			s.Score(u, sc.scores)
			trainItems, _ := train.UserRow(u)
			sc.top = topK(sc.top[:0], sc.scores, trainItems, k)
			sc.rel = append(sc.rel[:0], test[u]...)
			slices.Sort(sc.rel)
			sc.rel = slices.Compact(sc.rel)
			p, r, ndcg, ap := rankMetrics(sc.top, sc.rel, k)
			per[u] = userMetrics{p, r, ndcg, ap}
		}
	})
	if err != nil {
		return Metrics{}, err
	}
	var m Metrics
	for u, um := range per {
		if len(test[u]) == 0 {
			continue
		}
		m.Users++
		m.Precision += um.p
		m.Recall += um.r
		m.NDCG += um.ndcg
		m.MAP += um.ap
	}
	if m.Users > 0 {
		n := float64(m.Users)
		m.Precision /= n
		m.Recall /= n
		m.NDCG /= n
		m.MAP /= n
	}
	return m, nil
}

// checkEvalArgs validates Evaluate's arguments.
func checkEvalArgs(s Scorer, train *Interactions, test [][]int32, k int) error {
	switch {
	case s == nil || train == nil:
		return errors.New("recsys: Evaluate: nil scorer or interactions")
	case k < 1:
		return errors.Newf("recsys: Evaluate: k = %d, want at least 1", k)
	case len(test) > train.NumUsers():
		return errors.Newf("recsys: Evaluate: held-out items for %d users, training set has %d", len(test), train.NumUsers())
	}
	if n, ok := s.(interface{ NumItems() int }); ok && n.NumItems() != train.NumItems() {
		return errors.Newf("recsys: Evaluate: scorer has %d items, training set has %d", n.NumItems(), train.NumItems())
	}
	if n, ok := s.(interface{ NumUsers() int }); ok && n.NumUsers() != train.NumUsers() {
		return errors.Newf("recsys: Evaluate: scorer has %d users, training set has %d", n.NumUsers(), train.NumUsers())
	}
	for u, items := range test {
		for _, i := range items {
			if i < 0 || int(i) >= train.NumItems() {
				return errors.Newf("recsys: Evaluate: held-out item %d of user %d out of range [0, %d)", i, u, train.NumItems())
			}
			if train.Has(u, int(i)) {
				return errors.Newf("recsys: Evaluate: held-out item %d of user %d is in the training set", i, u)
			}
		}
	}
	return nil
}

// better reports whether item a with score sa ranks above item b with score
// sb: a higher score, or an equal score and a lower index.
func better(sa float32, a int32, sb float32, b int32) bool {
	return sa > sb || (sa == sb && a < b)
}

// topK appends to dst (returned) the best k items by score, best first,
// skipping the items in exclude (sorted increasing). NaN scores are treated
// as -Inf. It keeps a min-heap of size k whose root is the worst kept item.
func topK(dst []int32, scores []float32, exclude []int32, k int) []int32 {
	neg := float32(math.Inf(-1))
	score := func(i int32) float32 {
		if s := scores[i]; s == s {
			return s
		}
		return neg
	}
	h := dst[:0]
	// worse(x, y): x ranks below y, so x belongs nearer the root.
	worse := func(x, y int32) bool { return better(score(y), y, score(x), x) }
	down := func(j int) {
		for {
			l := 2*j + 1
			if l >= len(h) {
				return
			}
			if r := l + 1; r < len(h) && worse(h[r], h[l]) {
				l = r
			}
			if !worse(h[l], h[j]) {
				return
			}
			h[j], h[l] = h[l], h[j]
			j = l
		}
	}
	ex := 0
	for i := range int32(len(scores)) {
		if ex < len(exclude) && exclude[ex] == i {
			ex++
			continue
		}
		if len(h) < k {
			h = append(h, i)
			for j := len(h) - 1; j > 0; {
				p := (j - 1) / 2
				if !worse(h[j], h[p]) {
					break
				}
				h[j], h[p] = h[p], h[j]
				j = p
			}
			continue
		}
		if worse(h[0], i) {
			h[0] = i
			down(0)
		}
	}
	slices.SortFunc(h, func(a, b int32) int {
		if better(score(a), a, score(b), b) {
			return -1
		}
		return 1
	})
	return h
}

// rankMetrics returns precision, recall, NDCG and AP at k of a ranked list
// (best first, at most k items) against the relevant items (sorted,
// distinct, non-empty).
func rankMetrics(ranked, relevant []int32, k int) (p, r, ndcg, ap float64) {
	hits := 0
	var dcg float64
	for pos, i := range ranked[:min(k, len(ranked))] {
		if _, ok := slices.BinarySearch(relevant, i); !ok {
			continue
		}
		hits++
		rank := float64(pos + 1)
		dcg += 1 / math.Log2(rank+1)
		ap += float64(hits) / rank
	}
	ideal := min(k, len(relevant))
	var idcg float64
	for rank := 1; rank <= ideal; rank++ {
		idcg += 1 / math.Log2(float64(rank)+1)
	}
	p = float64(hits) / float64(k)
	r = float64(hits) / float64(len(relevant))
	ndcg = dcg / idcg
	ap /= float64(ideal)
	return p, r, ndcg, ap
}
