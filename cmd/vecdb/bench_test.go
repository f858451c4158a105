package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/internal/vectest"
)

// benchContract is the JSON document of bench: the contract's keys (k,
// runs with nprobe, recall, qps, p50_ms and p99_ms) and the extra ones.
// Pointers tell a missing key from a zero.
type benchContract struct {
	K          *int   `json:"k"`
	Collection string `json:"collection"`
	Queries    int    `json:"queries"`
	Filter     string `json:"filter"`
	Refine     int    `json:"refine"`
	Truth      string `json:"truth"`
	Runs       []struct {
		NProbe *int     `json:"nprobe"`
		Exact  bool     `json:"exact"`
		Recall *float64 `json:"recall"`
		QPS    *float64 `json:"qps"`
		P50MS  *float64 `json:"p50_ms"`
		P99MS  *float64 `json:"p99_ms"`
	} `json:"runs"`
	// Memory and Process describe what the process held (see stats).
	Memory  json.RawMessage `json:"memory"`
	Process json.RawMessage `json:"process"`
}

// benchFixture creates a database with a collection "vecs" of n clustered
// vectors (IDs "0".."n-1", even rows tagged "even") and writes nq queries
// to an fvecs file. It returns the run function and the queries' path.
func benchFixture(t *testing.T, n, nq, dim int) (vecdb func(t *testing.T, args ...string) []byte, queries string) {
	t.Helper()
	dir := t.TempDir()
	dbDir := filepath.Join(dir, "db")
	vecdb = func(t *testing.T, args ...string) []byte {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args = append([]string{"--db", dbDir}, args...)
		if err := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Fatalf("vecdb %s: %v", strings.Join(args, " "), err)
		}
		// The only stderr line allowed is the note that the collection
		// has no index yet.
		if s := stderr.String(); s != "" && !strings.HasPrefix(s, "note: collection \"vecs\" has no index yet") {
			t.Fatalf("vecdb %s: stderr %q", strings.Join(args, " "), s)
		}
		return stdout.Bytes()
	}
	vecs := vectest.Clustered(1, n+nq, dim, 8, 0.3)
	base := filepath.Join(dir, "base.fvecs")
	if err := vecio.WriteFvecsFile(base, vecs[:n]); err != nil {
		t.Fatal(err)
	}
	var meta strings.Builder
	for i := range n {
		fmt.Fprintf(&meta, "{\"even\":%t}\n", i%2 == 0)
	}
	metaPath := filepath.Join(dir, "meta.jsonl")
	if err := os.WriteFile(metaPath, []byte(meta.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	queries = filepath.Join(dir, "q.fvecs")
	if err := vecio.WriteFvecsFile(queries, vecs[n:]); err != nil {
		t.Fatal(err)
	}
	vecdb(t, "create", "vecs", "--dim", fmt.Sprint(dim), "--field", "even:bool")
	vecdb(t, "import", "vecs", base, "--meta", metaPath)
	return vecdb, queries
}

// TestBenchJSON decodes bench --json into the contract's shape, on the
// real clock, with computed and file ground truth.
func TestBenchJSON(t *testing.T) {
	const n, nq, dim, k = 500, 20, 8, 10
	vecdb, queries := benchFixture(t, n, nq, dim)
	check := func(t *testing.T, out []byte, wantRuns []int, filter string) benchContract {
		t.Helper()
		var got benchContract
		decodeOne(t, out, &got, true)
		if got.K == nil || *got.K != k || got.Collection != "vecs" || got.Queries != nq || got.Filter != filter {
			t.Errorf("bench = %s, want k %d, collection vecs, %d queries, filter %q", out, k, nq, filter)
		}
		if len(got.Runs) != len(wantRuns) {
			t.Fatalf("bench: %d runs, want %d: %s", len(got.Runs), len(wantRuns), out)
		}
		for i, r := range got.Runs {
			if r.NProbe == nil || r.Recall == nil || r.QPS == nil || r.P50MS == nil || r.P99MS == nil {
				t.Fatalf("run %d misses a contract key: %s", i, out)
			}
			if *r.NProbe != wantRuns[i] || r.Exact != (wantRuns[i] == 0) {
				t.Errorf("run %d: nprobe %d exact %t, want nprobe %d", i, *r.NProbe, r.Exact, wantRuns[i])
			}
			if *r.Recall < 0 || *r.Recall > 1 || *r.QPS <= 0 || *r.P50MS < 0 || *r.P50MS > *r.P99MS {
				t.Errorf("run %d: implausible numbers: %s", i, out)
			}
		}
		return got
	}

	t.Run("computed truth", func(t *testing.T) {
		got := check(t, vecdb(t, "--json", "bench", "vecs", "--queries", queries, "--nprobe", "1,4", "--exact"), []int{1, 4, 0}, "")
		// Every search is exact until the index lands; the exact run
		// always agrees with the exact truth.
		if r := got.Runs[2]; *r.Recall != 1 {
			t.Errorf("exact run recall = %v, want 1", *r.Recall)
		}
	})

	t.Run("filter", func(t *testing.T) {
		got := check(t, vecdb(t, "--json", "bench", "vecs", "--queries", queries, "--filter", "even = true", "--nprobe", "", "--exact"), []int{0}, "even = true")
		if *got.Runs[0].Recall != 1 {
			t.Errorf("exact run recall with a filter = %v, want 1", *got.Runs[0].Recall)
		}
	})

	t.Run("truth file", func(t *testing.T) {
		// The truth of the first half of the queries is right; in the
		// second half, the last 5 of 10 neighbours are -1 (padding, so
		// those rows count 5) and the first is a record the search does
		// not return. Recall = (10 x 1 + 10 x 4/5) / 20 = 0.9.
		vecs, err := vecio.ReadFvecsAll(queries)
		if err != nil {
			t.Fatal(err)
		}
		var exact struct {
			Results [][]hitJSON `json:"results"`
		}
		decodeOne(t, vecdb(t, "--json", "search", "vecs", "--queries", queries, "-k", "20", "--exact"), &exact, true)
		row := func(id string) int32 {
			n, err := strconv.Atoi(id)
			if err != nil {
				t.Fatal(err)
			}
			return int32(n)
		}
		rows := make([][]int32, len(vecs))
		for i, rs := range exact.Results {
			for _, r := range rs[:k] {
				rows[i] = append(rows[i], row(r.ID))
			}
			if i >= nq/2 {
				rows[i] = append([]int32{row(rs[19].ID)}, rows[i][1:5]...)
				rows[i] = append(rows[i], -1, -1, -1, -1, -1)
			}
		}
		truth := filepath.Join(t.TempDir(), "truth.ivecs.gz")
		if err := vecio.WriteIvecsFile(truth, rows); err != nil {
			t.Fatal(err)
		}
		got := check(t, vecdb(t, "--json", "bench", "vecs", "--queries", queries, "--truth", truth, "--nprobe", "2", "--exact"), []int{2, 0}, "")
		if got.Truth != truth {
			t.Errorf("truth = %q, want %q", got.Truth, truth)
		}
		for i, r := range got.Runs {
			if *r.Recall != 0.9 {
				t.Errorf("run %d recall = %v, want 0.9", i, *r.Recall)
			}
		}
	})
}

// TestBenchPlot checks that --plot writes a PNG of the chart's size, with
// the exact run's marker in it, and that stdout is still one JSON
// document.
func TestBenchPlot(t *testing.T) {
	vecdb, queries := benchFixture(t, 200, 5, 4)
	path := filepath.Join(t.TempDir(), "bench.png")
	var got benchContract
	decodeOne(t, vecdb(t, "--json", "bench", "vecs", "--queries", queries, "--nprobe", "1,8", "--exact", "--plot", path), &got, true)
	checkPNG(t, path, true)
}

func TestSiftSmallBench(t *testing.T) {
	dir := vectest.DataDir(t, "sift-small")
	dbDir := filepath.Join(t.TempDir(), "db")
	vecdb := func(args ...string) []byte {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), append([]string{"--db", dbDir}, args...), nil, &out, &errOut); err != nil {
			t.Fatalf("vecdb %v: %v\n%s", args, err, errOut.String())
		}
		return out.Bytes()
	}
	vecdb("create", "sift", "--dim", "128")
	vecdb("import", "sift", filepath.Join(dir, "siftsmall_base.fvecs"))
	out := vecdb("bench", "sift", "--json", "--exact", "--nprobe", "1,16",
		"--queries", filepath.Join(dir, "siftsmall_query.fvecs"),
		"--truth", filepath.Join(dir, "siftsmall_groundtruth.ivecs"))
	var got benchContract
	decodeOne(t, out, &got, true)
	if got.Queries != 100 || len(got.Runs) != 3 {
		t.Fatalf("bench = %s, want 100 queries and 3 runs", out)
	}
	exact := got.Runs[2]
	if !exact.Exact || *exact.NProbe != 0 || *exact.Recall != 1 {
		t.Errorf("exact run = %s, want nprobe 0 and recall 1", out)
	}
	t.Logf("%s", out)
}

