package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalKNN scores a small labelled database with vecdb eval knn: the
// JSON document and the text line carry the figures worked out by hand,
// a collection scored against itself leaves each record's own entry out,
// bad arguments are errors, and a served database is refused.
func TestEvalKNN(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "db")
	files := map[string]string{
		// a, b (A) at x = 0, 1; c, d (B) at 2, 3; e unlabelled far away.
		"base.jsonl": `{"id":"a","vector":[0,0],"meta":{"label":"A"}}
{"id":"b","vector":[1,0],"meta":{"label":"A"}}
{"id":"c","vector":[2,0],"meta":{"label":"B"}}
{"id":"d","vector":[3,0],"meta":{"label":"B"}}
{"id":"e","vector":[10,0]}
`,
		"queries.jsonl": `{"id":"q1","vector":[0.4,0],"meta":{"label":"A"}}
{"id":"q2","vector":[2.4,0],"meta":{"label":"A"}}
{"id":"q3","vector":[1.6,0],"meta":{"label":"B"}}
{"id":"q4","vector":[1.4,0],"meta":{"label":"A"}}
{"id":"q5","vector":[1,0]}
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"create", "base", "--dim", "2", "--field", "label:keyword"},
		{"create", "queries", "--dim", "2", "--field", "label:keyword"},
		{"create", "other", "--dim", "2", "--field", "genre:keyword"},
		{"import", "base", filepath.Join(tmp, "base.jsonl")},
		{"import", "queries", filepath.Join(tmp, "queries.jsonl")},
	} {
		if got := cliOutput(ctx, append([]string{"--db", dir}, args...)...); strings.Contains(got, "exit: 1") {
			t.Fatalf("vecdb %s: %s", strings.Join(args, " "), got)
		}
	}
	// k = 2: q1 A,A (right, 2 agree); q2 B,B (wrong, 0); q3 B,A -> B by
	// the tie rule (right, 1); q4 A,B -> A (right, 1).
	got := cliOutput(ctx, "--db", dir, "eval", "knn", "--collection", "base", "--queries", "queries", "--label", "label", "-k", "2", "--json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatalf("eval knn --json: %v: %s", err, got)
	}
	want := map[string]any{"k": 2.0, "queries": 4.0, "vote_accuracy": 0.75, "label_agreement": 0.5, "skipped": 1.0}
	if fmt.Sprint(doc) != fmt.Sprint(want) {
		t.Errorf("eval knn --json = %s, want %v", got, want)
	}
	if !strings.HasPrefix(strings.TrimSpace(got), `{"k":2,"queries":4,"vote_accuracy":0.75,"label_agreement":0.5,"skipped":1}`) {
		t.Errorf("eval knn --json = %s, want the fields in the documented order", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--collection", "base", "--queries", "queries", "--label", "label", "-k", "2"},
			"knn vote accuracy 0.7500, label agreement 0.5000: 4 queries, k 2 (1 skipped without \"label\")\n"},
		// Against itself, k = 1 (the default is 10): a -> b, b -> a, c -> b
		// (tie with d, insertion order), d -> c.
		{[]string{"--collection", "base", "--queries", "base", "--label", "label", "-k", "1"},
			"knn vote accuracy 0.7500, label agreement 0.7500: 4 queries, k 1 (1 skipped without \"label\")\n"},
		{[]string{"--collection", "base", "--queries", "queries"},
			"stderr: vecdb: eval knn: --collection, --queries and --label are required\nexit: 1\n"},
		{[]string{"--collection", "other", "--queries", "queries", "--label", "label"},
			"stderr: vecdb: eval knn: collection \"other\" declares no label field \"label\"\nexit: 1\n"},
		{[]string{"--collection", "base", "--queries", "queries", "--label", "label", "-k", "0"},
			"stderr: vecdb: eval knn: k = 0; want 1 to 99999\nexit: 1\n"},
	} {
		if got := cliOutput(ctx, append([]string{"--db", dir, "eval", "knn"}, tc.args...)...); got != tc.want {
			t.Errorf("eval knn %s:\n got: %q\nwant: %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}

	s := serve(t, dir)
	held := fmt.Sprintf("stderr: vecdb: the database %s is held by the server at %s; stop it, or run this command through its API\nexit: 1\n", dir, s.url)
	if got := cliOutput(ctx, "--db", dir, "eval", "knn", "--collection", "base", "--queries", "queries", "--label", "label"); got != held {
		t.Errorf("eval knn on a served directory:\n got: %s\nwant: %s", got, held)
	}
	if got := cliOutput(ctx, "--db", filepath.Join(tmp, "missing"), "--server", s.url, "eval", "knn", "--collection", "base", "--queries", "queries", "--label", "label"); !strings.Contains(got, "does not run through a server") {
		t.Errorf("eval knn --server: %s", got)
	}
}
