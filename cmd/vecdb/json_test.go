package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestJSONContract runs every command with --json through run and decodes
// the output into the shapes of the CLI contract in DESIGN.md: exactly one
// JSON document on stdout, nothing on stderr.
func TestJSONContract(t *testing.T) {
	dir := t.TempDir()
	dbDir := filepath.Join(dir, "db")
	vecdb := func(t *testing.T, args ...string) []byte {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args = append([]string{"--db", dbDir, "--json"}, args...)
		if err := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Fatalf("vecdb %s: %v", strings.Join(args, " "), err)
		}
		if stderr.Len() > 0 {
			t.Fatalf("vecdb %s: stderr %q", strings.Join(args, " "), stderr.String())
		}
		return stdout.Bytes()
	}

	vecdb(t, "create", "docs", "--dim", "3", "--field", "genre:keyword", "--field", "year:int")
	vecdb(t, "create", "cos", "--dim", "3", "--metric", "cosine")
	want := [][]float32{
		{0.1, 1e-7, 9.2e18}, // near the largest length accepted (squared, MaxFloat32/4)
		{-2.5, 1.0 / 3, float32(math.SmallestNonzeroFloat32)},
		{1, 2, 3},
	}
	var jsonl strings.Builder
	for i, v := range want {
		vals := make([]string, len(v))
		for j, x := range v {
			vals[j] = formatFloat(x)
		}
		jsonl.WriteString(`{"id":"r` + strconv.Itoa(i) + `","vector":[` + strings.Join(vals, ",") +
			`],"meta":{"genre":"g` + strconv.Itoa(i%2) + `","year":` + strconv.Itoa(2000+i) + `}}` + "\n")
	}
	input := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(input, []byte(jsonl.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("import", func(t *testing.T) {
		var got struct {
			Collection string   `json:"collection"`
			Imported   int      `json:"imported"`
			Seconds    *float64 `json:"seconds"`
		}
		decodeOne(t, vecdb(t, "import", "docs", input), &got, true)
		if got.Collection != "docs" || got.Imported != len(want) || got.Seconds == nil || *got.Seconds < 0 {
			t.Errorf("import = %+v, want collection docs, imported %d, seconds >= 0", got, len(want))
		}
	})

	t.Run("get", func(t *testing.T) {
		for i, v := range want {
			var got struct {
				ID     string         `json:"id"`
				Vector []float32      `json:"vector"`
				Meta   map[string]any `json:"meta"`
			}
			out := vecdb(t, "get", "docs", "r"+strconv.Itoa(i))
			decodeOne(t, out, &got, true)
			// float32 values round-trip exactly through the JSON text.
			if got.ID != "r"+strconv.Itoa(i) || !slices.Equal(got.Vector, v) {
				t.Errorf("get r%d = %s, want vector %v", i, out, v)
			}
			if got.Meta["genre"] != "g"+strconv.Itoa(i%2) || got.Meta["year"] != json.Number(strconv.Itoa(2000+i)) {
				t.Errorf("get r%d meta = %v", i, got.Meta)
			}
		}
	})

	t.Run("search", func(t *testing.T) {
		type hit struct {
			ID       string      `json:"id"`
			Distance json.Number `json:"distance"`
		}
		var got struct {
			Results [][]hit `json:"results"`
		}
		decodeOne(t, vecdb(t, "search", "docs", "--vector", "1,2,3", "-k", "2"), &got, true)
		if len(got.Results) != 1 || len(got.Results[0]) != 2 || got.Results[0][0].ID != "r2" || got.Results[0][0].Distance != "0" {
			t.Errorf("search --vector = %+v, want r2 at distance 0 first", got)
		}
		queries := filepath.Join(dir, "q.txt")
		if err := os.WriteFile(queries, []byte("q0 1 2 3\nq1 0.1 0 0\nq2 5 5 5\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		decodeOne(t, vecdb(t, "search", "docs", "--queries", queries, "-k", "3", "--filter", `genre = "g0"`), &got, true)
		if len(got.Results) != 3 {
			t.Fatalf("search --queries: %d result lists, want 3", len(got.Results))
		}
		for i, rs := range got.Results {
			if len(rs) != 2 {
				t.Errorf("query %d: %d results, want the 2 that match the filter", i, len(rs))
			}
			for _, h := range rs {
				// r0 is near the largest vector accepted: its distance
				// stays finite.
				if h.ID == "r0" && !strings.HasSuffix(string(h.Distance), "e+37") {
					t.Errorf("query %d: r0 at distance %s, want about 8.5e+37", i, h.Distance)
				}
				// Distances are written in the shortest float32 form.
				d, err := strconv.ParseFloat(string(h.Distance), 32)
				if err != nil {
					t.Fatal(err)
				}
				if b, err := json.Marshal(float32(d)); err != nil || string(b) != string(h.Distance) {
					t.Errorf("query %d: distance %s is not in the shortest float32 form %s", i, h.Distance, b)
				}
			}
		}
		decodeOne(t, vecdb(t, "search", "docs", "--id", "r0", "-k", "10"), &got, true)
		if len(got.Results) != 1 || len(got.Results[0]) != 2 || slices.ContainsFunc(got.Results[0], func(h hit) bool { return h.ID == "r0" }) {
			t.Errorf("search --id r0 = %+v, want the 2 other records", got)
		}
	})

	type collection struct {
		Name   string `json:"name"`
		Dim    int    `json:"dim"`
		Metric string `json:"metric"`
		Count  uint64 `json:"count"`
		Fields []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"fields"`
		DiskBytes  *uint64 `json:"disk_bytes"`
		Normalized *bool   `json:"normalized"`
	}
	checkStats := func(t *testing.T, got collection) {
		t.Helper()
		switch got.Name {
		case "docs":
			if got.Dim != 3 || got.Metric != "l2" || got.Count != 3 || len(got.Fields) != 2 ||
				got.Fields[1].Name != "year" || got.Fields[1].Type != "int" || got.Normalized == nil || *got.Normalized {
				t.Errorf("stats docs = %+v", got)
			}
		case "cos":
			if got.Dim != 3 || got.Metric != "cosine" || got.Count != 0 || got.Fields == nil || got.Normalized == nil || !*got.Normalized {
				t.Errorf("stats cos = %+v", got)
			}
		default:
			t.Errorf("stats: unexpected collection %q", got.Name)
		}
		if got.DiskBytes == nil {
			t.Errorf("stats %s: no disk_bytes", got.Name)
		}
	}

	t.Run("stats", func(t *testing.T) {
		var one collection
		// Extra keys are allowed in stats, so unknown fields are not errors.
		decodeOne(t, vecdb(t, "stats", "docs"), &one, false)
		checkStats(t, one)
		var all struct {
			Collections []collection `json:"collections"`
		}
		decodeOne(t, vecdb(t, "stats"), &all, false)
		if len(all.Collections) != 2 {
			t.Fatalf("stats: %d collections, want 2", len(all.Collections))
		}
		for _, c := range all.Collections {
			checkStats(t, c)
		}
	})

	t.Run("list", func(t *testing.T) {
		var all struct {
			Collections []collection `json:"collections"`
		}
		decodeOne(t, vecdb(t, "list"), &all, false)
		if len(all.Collections) != 2 || all.Collections[0].Name != "cos" || all.Collections[1].Count != 3 {
			t.Errorf("list = %+v", all)
		}
	})

	t.Run("export", func(t *testing.T) {
		var got struct {
			Collection string `json:"collection"`
			Exported   int    `json:"exported"`
			File       string `json:"file"`
		}
		out := filepath.Join(dir, "out.jsonl.gz")
		decodeOne(t, vecdb(t, "export", "docs", out), &got, true)
		if got.Exported != 3 || got.File != out {
			t.Errorf("export = %+v", got)
		}
	})

	t.Run("delete and drop", func(t *testing.T) {
		var del struct {
			Collection string `json:"collection"`
			Deleted    int    `json:"deleted"`
			Requested  int    `json:"requested"`
		}
		decodeOne(t, vecdb(t, "delete", "docs", "r0", "nope"), &del, true)
		if del.Deleted != 1 || del.Requested != 2 {
			t.Errorf("delete = %+v", del)
		}
		var drop struct {
			Dropped string `json:"dropped"`
		}
		decodeOne(t, vecdb(t, "drop", "cos"), &drop, true)
		if drop.Dropped != "cos" {
			t.Errorf("drop = %+v", drop)
		}
	})
}

// decodeOne decodes out, which must hold exactly one JSON document, into v.
// strict rejects keys that v does not declare.
func decodeOne(t *testing.T, out []byte, v any, strict bool) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
	if rest := bytes.TrimSpace(out[dec.InputOffset():]); len(rest) > 0 {
		t.Fatalf("output %q has more than one JSON document", out)
	}
}
