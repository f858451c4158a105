package recsys

import (
	"context"
	"slices"
	"testing"
)

func TestPopularity(t *testing.T) {
	// Item counts: 0 -> 1, 1 -> 3, 2 -> 3, 3 -> 0, 4 -> 2.
	train := fixture(t, 5, [][]int{{1, 2, 4}, {1, 2}, {0, 1, 2, 4}, {}})
	p := NewPopularity(train)
	if want := []float32{1, 3, 3, 0, 2}; !slices.Equal(p.Counts, want) {
		t.Fatalf("Counts = %v, want %v", p.Counts, want)
	}
	// User 3 has seen nothing: the ranking is 1, 2 (tie, lower index
	// first), 4, 0, 3.
	if got, want := topK(nil, p.Counts, nil, 5), []int32{1, 2, 4, 0, 3}; !slices.Equal(got, want) {
		t.Fatalf("popularity ranking = %v, want %v", got, want)
	}
	// User 0 has seen 1, 2, 4: the top 2 are 0, 3. Held out {3}: the hit is
	// at rank 2, so P@2 = 1/2, R = 1, NDCG = (1/log2 3)/1, AP = (1/2)/1.
	m, err := Evaluate(context.Background(), p, train, [][]int32{{3}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if m.Users != 1 || m.Precision != 0.5 || m.Recall != 1 || m.MAP != 0.5 {
		t.Fatalf("Evaluate(popularity) = %+v", m)
	}
	out := make([]float32, 7)
	p.Score(0, out)
	if out[5] > -1e30 || out[6] > -1e30 || out[1] != 3 {
		t.Fatalf("Score beyond the known items = %v, want -Inf after 5 counts", out)
	}
}
