package wordeval

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestReadPairs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    []Pair
		wantErr string // substring of the error; "" for none
	}{
		{name: "empty", in: ""},
		{
			name: "tabs",
			in:   "love\tsex\t6.77\ntiger\tcat\t7.35\n",
			want: []Pair{{"love", "sex", 6.77, 1}, {"tiger", "cat", 7.35, 2}},
		},
		{
			name: "crlf and spaces",
			in:   "\uFEFFLove  sex 6.77\r\n\r\ntiger cat\t1e1\r\n",
			want: []Pair{{"Love", "sex", 6.77, 1}, {"tiger", "cat", 10, 3}},
		},
		{
			name: "gensim comments",
			in:   "# The WordSimilarity-353 Test Collection\n# Word 1\tWord 2\tHuman (mean)\nlove\tsex\t6.77\n",
			want: []Pair{{"love", "sex", 6.77, 3}},
		},
		{
			name: "tab header",
			in:   "Word 1\tWord 2\tHuman (mean)\nlove\tsex\t6.77\n",
			want: []Pair{{"love", "sex", 6.77, 2}},
		},
		{
			name: "space header after comment",
			in:   "# c\n\nword1 word2 score\nold new 1.58\n",
			want: []Pair{{"old", "new", 1.58, 4}},
		},
		{
			name:    "header not first",
			in:      "old new 1.58\nword1 word2 score\n",
			wantErr: `line 2: score "score" is not a finite number`,
		},
		{
			name:    "two headers",
			in:      "w1 w2 score\nw1 w2 score\n",
			wantErr: "line 2:",
		},
		{
			name:    "two fields",
			in:      "old new 1\nold new\n",
			wantErr: "line 2: 2 fields, want 3",
		},
		{
			name:    "four fields",
			in:      "# x\nold new 1 2\n",
			wantErr: "line 2: 4 fields, want 3",
		},
		{
			name:    "NaN score",
			in:      "a b 1\na b NaN\n",
			wantErr: "line 2: score",
		},
		{
			name:    "infinite score",
			in:      "a b inf\n",
			wantErr: "line 1: score",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadPairs(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ReadPairs() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadPairs() error = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ReadPairs() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// smallEmbedding returns an embedding of the given words and 2-d vectors.
func smallEmbedding(words []string, vecs ...[2]float32) *Embedding {
	e := &Embedding{Words: words, Dim: 2}
	for _, v := range vecs {
		e.Vectors = append(e.Vectors, v[0], v[1])
	}
	return e
}

func TestSimilarity(t *testing.T) {
	// Integer vectors whose cosines are exact decimals, then a less frequent
	// "Cat" that look-ups must not reach.
	e := smallEmbedding(
		[]string{"cat", "Dog", "fish", "bird", "Cat", "zero"},
		[2]float32{1, 0},
		[2]float32{4, 3},
		[2]float32{3, 4},
		[2]float32{0, 2},
		[2]float32{0, -1},
		[2]float32{0, 0},
	)
	ps := []Pair{
		{W1: "CAT", W2: "dog", Score: 9},     // cos 0.8 (with Cat, the less frequent, it would be -0.6)
		{W1: "cat", W2: "fish", Score: 5},    // cos 0.6
		{W1: "cat", W2: "bird", Score: 1},    // cos 0
		{W1: "dog", W2: "bird", Score: 4},    // cos 0.6
		{W1: "cat", W2: "unicorn", Score: 3}, // unknown
		{W1: "Zebra", W2: "cat", Score: 3},   // unknown
	}
	got, err := Similarity(e, ps)
	if err != nil {
		t.Fatal(err)
	}
	// cosines (0.8, 0.6, 0, 0.6) against (9, 5, 1, 4): ranks (4, 2.5, 1,
	// 2.5) and (4, 3, 1, 2): deviations (1.5, 0, -1.5, 0), (1.5, .5, -1.5,
	// -.5): 4.5 / sqrt(4.5 * 5).
	want := SimilarityResult{Spearman: 3 / math.Sqrt(10), PairsFound: 4, Total: 6}
	if math.Abs(got.Spearman-want.Spearman) > 1e-12 || got.PairsFound != want.PairsFound || got.Total != want.Total {
		t.Errorf("Similarity() = %+v, want %+v", got, want)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.HasPrefix(s, `{"spearman":0.948`) || !strings.HasSuffix(s, `,"pairs_found":4,"total":6}`) {
		t.Errorf("json.Marshal(%+v) = %s", got, s)
	}

	t.Run("zero vector", func(t *testing.T) {
		got, err := Similarity(e, []Pair{{W1: "zero", W2: "cat", Score: 1}, {W1: "cat", W2: "dog", Score: 2}})
		if err != nil || got.Spearman != 1 {
			t.Errorf("Similarity() = %+v, %v, want rho 1 (a zero vector has cosine 0)", got, err)
		}
	})
	t.Run("too few pairs", func(t *testing.T) {
		got, err := Similarity(e, ps[3:])
		if err == nil || got.PairsFound != 1 || got.Total != 3 || got.Spearman != 0 {
			t.Errorf("Similarity() = %+v, %v, want 1 of 3 pairs found and an error", got, err)
		}
	})
	t.Run("constant scores", func(t *testing.T) {
		_, err := Similarity(e, []Pair{{W1: "cat", W2: "dog", Score: 1}, {W1: "cat", W2: "fish", Score: 1}})
		if err == nil {
			t.Error("Similarity() with constant scores: no error")
		}
	})
	t.Run("bad embedding", func(t *testing.T) {
		bad := &Embedding{Words: []string{"a"}, Dim: 2, Vectors: []float32{1}}
		if _, err := Similarity(bad, ps); err == nil {
			t.Error("Similarity() on an embedding with too few values: no error")
		}
		if _, err := Similarity(nil, ps); err == nil {
			t.Error("Similarity(nil) no error")
		}
	})
}
