package main

import (
	"bytes"
	"context"
	"encoding/json"
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
	dbDir := filepath.Join(t.TempDir(), "db")
	ctx := context.Background()
	mustRun := func(args ...string) []byte {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(ctx, append([]string{"--db", dbDir}, args...), nil, &out, &errOut); err != nil {
			t.Fatalf("vecdb %v: %v\n%s", args, err, errOut.String())
		}
		return out.Bytes()
	}
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
