package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
)

// TestSiftSmallCLI runs the contract's sift-small check through the
// command line: import the base file, search every query exactly with
// --json, and compare with the ground-truth file: recall@10 must be 1.0
// (a differing ID is accepted only when it ties with the truth's 10th).
func TestSiftSmallCLI(t *testing.T) {
	set := vectest.LoadSiftSmall(t)
	mustRun := cliRunner(t)
	mustRun("create", "sift", "--dim", "128")
	mustRun("import", "sift", set.BasePath())
	var got struct {
		Results [][]struct {
			ID       string  `json:"id"`
			Distance float64 `json:"distance"`
		} `json:"results"`
	}
	out := mustRun("search", "sift", "--exact", "-k", "10", "--queries", set.QueriesPath(), "--json")
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("search output is not the contract's JSON: %v", err)
	}
	lists := make([][]string, len(got.Results))
	for i, rs := range got.Results {
		for _, r := range rs {
			lists[i] = append(lists[i], r.ID)
		}
	}
	identical := vectest.CheckTruth(t, lists, set.Truth, set.Queries, set.Base, 10, vectest.L2)
	t.Logf("recall@10 = 1.0 over %d queries (%d identical to the truth file)", len(set.Truth), identical)
}

// TestWordEvalCLI runs the word-evaluation protocol through the command
// line on the GloVe 6B 100-d base file imported as a collection: analogy
// accuracy must be within 0.005 of the reference 0.657 and WS-353 within
// 0.005 of 0.533 (importing the base file alone gives 0.655 and 0.529;
// the reference vocabulary also has the 1,000 query words).
func TestWordEvalCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 100k GloVe vectors and scores 19,544 analogies; runs without -short")
	}
	glove := vectest.DataDir(t, "glove-6b-100d-100k")
	eval := vectest.DataDir(t, "word-eval")
	mustRun := cliRunner(t)
	mustRun("create", "glove", "--dim", "100", "--metric", "cosine")
	mustRun("import", "glove", filepath.Join(glove, "glove.6B.100d.base100k.txt.gz"))
	var a struct {
		Accuracy    float64 `json:"accuracy"`
		Seen, Total int
	}
	if err := json.Unmarshal(mustRun("eval", "analogy", "--collection", "glove", "--questions", filepath.Join(eval, "questions-words.txt"), "--json"), &a); err != nil {
		t.Fatal(err)
	}
	var s struct {
		Spearman   float64 `json:"spearman"`
		PairsFound int     `json:"pairs_found"`
		Total      int     `json:"total"`
	}
	if err := json.Unmarshal(mustRun("eval", "similarity", "--collection", "glove", "--pairs", filepath.Join(eval, "EN-WS-353-ALL.txt"), "--json"), &s); err != nil {
		t.Fatal(err)
	}
	t.Logf("analogy %.4f (seen %d of %d), WS-353 %.4f over %d of %d pairs", a.Accuracy, a.Seen, a.Total, s.Spearman, s.PairsFound, s.Total)
	if math.Abs(a.Accuracy-0.657) > 0.005 || a.Total != 19544 {
		t.Errorf("analogy accuracy %.4f over %d questions, want 0.657 +- 0.005 over 19,544", a.Accuracy, a.Total)
	}
	if math.Abs(s.Spearman-0.533) > 0.005 || s.Total != 353 {
		t.Errorf("WS-353 rho %.4f over %d pairs, want 0.533 +- 0.005 over 353", s.Spearman, s.Total)
	}
}

// cliRunner returns a function that runs the CLI on a fresh database and
// returns its stdout, failing the test on an error.
func cliRunner(t *testing.T) func(args ...string) []byte {
	dbDir := filepath.Join(t.TempDir(), "db")
	return func(args ...string) []byte {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), append([]string{"--db", dbDir}, args...), nil, &out, &errOut); err != nil {
			t.Fatalf("vecdb %v: %v\n%s", args, err, errOut.String())
		}
		return out.Bytes()
	}
}
