package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/internal/vectest"
)

// TestSiftSmallCLI runs the contract's sift-small check through the
// command line: import the base file, search every query exactly with
// --json, and compare with the ground-truth file: recall@10 must be 1.0
// (a differing ID is accepted only when it ties with the truth's 10th).
func TestSiftSmallCLI(t *testing.T) {
	dir := vectest.DataDir(t, "sift-small")
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
	mustRun("import", "sift", filepath.Join(dir, "siftsmall_base.fvecs"))
	var got struct {
		Results [][]struct {
			ID       string  `json:"id"`
			Distance float64 `json:"distance"`
		} `json:"results"`
	}
	out := mustRun("search", "sift", "--exact", "-k", "10", "--queries", filepath.Join(dir, "siftsmall_query.fvecs"), "--json")
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("search output is not the contract's JSON: %v", err)
	}
	truth, err := vecio.ReadIvecs(filepath.Join(dir, "siftsmall_groundtruth.ivecs"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := vecio.ReadFvecsAll(filepath.Join(dir, "siftsmall_base.fvecs"))
	if err != nil {
		t.Fatal(err)
	}
	queries, err := vecio.ReadFvecsAll(filepath.Join(dir, "siftsmall_query.fvecs"))
	if err != nil {
		t.Fatal(err)
	}
	lists := make([][]string, len(got.Results))
	for i, rs := range got.Results {
		for _, r := range rs {
			lists[i] = append(lists[i], r.ID)
		}
	}
	identical := vectest.CheckTruth(t, lists, truth, queries, base, 10, vectest.L2)
	t.Logf("recall@10 = 1.0 over %d queries (%d identical to the truth file)", len(truth), identical)
}
