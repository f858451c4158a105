package wordeval

import (
	"fmt"
	"math"
	"testing"

	"github.com/cockroachdb/errors"
)

func TestSpaceNearest(t *testing.T) {
	// Unit vectors at 0, 10, 20, ... degrees, with a tie (rows 2 and 5 are
	// the same vector) and a zero vector.
	var vecs [][2]float32
	words := []string{"r0", "r1", "r2", "r3", "r4", "r5", "zero"}
	for _, deg := range []float64{0, 10, 20, 30, 40, 20} {
		rad := deg * math.Pi / 180
		vecs = append(vecs, [2]float32{float32(math.Cos(rad)), float32(math.Sin(rad))})
	}
	vecs = append(vecs, [2]float32{0, 0})
	e := smallEmbedding(words, vecs...)
	s, err := NewSpace(e, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 7 || s.Dim() != 2 {
		t.Fatalf("Len, Dim = %d, %d, want 7, 2", s.Len(), s.Dim())
	}
	for _, tc := range []struct {
		word string
		k    int
		want string
	}{
		{"r0", 1, "[r1]"},
		{"r0", 3, "[r1 r2 r5]"}, // tie: the lower row first
		{"R4", 4, "[r3 r2 r5 r1]"},
		{"r2", 1, "[r5]"}, // r5 equals r2
		{"r0", 100, "[r1 r2 r5 r3 r4 zero]"},
	} {
		t.Run(fmt.Sprintf("%s/k=%d", tc.word, tc.k), func(t *testing.T) {
			nb, err := s.Nearest(tc.word, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, n := range nb {
				got = append(got, n.Word)
				if i > 0 && n.Score > nb[i-1].Score {
					t.Errorf("scores not descending: %+v", nb)
				}
			}
			if fmt.Sprint(got) != tc.want {
				t.Errorf("Nearest(%s, %d) = %v, want %s", tc.word, tc.k, got, tc.want)
			}
		})
	}
	nb, err := s.Nearest("r0", 1)
	if err != nil || math.Abs(nb[0].Score-math.Cos(10*math.Pi/180)) > 1e-6 || nb[0].Row != 1 {
		t.Errorf("Nearest(r0, 1) = %+v, %v, want r1 at cos 10 degrees", nb, err)
	}
	if _, err := s.Nearest("nope", 3); !errors.Is(err, ErrUnknownWord) {
		t.Errorf("Nearest(nope) error = %v, want ErrUnknownWord", err)
	}
	if _, err := s.Analogy("r0", "nope", "r1", 3); !errors.Is(err, ErrUnknownWord) {
		t.Errorf("Analogy(r0, nope, r1) error = %v, want ErrUnknownWord", err)
	}
	if _, err := s.Nearest("r0", 0); err == nil {
		t.Error("Nearest(k = 0): no error")
	}
	// A zero query (b - a + c = 0) scores everything 0 rather than NaN.
	nb, err = s.Analogy("r0", "r0", "zero", 2)
	if err != nil || len(nb) != 2 || nb[0].Score != 0 || nb[0].Row != 1 {
		t.Errorf("Analogy(r0, r0, zero, 2) = %+v, %v, want score 0 from row 1", nb, err)
	}
}

func TestNewSpace(t *testing.T) {
	e := randomEmbedding(1, 10, 4)
	for _, tc := range []struct {
		n, want int
	}{{0, 10}, {3, 3}, {10, 10}, {11, 10}} {
		s, err := NewSpace(e, tc.n)
		if err != nil || s.Len() != tc.want {
			t.Errorf("NewSpace(n=%d) Len = %d, %v, want %d", tc.n, s.Len(), err, tc.want)
		}
	}
	if s, _ := NewSpace(e, 3); s != nil {
		if _, ok := s.Lookup("w3"); ok {
			t.Error("NewSpace(n=3) knows w3")
		}
	}
	if _, err := NewSpace(e, -1); err == nil {
		t.Error("NewSpace(n=-1): no error")
	}
	// The embedding is not modified.
	f := randomEmbedding(1, 10, 4)
	for i := range e.Vectors {
		if e.Vectors[i] != f.Vectors[i] {
			t.Fatal("NewSpace modified the embedding")
		}
	}
}
