package wordeval

import (
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/errors"
)

// Pair is one line of a word-similarity set: two words and the human
// similarity (or relatedness) score given to them.
type Pair struct {
	// W1 and W2 are the words as written in the file (look-ups lower-case
	// them).
	W1, W2 string
	// Score is the human score, on the set's own scale (0-10 for WordSim-353
	// and SimLex-999, 0-50 for MEN); only its ranks matter.
	Score float64
	// Line is the 1-based line number of the pair in its file, 0 for pairs
	// not read from a file.
	Line int
}

// SimilarityResult is the outcome of [Similarity]. Its JSON form is
// {"spearman":..,"pairs_found":..,"total":..}.
type SimilarityResult struct {
	// Spearman is Spearman's rank correlation (rho, ties given their average
	// rank) between the cosine similarities and the human scores of the
	// pairs found.
	Spearman float64 `json:"spearman"`
	// PairsFound is the number of pairs whose two words are both in the
	// vocabulary; only they are scored.
	PairsFound int `json:"pairs_found"`
	// Total is the number of pairs given.
	Total int `json:"total"`
}

// ReadPairs reads a word-similarity set: one "word1 word2 score" per line,
// the fields separated by tabs or spaces. When a line holds tabs and
// splitting it at tabs gives exactly three fields, those are the fields (so
// "Word 1<TAB>Word 2<TAB>Human (mean)" has three); otherwise the fields are
// separated by runs of white space. Blank lines and lines starting with "#"
// are ignored, and LF and CRLF line ends are both accepted. The first line
// that is not a comment is a header, and skipped, when its score field is
// not a number; anywhere else that, a line without exactly three fields or
// a score that is not finite is an error naming its line.
//
// This reads the wordvectors.org files (EN-WS-353-ALL.txt,
// EN-SIMLEX-999.txt, EN-MEN-TR-3k.txt, ...) and gensim's test copies
// (wordsim353.tsv and simlex999.txt, with "#" header lines).
func ReadPairs(r io.Reader) ([]Pair, error) {
	var ps []Pair
	first := true
	l := newLines(r)
	for l.next() {
		s := l.text
		if isComment(s) {
			continue
		}
		f := pairFields(s)
		if len(f) != 3 {
			return nil, errors.Newf("line %d: %d fields, want 3 (word1 word2 score): %q", l.n, len(f), truncate(s))
		}
		score, err := strconv.ParseFloat(f[2], 64)
		isHeader := first && err != nil
		first = false
		if isHeader {
			continue
		}
		if err != nil || math.IsNaN(score) || math.IsInf(score, 0) {
			return nil, errors.Newf("line %d: score %q is not a finite number", l.n, truncate(f[2]))
		}
		ps = append(ps, Pair{W1: f[0], W2: f[1], Score: score, Line: l.n})
	}
	if l.err != nil {
		return nil, errors.Wrap(l.err, "reading similarity pairs")
	}
	return ps, nil
}

// pairFields splits a trimmed line into fields: at tabs when that gives
// exactly three non-empty fields, otherwise at runs of white space.
func pairFields(s string) []string {
	if strings.Contains(s, "\t") {
		f := strings.Split(s, "\t")
		if len(f) == 3 {
			for i := range f {
				f[i] = strings.TrimSpace(f[i])
			}
			if f[0] != "" && f[1] != "" && f[2] != "" {
				return f
			}
		}
	}
	return strings.Fields(s)
}

// Similarity scores e on the word pairs ps: Spearman's rho between the
// cosine similarity of the two words' vectors and the human score, over the
// pairs whose two words are both in the vocabulary (the whole of e, looked up
// lower-cased as described in the package documentation). Pairs with an
// unknown word are skipped and counted (Total - PairsFound). Cosines are
// computed in float64; a zero vector has cosine 0 with everything.
//
// When fewer than two pairs are found, or the correlation is undefined
// because the similarities or the scores of the pairs found are all equal,
// Similarity returns the counts with Spearman 0 and an error.
func Similarity(e *Embedding, ps []Pair) (SimilarityResult, error) {
	res := SimilarityResult{Total: len(ps)}
	if err := e.Validate(); err != nil {
		return res, err
	}
	v := newVocab(e.Words)
	cos := make([]float64, 0, len(ps))
	human := make([]float64, 0, len(ps))
	for _, p := range ps {
		i, ok1 := v.lookup(p.W1)
		j, ok2 := v.lookup(p.W2)
		if !ok1 || !ok2 {
			continue
		}
		cos = append(cos, cosine64(e.Row(int(i)), e.Row(int(j))))
		human = append(human, p.Score)
	}
	res.PairsFound = len(cos)
	if len(cos) < 2 {
		return res, errors.Newf("wordeval: only %d of %d pairs have both words in the vocabulary, need 2", len(cos), len(ps))
	}
	rho := Spearman(cos, human)
	if math.IsNaN(rho) {
		return res, errors.Newf("wordeval: Spearman correlation undefined over %d pairs (constant similarities or scores)", len(cos))
	}
	res.Spearman = rho
	return res, nil
}

// cosine64 returns the cosine of a and b computed in float64, or 0 when
// either has norm zero (or the result is not finite).
func cosine64(a, b []float32) float64 {
	var ab, aa, bb float64
	for i, x := range a {
		y := float64(b[i])
		ab += float64(x) * y
		aa += float64(x) * float64(x)
		bb += y * y
	}
	c := ab / math.Sqrt(aa*bb)
	if math.IsNaN(c) || math.IsInf(c, 0) {
		return 0
	}
	return c
}
