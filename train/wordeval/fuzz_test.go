package wordeval

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFromData adds the first lines of a word-eval file to the corpus when
// the data are there.
func seedFromData(f *testing.F, name string) {
	root := os.Getenv("VECDB_DATA")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "data")
	}
	b, err := os.ReadFile(filepath.Join(root, "word-eval", name))
	if err != nil {
		return // the data set is optional for fuzzing
	}
	lines := strings.SplitAfter(string(b), "\n")
	f.Add([]byte(strings.Join(lines[:min(len(lines), 20)], "")))
}

func FuzzReadAnalogies(f *testing.F) {
	for _, s := range []string{
		": capital\r\nAthens Greece Baghdad Iraq\r\n",
		"a b c d\n\n: s\na b c\n",
		"\uFEFF# x\n:\n",
	} {
		f.Add([]byte(s))
	}
	seedFromData(f, "questions-words.txt")
	f.Fuzz(func(t *testing.T, in []byte) {
		qs, err := ReadAnalogies(bytes.NewReader(in))
		if err != nil {
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("error %q names no line", err)
			}
			return
		}
		for _, q := range qs {
			for _, w := range []string{q.A, q.B, q.C, q.D} {
				if w == "" || strings.ContainsAny(w, " \t\r\n") {
					t.Errorf("line %d: bad word %q", q.Line, w)
				}
			}
		}
	})
}

func FuzzReadPairs(f *testing.F) {
	for _, s := range []string{
		"love\tsex\t6.77\r\ntiger\tcat\t7.35\r\n",
		"# c\nWord 1\tWord 2\tHuman (mean)\nold new 1.58\n",
		"a b NaN\na b\n",
	} {
		f.Add([]byte(s))
	}
	seedFromData(f, "EN-WS-353-ALL.txt")
	seedFromData(f, "gensim_simlex999.txt")
	f.Fuzz(func(t *testing.T, in []byte) {
		ps, err := ReadPairs(bytes.NewReader(in))
		if err != nil {
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("error %q names no line", err)
			}
			return
		}
		for _, p := range ps {
			if p.W1 == "" || p.W2 == "" || math.IsNaN(p.Score) || math.IsInf(p.Score, 0) {
				t.Errorf("line %d: bad pair %+v", p.Line, p)
			}
		}
	})
}
