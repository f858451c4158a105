package recsys

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

func TestFoldInReproducesTrainedUsers(t *testing.T) {
	train, _ := plantedSplit(t)
	o := smallALSOptions()
	m, err := TrainALS(context.Background(), train, o)
	if err != nil {
		t.Fatal(err)
	}
	fo, err := NewFolder(m.ItemFactors, m.Dim, o)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	var buf []float32
	for u := range train.NumUsers() {
		items, ws := train.UserRow(u)
		buf, err = fo.FoldIn(items, ws, buf)
		if err != nil {
			t.Fatal(err)
		}
		worst = max(worst, relErr(buf, m.UserRow(u)))
	}
	t.Logf("worst relative error of fold-in against the trained vectors: %.3g", worst)
	if worst > 1e-5 {
		t.Fatalf("fold-in differs from the trained user vectors by up to %.3g (relative), want < 1e-5", worst)
	}
	// The one-off function agrees, and item order and duplicates do not
	// matter: user 0's items reversed, each given as two halves.
	items, ws := train.UserRow(0)
	var rev []int32
	var half []float32
	for k := len(items) - 1; k >= 0; k-- {
		rev = append(rev, items[k], items[k])
		half = append(half, ws[k]/2, ws[k]/2)
	}
	x, err := FoldIn(m.ItemFactors, m.Dim, rev, half, o)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(x, m.UserRow(0)); e > 1e-5 {
		t.Fatalf("FoldIn(reversed, halved duplicates) relative error %.3g", e)
	}
}

func TestFoldInNewUser(t *testing.T) {
	// A new user with five items of group 2 is recommended group 2.
	train, _ := plantedSplit(t)
	m, err := TrainALS(context.Background(), train, smallALSOptions())
	if err != nil {
		t.Fatal(err)
	}
	fo, err := NewFolder(m.ItemFactors, m.Dim, smallALSOptions())
	if err != nil {
		t.Fatal(err)
	}
	var items []int32
	for i := range train.NumItems() {
		if itemGroup(train, i, 20) == 2 && len(items) < 5 {
			items = append(items, int32(i))
		}
	}
	x, err := fo.FoldIn(items, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	scores := make([]float32, train.NumItems())
	for i := range scores {
		scores[i] = float32(dot64(x, m.ItemRow(i)))
	}
	exclude := append([]int32(nil), items...)
	for _, i := range topK(nil, scores, exclude, 10) {
		if g := itemGroup(train, int(i), 20); g != 2 {
			t.Fatalf("fold-in of a group-2 user recommends item %s of group %d", train.Items[i], g)
		}
	}
	// Concurrent calls agree with a serial one.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			y, err := fo.FoldIn(items, nil, nil)
			if err != nil || relErr(y, x) != 0 {
				t.Errorf("concurrent FoldIn = %v, %v", relErr(y, x), err)
			}
		})
	}
	wg.Wait()
}

func TestFoldInErrors(t *testing.T) {
	items := make([]float32, 4*3)
	for k := range items {
		items[k] = float32(k%5) - 2
	}
	fo, err := NewFolder(items, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		items   []int32
		weights []float32
		want    string
	}{
		{"item out of range", []int32{4}, nil, "out of range"},
		{"negative item", []int32{-1}, nil, "out of range"},
		{"weights length", []int32{1, 2}, []float32{1}, "1 weights for 2 items"},
		{"negative weight", []int32{1}, []float32{-1}, "weight"},
		{"NaN weight", []int32{1}, []float32{float32(math.NaN())}, "weight"},
	} {
		if _, err := fo.FoldIn(tc.items, tc.weights, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: FoldIn = %v, want %q", tc.name, err, tc.want)
		}
	}
	if x, err := fo.FoldIn(nil, nil, nil); err != nil || len(x) != 3 || x[0] != 0 || x[1] != 0 || x[2] != 0 {
		t.Errorf("FoldIn(no items) = %v, %v; want the zero vector", x, err)
	}
	if _, err := NewFolder(items, 5, nil); err == nil {
		t.Error("NewFolder(12 floats, dim 5) = nil error")
	}
	if _, err := NewFolder(items, 0, nil); err == nil {
		t.Error("NewFolder(dim 0) = nil error")
	}
	bad := append([]float32(nil), items...)
	bad[4] = float32(math.NaN())
	fo, err = NewFolder(bad, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fo.FoldIn([]int32{1}, nil, nil); err == nil {
		t.Error("FoldIn against NaN factors = nil error")
	}
}

// TestFoldInMatchesNormalEquations checks the solve against the normal
// equations built naively in float64, for a user with more items than one
// gather block holds.
func TestFoldInMatchesNormalEquations(t *testing.T) {
	const f, nItems = 6, 6000
	seed := uint64(5)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	y := make([]float32, nItems*f)
	for k := range y {
		y[k] = float32(rng.NormFloat64() * 0.3)
	}
	var items []int32
	var ws []float32
	for i := range int32(nItems) {
		if rng.IntN(6) != 0 {
			items = append(items, i)
			ws = append(ws, float32(1+rng.IntN(5)))
		}
	}
	if len(items) <= solveBlock {
		t.Fatalf("only %d items, want more than one block (%d)", len(items), solveBlock)
	}
	o := &ALSOptions{Lambda: 0.7, Alpha: 3}
	got, err := FoldIn(y, f, items, ws, o)
	if err != nil {
		t.Fatal(err)
	}
	a := make([]float64, f*f)
	b := make([]float64, f)
	obs := map[int32]float64{}
	for k, i := range items {
		obs[i] = float64(ws[k])
	}
	for i := range int32(nItems) {
		row := y[int(i)*f : int(i+1)*f]
		c := 1.0
		if w, ok := obs[i]; ok {
			c = 1 + o.Alpha*w
			for p := range f {
				b[p] += c * float64(row[p])
			}
		}
		for p := range f {
			for q := range f {
				a[p*f+q] += c * float64(row[p]) * float64(row[q])
			}
		}
	}
	for p := range f {
		a[p*f+p] += o.Lambda
	}
	if !cholSolve(a, b, f) {
		t.Fatal("reference system not positive definite")
	}
	want := make([]float32, f)
	for p := range want {
		want[p] = float32(b[p])
	}
	if e := relErr(got, want); e > 1e-4 {
		t.Fatalf("FoldIn = %v, normal equations give %v (relative error %.3g)", got, want, e)
	}
}
