package wordeval

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
)

// embedding3 returns an embedding of the given words and 3-d vectors.
func embedding3(words []string, vecs ...[3]float32) *Embedding {
	e := &Embedding{Words: words, Dim: 3}
	for _, v := range vecs {
		e.Vectors = append(e.Vectors, v[:]...)
	}
	return e
}

// unit64 returns the rows of e scaled to unit length, in float64.
func unit64(e *Embedding) [][]float64 {
	rows := make([][]float64, len(e.Words))
	for i := range rows {
		v := make([]float64, e.Dim)
		var n float64
		for k, x := range e.Row(i) {
			v[k] = float64(x)
			n += v[k] * v[k]
		}
		for k := range v {
			if n > 0 {
				v[k] /= math.Sqrt(n)
			}
		}
		rows[i] = v
	}
	return rows
}

// ref3CosAdd is the plain reference for one question: over the first
// vocab rows of e, in float64 (unit holds unit64(e)), the row maximising
// x̂·(b̂ - â + ĉ) (ties to the lower row), skipping rows whose lower-cased
// word is that of a, b or c when exclude is set. It returns -1 when no row
// qualifies.
func ref3CosAdd(e *Embedding, unit [][]float64, vocab int, a, b, c int, exclude bool) int {
	va, vb, vc := unit[a], unit[b], unit[c]
	skip := map[string]bool{
		strings.ToLower(e.Words[a]): true, strings.ToLower(e.Words[b]): true, strings.ToLower(e.Words[c]): true,
	}
	best, bestScore := -1, math.Inf(-1)
	for j := range min(vocab, len(e.Words)) {
		if exclude && skip[strings.ToLower(e.Words[j])] {
			continue
		}
		x := unit[j]
		var s float64
		for k := range x {
			s += x[k] * (vb[k] - va[k] + vc[k])
		}
		if s > bestScore {
			best, bestScore = j, s
		}
	}
	return best
}

