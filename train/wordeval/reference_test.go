package wordeval

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vecdb/vecdb/internal/vectest"
)

// The reference scores of shared/data/word-eval/PROVENANCE.md, measured on
// the 101,000 GloVe 6B 100-d words of shared/data/glove-6b-100d-100k (the
// 100k base words and the 1k held-out query words put back at their
// frequency positions): lower-cased look-up, cosine, analogy by 3CosAdd over
// the 30,000 most frequent words without the three question words.
const (
	refAnalogyAccuracy = 0.657
	refAnalogySeen     = 15276
	refAnalogyTotal    = 19544
	refTolerance       = 0.005
)

// glove holds the GloVe embeddings, loaded once for all the tests.
var glove struct {
	once       sync.Once
	base, full *Embedding
	err        error
}

// loadGlove returns the 100k base words of glove-6b-100d-100k and the
// 101,000 words the reference scores were measured on (base and queries
// merged back into frequency order), skipping when the data are missing.
func loadGlove(t *testing.T) (base, full *Embedding) {
	t.Helper()
	dir := vectest.DataDir(t, "glove-6b-100d-100k")
	glove.once.Do(func() {
		glove.base, glove.full, glove.err = readGlove(dir)
	})
	if glove.err != nil {
		t.Fatal(glove.err)
	}
	return glove.base, glove.full
}

func readGlove(dir string) (base, full *Embedding, err error) {
	ctx := context.Background()
	if base, err = LoadEmbedding(ctx, filepath.Join(dir, "glove.6B.100d.base100k.txt.gz"), "", 0); err != nil {
		return nil, nil, err
	}
	query, err := LoadEmbedding(ctx, filepath.Join(dir, "glove.6B.100d.query1k.txt.gz"), "", 0)
	if err != nil {
		return nil, nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "query_positions.json"))
	if err != nil {
		return nil, nil, err
	}
	var qp struct {
		Positions []int `json:"query_positions_in_first_101000"`
	}
	if err := json.Unmarshal(b, &qp); err != nil {
		return nil, nil, err
	}
	n := len(base.Words) + len(query.Words)
	full = &Embedding{Dim: base.Dim, Words: make([]string, 0, n), Vectors: make([]float32, 0, n*base.Dim)}
	bi, qi := 0, 0
	for i := range n {
		src, j := base, bi
		if qi < len(qp.Positions) && qp.Positions[qi] == i {
			src, j = query, qi
			qi++
		} else {
			bi++
		}
		full.Words = append(full.Words, src.Words[j])
		full.Vectors = append(full.Vectors, src.Row(j)...)
	}
	return base, full, full.Validate()
}

// readFile parses a file of word-eval with read.
func readFile[T any](t *testing.T, name string, read func(f *os.File) ([]T, error)) []T {
	t.Helper()
	f, err := os.Open(filepath.Join(vectest.DataDir(t, "word-eval"), name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	xs, err := read(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return xs
}

func readAnalogyFile(f *os.File) ([]Analogy, error) { return ReadAnalogies(f) }
func readPairFile(f *os.File) ([]Pair, error)       { return ReadPairs(f) }

// TestReferenceAnalogy checks the Google analogy score of GloVe against
// PROVENANCE.md: 0.657 with 15,276 of 19,544 questions seen on the 101,000
// words; and on the 100k base words alone (which lack 1,000 of them, some
// among the 30,000 most frequent) the accuracy within the same tolerance.
func TestReferenceAnalogy(t *testing.T) {
	qs := readFile(t, "questions-words.txt", readAnalogyFile)
	base, full := loadGlove(t)
	ctx := context.Background()

	start := time.Now()
	res, err := Analogies(ctx, full, qs, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("101k words: accuracy %.4f (%d correct), seen %d, total %d, in %v",
		res.Accuracy, res.Correct, res.Seen, res.Total, time.Since(start))
	for _, name := range res.SectionOrder {
		s := res.Sections[name]
		t.Logf("  %-28s %.4f  %5d / %5d seen of %5d", name, s.Accuracy, s.Correct, s.Seen, s.Total)
	}
	if math.Abs(res.Accuracy-refAnalogyAccuracy) > refTolerance || res.Seen != refAnalogySeen || res.Total != refAnalogyTotal {
		t.Errorf("101k words: accuracy %.4f, seen %d of %d; want %.3f ± %.3f, %d of %d",
			res.Accuracy, res.Seen, res.Total, refAnalogyAccuracy, refTolerance, refAnalogySeen, refAnalogyTotal)
	}
	if len(res.Sections) != 14 {
		t.Errorf("%d sections, want 14", len(res.Sections))
	}

	if testing.Short() {
		t.Log("-short: skipping the run on the 100k base words alone")
		return
	}
	start = time.Now()
	res, err = Analogies(ctx, base, qs, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("100k base words: accuracy %.4f, seen %d, total %d, in %v", res.Accuracy, res.Seen, res.Total, time.Since(start))
	if math.Abs(res.Accuracy-refAnalogyAccuracy) > refTolerance || res.Total != refAnalogyTotal {
		t.Errorf("100k base words: accuracy %.4f of %d; want %.3f ± %.3f of %d",
			res.Accuracy, res.Total, refAnalogyAccuracy, refTolerance, refAnalogyTotal)
	}
}

// TestReferenceSimilarity checks the similarity scores of GloVe against
// PROVENANCE.md on the 101,000 words (rho within 0.005, coverage exact), and
// WordSim-353 on the 100k base words alone within the same tolerance.
func TestReferenceSimilarity(t *testing.T) {
	base, full := loadGlove(t)
	for _, tc := range []struct {
		file         string
		rho          float64
		found, total int
	}{
		{"EN-WS-353-ALL.txt", 0.533, 353, 353},
		{"EN-WS-353-SIM.txt", 0.604, 203, 203},
		{"EN-WS-353-REL.txt", 0.496, 252, 252},
		{"EN-SIMLEX-999.txt", 0.296, 998, 999},
		{"EN-MEN-TR-3k.txt", 0.681, 2999, 3000},
		{"EN-RG-65.txt", 0.691, 65, 65},
		{"EN-MC-30.txt", 0.627, 30, 30},
		// gensim's copies of WordSim-353 and SimLex-999 hold the same pairs.
		{"gensim_wordsim353.tsv", 0.533, 353, 353},
		{"gensim_simlex999.txt", 0.296, 998, 999},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ps := readFile(t, tc.file, readPairFile)
			res, err := Similarity(full, ps)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("101k words: %s: Spearman %.4f, %d / %d pairs", tc.file, res.Spearman, res.PairsFound, res.Total)
			if math.Abs(res.Spearman-tc.rho) > refTolerance || res.PairsFound != tc.found || res.Total != tc.total {
				t.Errorf("Similarity(%s) = %.4f over %d of %d pairs, want %.3f ± %.3f over %d of %d",
					tc.file, res.Spearman, res.PairsFound, res.Total, tc.rho, refTolerance, tc.found, tc.total)
			}
			res, err = Similarity(base, ps)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("100k base words: %s: Spearman %.4f, %d / %d pairs", tc.file, res.Spearman, res.PairsFound, res.Total)
			if tc.file == "EN-WS-353-ALL.txt" && math.Abs(res.Spearman-tc.rho) > refTolerance {
				t.Errorf("100k base words: Similarity(%s) = %.4f, want %.3f ± %.3f", tc.file, res.Spearman, tc.rho, refTolerance)
			}
		})
	}
}
