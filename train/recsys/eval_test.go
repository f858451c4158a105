package recsys

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tableScorer returns fixed scores per user.
type tableScorer [][]float32

func (s tableScorer) Score(u int, out []float32) { copy(out, s[u]) }

// fixture builds interactions from per-user item lists, with user u
// called "u<u>" and item i called "<i>", so indices equal the numbers.
func fixture(t testing.TB, nItems int, rows [][]int) *Interactions {
	t.Helper()
	b := NewBuilder(nil)
	for i := range nItems {
		if _, err := intern(&b.items, b.itemIndex, strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	for u, row := range rows {
		if _, err := intern(&b.users, b.userIndex, "u"+strconv.Itoa(u)); err != nil {
			t.Fatal(err)
		}
		for _, i := range row {
			if err := b.Add("u"+strconv.Itoa(u), strconv.Itoa(i), 1, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b.Build()
}

func TestEvaluateHandComputed(t *testing.T) {
	// Six items; k = 3.
	train := fixture(t, 6, [][]int{
		{0},             // user 0
		{2, 3},          // user 1
		{0, 1, 2, 3, 4}, // user 2: not evaluated (no held-out items)
		{},              // user 3
		{0, 1, 2, 3, 4}, // user 4: one candidate left
	})
	test := [][]int32{{1, 3}, {0, 5, 4}, nil, {2}, {5}}
	nan := float32(math.NaN())
	scores := tableScorer{
		{9, 8, 1, 7, 6, 5},
		{1, 5, 9, 9, 3, 5},
		{0, 0, 0, 0, 0, 0},
		{nan, 0, -1, nan, 0, 0},
		{5, 4, 3, 2, 1, 0},
	}
	// User 0: candidates 1..5 (0 is training). Ranking 1 (8), 3 (7), 4 (6):
	// hits at ranks 1 and 2 of |relevant| = 2.
	//   P = 2/3, R = 2/2 = 1,
	//   DCG = 1/log2(2) + 1/log2(3) = 1.63093, IDCG (min(3,2) = 2 ranks) = the
	//   same, NDCG = 1, AP = (1/1 + 2/2) / 2 = 1.
	// User 1: candidates 0, 1, 4, 5 (2, 3 training), scores 1, 5, 3, 5; the
	// tie 1 vs 5 goes to the lower index: ranking 1, 5, 4. Hits at ranks 2
	// and 3 of |relevant| = 3.
	//   P = 2/3, R = 2/3,
	//   DCG = 1/log2(3) + 1/log2(4) = 0.63093 + 0.5 = 1.13093,
	//   IDCG = 1 + 0.63093 + 0.5 = 2.13093, NDCG = 0.53072,
	//   AP = (1/2 + 2/3) / min(3, 3) = 0.38889.
	// User 2: no held-out items, not evaluated.
	// User 3: NaN ranks last; ranking 1, 4, 5 (0, ties by index), no hit:
	//   all zero.
	// User 4: the only candidate is 5, a hit at rank 1; precision still
	//   divides by k: P = 1/3, R = 1, NDCG = 1/1 = 1, AP = 1/1 = 1.
	// Means over the 4 evaluated users:
	l3 := 1 / math.Log2(3)
	want := Metrics{
		Precision: (2.0/3 + 2.0/3 + 0 + 1.0/3) / 4,
		Recall:    (1 + 2.0/3 + 0 + 1) / 4,
		NDCG:      (1 + (l3+0.5)/(1+l3+0.5) + 0 + 1) / 4,
		MAP:       (1 + (0.5+2.0/3)/3 + 0 + 1) / 4,
		Users:     4,
	}
	got, err := Evaluate(context.Background(), scores, train, test, 3)
	if err != nil {
		t.Fatal(err)
	}
	const eps = 1e-12
	if got.Users != want.Users || math.Abs(got.Precision-want.Precision) > eps || math.Abs(got.Recall-want.Recall) > eps ||
		math.Abs(got.NDCG-want.NDCG) > eps || math.Abs(got.MAP-want.MAP) > eps {
		t.Fatalf("Evaluate = %+v, want %+v", got, want)
	}
	// The numbers above, spelled out, so a wrong formula cannot hide in a
	// shared expression.
	if math.Abs(want.NDCG-0.632680) > 1e-6 || math.Abs(want.MAP-0.597222) > 1e-6 {
		t.Fatalf("hand values drifted: NDCG %.6f, MAP %.6f", want.NDCG, want.MAP)
	}
}

func TestEvaluateErrors(t *testing.T) {
	train := fixture(t, 4, [][]int{{0, 1}, {2}})
	s := tableScorer{{1, 2, 3, 4}, {1, 2, 3, 4}}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		test [][]int32
		k    int
		want string
	}{
		{"k zero", [][]int32{{2}}, 0, "k = 0"},
		{"item in training", [][]int32{{1}}, 3, "in the training set"},
		{"item out of range", [][]int32{nil, {4}}, 3, "out of range"},
		{"too many users", [][]int32{nil, nil, {1}}, 3, "for 3 users"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Evaluate(ctx, s, train, tc.test, tc.k); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Evaluate error = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := Evaluate(ctx, &Popularity{Counts: make([]float32, 3)}, train, [][]int32{{2}}, 3); err == nil {
		t.Fatal("Evaluate with a scorer of 3 items on 4 = nil error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Evaluate(cctx, s, train, [][]int32{{2}}, 3); err != context.Canceled {
		t.Fatalf("Evaluate(cancelled) = %v, want context.Canceled", err)
	}
}

func TestTopKMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 1 + rng.IntN(60)
		scores := make([]float32, n)
		for i := range scores {
			scores[i] = float32(rng.IntN(8)) // many ties
			if rng.IntN(10) == 0 {
				scores[i] = float32(math.NaN())
			}
		}
		var exclude []int32
		for i := range int32(n) {
			if rng.IntN(4) == 0 {
				exclude = append(exclude, i)
			}
		}
		k := 1 + rng.IntN(12)
		// Reference: sort all candidates by (score desc, NaN last, index asc).
		var all []int32
		for i := range int32(n) {
			if !slices.Contains(exclude, i) {
				all = append(all, i)
			}
		}
		key := func(i int32) float32 {
			if s := scores[i]; s == s {
				return s
			}
			return float32(math.Inf(-1))
		}
		slices.SortFunc(all, func(a, b int32) int {
			if c := cmp.Compare(key(b), key(a)); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		want := all[:min(k, len(all))]
		got := topK(nil, scores, exclude, k)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: topK(%v, exclude %v, k=%d) = %v, want %v", trial, scores, exclude, k, got, want)
		}
	}
}

func TestRankMetrics(t *testing.T) {
	l := func(r float64) float64 { return 1 / math.Log2(r+1) }
	for _, tc := range []struct {
		name               string
		ranked, relevant   []int32
		k                  int
		p, r, ndcg, apWant float64
	}{
		// Hits at ranks 1 and 3 of 4 relevant, k = 5: AP = (1/1 + 2/3)/4.
		{"two hits", []int32{8, 1, 2, 7, 3}, []int32{2, 4, 8, 9}, 5, 2.0 / 5, 2.0 / 4,
			(l(1) + l(3)) / (l(1) + l(2) + l(3) + l(4)), (1 + 2.0/3) / 4},
		// One relevant item at rank 2, k = 3: IDCG over min(3, 1) = 1 rank.
		{"single relevant", []int32{5, 6, 7}, []int32{6}, 3, 1.0 / 3, 1, l(2) / l(1), 1.0 / 2},
		{"no hit", []int32{1, 2}, []int32{3}, 2, 0, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, r, ndcg, ap := rankMetrics(tc.ranked, tc.relevant, tc.k)
			if math.Abs(p-tc.p) > 1e-12 || math.Abs(r-tc.r) > 1e-12 || math.Abs(ndcg-tc.ndcg) > 1e-12 || math.Abs(ap-tc.apWant) > 1e-12 {
				t.Fatalf("rankMetrics = %v %v %v %v, want %v %v %v %v", p, r, ndcg, ap, tc.p, tc.r, tc.ndcg, tc.apWant)
			}
		})
	}
}
