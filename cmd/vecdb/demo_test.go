package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs the README's demo on a small generated set. The demo checks
// every search against a brute-force scan and fails if they differ; running
// it twice checks that it recreates its collection.
func TestDemo(t *testing.T) {
	dbDir := filepath.Join(t.TempDir(), "db")
	for range 2 {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{"--db", dbDir, "demo", "--n", "3000", "--dim", "16"}, nil, &out, &errOut); err != nil {
			t.Fatalf("demo: %v\n%s", err, errOut.String())
		}
		if n := strings.Count(out.String(), "same top 5"); n != len(demoFilters) {
			t.Fatalf("demo verified %d searches, want %d:\n%s", n, len(demoFilters), out.String())
		}
		if !strings.Contains(out.String(), "recall@10") || !strings.Contains(out.String(), "built an IVF") {
			t.Fatalf("demo did not build and measure the index:\n%s", out.String())
		}
		if !strings.Contains(out.String(), "recommendations: ALS") || !strings.Contains(out.String(), "jazz only, seen items left out: item") {
			t.Fatalf("demo did not train and recommend:\n%s", out.String())
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--db", dbDir, "stats", "demo", "--json"}, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"count":3000`) {
		t.Fatalf("stats after two demos: %s", out.String())
	}
}