func TestAnalogiesExcludesQuestionWords(t *testing.T) {
	// b is a with a small shift along y, so b̂ - â + ĉ is nearly ĉ: c itself
	// is the best match unless excluded, and d (c shifted along y) is next.
	e := embedding3([]string{"a", "b", "c", "d", "e"},
		[3]float32{1, 0, 0},
		[3]float32{1, 0.1, 0},
		[3]float32{0, 0, 1},
		[3]float32{0, 0.3, 1},
		[3]float32{0, -1, 0.2},
	)
	if got := ref3CosAdd(e, unit64(e), 5, 0, 1, 2, false); got != 2 {
		t.Fatalf("fixture: without exclusion the answer is row %d, want 2 (c)", got)
	}
	if got := ref3CosAdd(e, unit64(e), 5, 0, 1, 2, true); got != 3 {
		t.Fatalf("fixture: with exclusion the answer is row %d, want 3 (d)", got)
	}
	qs := []Analogy{
		{A: "a", B: "b", C: "c", D: "d"}, // right
		{A: "a", B: "b", C: "c", D: "e"}, // wrong
		{A: "a", B: "b", C: "c", D: "c"}, // c is never an answer
		{A: "a", B: "b", C: "c", D: "x"}, // unknown
	}
	got, err := Analogies(context.Background(), e, qs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Correct != 1 || got.Seen != 3 || got.Total != 4 || got.Accuracy != 1.0/3 || got.Sections != nil {
		t.Errorf("Analogies() = %+v, want 1 correct of 3 seen of 4, no sections", got)
	}
	nb, err := Analogy3CosAdd(e, "A", "B", "C", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(nb) != 2 || nb[0].Word != "d" || nb[0].Row != 3 || nb[1].Word != "e" || !(nb[0].Score > nb[1].Score) {
		t.Errorf("Analogy3CosAdd(A, B, C, 2) = %+v, want d then e", nb)
	}
}

func TestAnalogiesLowerCase(t *testing.T) {
	// "Paris" outranks "paris", so it stands for the key "paris"; "paris"
	// is a candidate row of its own, but counts as the word Paris: it is
	// excluded when Paris is a question word and right when Paris is the
	// answer. "ROME" is only reachable as "rome".
	e := embedding3(
		[]string{"france", "Paris", "italy", "ROME", "paris", "germany", "berlin", "Rome"},
		[3]float32{1, 0, 0},
		[3]float32{1, 1, 0},
		[3]float32{0, 0, 1},
		[3]float32{0, 1, 1},
		[3]float32{1, 1, -0.05}, // nearly Paris
		[3]float32{1, 0, 1},
		[3]float32{1, 1, 1},
		[3]float32{0, 1, 1.01}, // nearly ROME, less frequent
	)
	for _, tc := range []struct {
		q     Analogy
		vocab int
		seen  bool
		right bool
	}{
		{Analogy{A: "France", B: "PARIS", C: "Italy", D: "rome"}, 0, true, true},
		{Analogy{A: "italy", B: "rome", C: "france", D: "paris"}, 0, true, true},
		// The best row is "paris" (row 4), which is not excluded (no
		// question word is Paris) and counts as Paris.
		{Analogy{A: "germany", B: "berlin", C: "france", D: "Paris"}, 0, true, true},
		// With 3 words, rome is not in the vocabulary.
		{Analogy{A: "France", B: "PARIS", C: "Italy", D: "rome"}, 3, false, false},
		{Analogy{A: "france", B: "paris", C: "italy", D: "Rome"}, 4, true, true},
	} {
		t.Run(fmt.Sprintf("%v/vocab=%d", tc.q, tc.vocab), func(t *testing.T) {
			got, err := Analogies(context.Background(), e, []Analogy{tc.q}, &AnalogyOptions{Vocab: tc.vocab})
			if err != nil {
				t.Fatal(err)
			}
			if (got.Seen == 1) != tc.seen || (got.Correct == 1) != tc.right {
				t.Errorf("Analogies(%v, vocab %d) = %+v, want seen %v right %v", tc.q, tc.vocab, got, tc.seen, tc.right)
			}
		})
	}
	s, err := NewSpace(e, 0)
	if err != nil {
		t.Fatal(err)
	}
	if row, ok := s.Lookup("PARIS"); !ok || row != 1 {
		t.Errorf("Lookup(PARIS) = %d, %v, want 1 (Paris, the most frequent)", row, ok)
	}
	if row, ok := s.Lookup("rome"); !ok || row != 3 {
		t.Errorf("Lookup(rome) = %d, %v, want 3 (ROME)", row, ok)
	}
	if nb, err := s.Analogy("germany", "berlin", "france", 1); err != nil || len(nb) != 1 || nb[0].Row != 4 {
		t.Errorf("Analogy(germany, berlin, france, 1) = %+v, %v, want row 4 (paris)", nb, err)
	}
	// Nearest neighbours of Paris leave out paris, its lower-case twin.
	nb, err := s.Nearest("paris", 1)
	if err != nil || len(nb) != 1 || nb[0].Word != "berlin" {
		t.Errorf("Nearest(paris, 1) = %+v, %v, want berlin", nb, err)
	}
}

func TestAnalogiesSections(t *testing.T) {
	e := embedding3([]string{"a", "b", "c", "d", "e"},
		[3]float32{1, 0, 0},
		[3]float32{1, 0.1, 0},
		[3]float32{0, 0, 1},
		[3]float32{0, 0.3, 1},
		[3]float32{0, -1, 0.2},
	)
	in := ": one\na b c d\na b c e\nq q q q\n: two\na b c d\n: three\nz z z z\n"
	qs, err := ReadAnalogies(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Analogies(context.Background(), e, qs, &AnalogyOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]SectionResult{
		"one":   {Correct: 1, Seen: 2, Total: 3, Accuracy: 0.5},
		"two":   {Correct: 1, Seen: 1, Total: 1, Accuracy: 1},
		"three": {Correct: 0, Seen: 0, Total: 1, Accuracy: 0},
	}
	if fmt.Sprint(got.Sections) != fmt.Sprint(want) || fmt.Sprint(got.SectionOrder) != "[one two three]" {
		t.Errorf("Sections = %+v (order %v), want %+v", got.Sections, got.SectionOrder, want)
	}
	if got.Correct != 2 || got.Seen != 3 || got.Total != 5 {
		t.Errorf("Analogies() = %+v, want 2 correct of 3 seen of 5", got)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.HasPrefix(s, `{"accuracy":0.666`) || !strings.Contains(s, `"seen":3,"total":5,"sections":{"one":{"correct":1,"seen":2,"total":3,"accuracy":0.5}`) {
		t.Errorf("json.Marshal(result) = %s", s)
	}
	b, err = json.Marshal(AnalogyResult{Accuracy: 0.5, Seen: 2, Total: 3, Correct: 1})
	if err != nil || string(b) != `{"accuracy":0.5,"seen":2,"total":3}` {
		t.Errorf("json.Marshal(result without sections) = %s, %v", b, err)
	}
}

// TestAnalogiesRandom compares the blocked, multi-threaded evaluation with
// the plain float64 reference on random data with more questions than a
// block and more rows than a tile.
func TestAnalogiesRandom(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runAnalogiesRandom(t, seed) })
	}
}

func runAnalogiesRandom(t *testing.T, seed uint64) {
	t.Logf("seed %d", seed)
	const n, dim, vocab, nq = 3000, 65, 2500, 130
	e := randomEmbedding(seed, n, dim)
	// Answer half the questions with the reference's answer, so that both
	// right and wrong answers are checked, and use some words past vocab.
	qs := randomAnalogies(seed, e, nq, n)
	unit := unit64(e)
	var want AnalogyResult
	want.Total = nq
	for i := range qs {
		var a, b, c, d int
		if _, err := fmt.Sscanf(qs[i].A+" "+qs[i].B+" "+qs[i].C+" "+qs[i].D, "w%d w%d w%d w%d", &a, &b, &c, &d); err != nil {
			t.Fatal(err)
		}
		ref := ref3CosAdd(e, unit, vocab, a, b, c, true)
		if i%2 == 0 {
			qs[i].D, d = e.Words[ref], ref
		}
		if max(a, b, c, d) >= vocab {
			continue
		}
		want.Seen++
		if d == ref {
			want.Correct++
		}
	}
	for _, threads := range []int{1, 3} {
		got, err := Analogies(context.Background(), e, qs, &AnalogyOptions{Vocab: vocab, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		if got.Correct != want.Correct || got.Seen != want.Seen || got.Total != want.Total {
			t.Errorf("threads %d: Analogies() = %d correct of %d seen of %d, want %d of %d of %d",
				threads, got.Correct, got.Seen, got.Total, want.Correct, want.Seen, want.Total)
		}
	}
}

func TestAnalogiesErrors(t *testing.T) {
	e := randomEmbedding(1, 100, 8)
	qs := randomAnalogies(1, e, 10, 100)
	ctx := context.Background()
	if _, err := Analogies(ctx, e, qs, &AnalogyOptions{Vocab: -1}); err == nil {
		t.Error("Analogies(Vocab -1): no error")
	}
	if _, err := Analogies(ctx, e, qs, &AnalogyOptions{Threads: -1}); err == nil {
		t.Error("Analogies(Threads -1): no error")
	}
	if _, err := Analogies(ctx, &Embedding{Words: []string{"a"}, Dim: 0}, qs, nil); err == nil {
		t.Error("Analogies(dim 0): no error")
	}
	if _, err := Analogies(ctx, nil, qs, nil); err == nil {
		t.Error("Analogies(nil): no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Analogies(cancelled, e, qs, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Analogies(cancelled) error = %v, want context.Canceled", err)
	}
	got, err := Analogies(ctx, &Embedding{Dim: 4}, qs, nil)
	if err != nil || got.Seen != 0 || got.Total != 10 || got.Accuracy != 0 {
		t.Errorf("Analogies(empty embedding) = %+v, %v, want 0 seen of 10", got, err)
	}
	got, err = Analogies(ctx, e, nil, nil)
	if err != nil || got.Total != 0 || got.Accuracy != 0 {
		t.Errorf("Analogies(no questions) = %+v, %v", got, err)
	}
}
