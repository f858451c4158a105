package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/internal/vectest"
)

// TestBuildCodecFlag: --codec rabitq:BITS builds that codec, build and stats
// name it the same way in text and JSON, a codes-only search (--refine 0)
// finds a record's own vector first, and bad codec names are refused
// before anything is built.
func TestBuildCodecFlag(t *testing.T) {
	vecs := vectest.Clustered(5, 600, 16, 8, 0.3)
	cli := importedCLI(t, vecs)
	for _, bad := range []string{"rabitq:9", "rabitq:0", "pq8:4", "rabit"} {
		if out, err := cli("build", "v", "--codec", bad); err == nil || !strings.Contains(err.Error(), "codec") {
			t.Errorf("build --codec %s: %v\n%s", bad, err, out)
		}
	}
	out, err := cli("build", "v", "--codec", "rabitq:5", "--json")
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var b struct{ Codec string }
	if err := json.Unmarshal([]byte(out), &b); err != nil || b.Codec != "rabitq:5" {
		t.Fatalf("build JSON codec %q (%v):\n%s", b.Codec, err, out)
	}
	if out, err := cli("stats", "v"); err != nil || !strings.Contains(out, "RaBitQx5") {
		t.Fatalf("stats text does not name RaBitQx5 (%v):\n%s", err, out)
	}
	var s struct{ Index struct{ Codec string } }
	out, err = cli("stats", "v", "--json")
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.Index.Codec != "rabitq:5" {
		t.Fatalf("stats JSON codec %q (%v):\n%s", s.Index.Codec, err, out)
	}
	out, err = cli("search", "v", "--id", "17", "--refine", "0", "-k", "1")
	if err != nil || !strings.Contains(out, "17") {
		t.Fatalf("codes-only search for record 17's vector: %v\n%s", err, out)
	}
}

// TestBuildPCAFlag: --pca D builds with a PCA pre-transform that build and
// stats describe ("PCA8,IVF..." in text, "pca" and "description" in
// JSON), searches find a record's own vector, and a --pca at or above the
// dimension, or negative, is a one-line error naming PCA, not a panic.
func TestBuildPCAFlag(t *testing.T) {
	cli := importedCLI(t, vectest.LowRank(5, 600, 16, 8, 0.01))
	for _, bad := range []string{"16", "17", "-1"} {
		if out, err := cli("build", "v", "--pca", bad); err == nil || !strings.Contains(err.Error(), "PCA") {
			t.Errorf("build --pca %s: %v\n%s", bad, err, out)
		}
	}
	out, err := cli("build", "v", "--pca", "8", "--codec", "pq4fs")
	if err != nil || !strings.Contains(out, "PCA8,IVF32,PQ4x4fs") {
		t.Fatalf("build --pca 8 (%v):\n%s", err, out)
	}
	if out, err := cli("stats", "v"); err != nil || !strings.Contains(out, "PCA8,IVF32,PQ4x4fs") {
		t.Fatalf("stats text does not describe the PCA (%v):\n%s", err, out)
	}
	var s struct {
		Index struct {
			PCA         int
			Description string
		}
	}
	out, _ = cli("stats", "v", "--json")
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.Index.PCA != 8 || s.Index.Description != "PCA8,IVF32,PQ4x4fs" {
		t.Fatalf("stats JSON %+v (%v):\n%s", s.Index, err, out)
	}
	out, err = cli("search", "v", "--id", "17", "-k", "3", "--json")
	if err != nil || !strings.Contains(out, `"id":"`) {
		t.Fatalf("search: %v\n%s", err, out)
	}
}

// importedCLI writes vecs to an fvecs file, creates collection v of their
// dimension in a new database and imports them, and returns a runner of
// commands against that database (stdout and stderr together).
func importedCLI(t *testing.T, vecs [][]float32) func(args ...string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	dbDir, base := filepath.Join(dir, "db"), filepath.Join(dir, "base.fvecs")
	if err := vecio.WriteFvecsFile(base, vecs); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"--db", dbDir}, args...), nil, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	for _, args := range [][]string{{"create", "v", "--dim", strconv.Itoa(len(vecs[0]))}, {"import", "v", base}} {
		if out, err := cli(args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	return cli
}