func TestParseNProbe(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "1,4,16", want: "[1 4 16]"},
		{in: " 2 , 8 ", want: "[2 8]"},
		{in: "", want: "[]"},
		{in: "  ", want: "[]"},
		{in: "1,,4", wantErr: true},
		{in: "0", wantErr: true},
		{in: "-3", wantErr: true},
		{in: "x", wantErr: true},
	}
	for _, tc := range tests {
		got, err := parseNProbe(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("parseNProbe(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != tc.want {
			t.Errorf("parseNProbe(%q) = %v, %v, want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		var out []time.Duration
		for _, v := range vs {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"one", ms(7), 50, 7 * time.Millisecond},
		{"one p99", ms(7), 99, 7 * time.Millisecond},
		{"two p50", ms(1, 9), 50, time.Millisecond},
		{"two p99", ms(1, 9), 99, 9 * time.Millisecond},
		{"hundred p50", ms(hundred...), 50, 50 * time.Millisecond},
		{"hundred p99", ms(hundred...), 99, 99 * time.Millisecond},
		{"three p99", ms(1, 2, 3), 99, 3 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tc.sorted, tc.p, got, tc.want)
			}
		})
	}
}

func TestQueryRecall(t *testing.T) {
	res := func(ids ...string) []db.Result {
		var out []db.Result
		for _, id := range ids {
			out = append(out, db.Result{ID: id})
		}
		return out
	}
	tests := []struct {
		name  string
		res   []db.Result
		truth []string
		want  float64
	}{
		{"all", res("1", "2", "3"), []string{"3", "2", "1"}, 1},
		{"some", res("1", "2", "9", "8"), []string{"1", "2", "3", "4"}, 0.5},
		{"short truth", res("1", "2", "3"), []string{"2"}, 1},
		{"nothing matches", res(), nil, 1},
		{"none found", res(), []string{"1"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := queryRecall(tc.res, tc.truth); got != tc.want {
				t.Errorf("queryRecall(%v, %v) = %v, want %v", tc.res, tc.truth, got, tc.want)
			}
		})
	}
}
