package wordeval

import (
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
)

func TestEmbeddingValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    *Embedding
		ok   bool
	}{
		{"nil", nil, false},
		{"empty", &Embedding{Dim: 3}, true},
		{"ok", &Embedding{Words: []string{"a", "b"}, Dim: 2, Vectors: make([]float32, 4)}, true},
		{"dim 0", &Embedding{Words: []string{"a"}, Dim: 0}, false},
		{"short", &Embedding{Words: []string{"a", "b"}, Dim: 2, Vectors: make([]float32, 3)}, false},
		{"long", &Embedding{Words: []string{"a"}, Dim: 2, Vectors: make([]float32, 3)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.e.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestLoadEmbedding(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, compress bool) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if compress {
			zw := gzip.NewWriter(f)
			if _, err := zw.Write([]byte(text)); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.WriteString(text); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	text := "the 1 2 3\n, 0.5 -1 2\nParis 4 5 6\n"
	want := &Embedding{Words: []string{"the", ",", "Paris"}, Dim: 3, Vectors: []float32{1, 2, 3, 0.5, -1, 2, 4, 5, 6}}
	ctx := context.Background()
	for _, path := range []string{write("v.txt", text, false), write("v.txt.gz", text, true), write("w2v.txt", "3 3\n"+text, false)} {
		got, err := LoadEmbedding(ctx, path, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("LoadEmbedding(%s) = %+v, want %+v", filepath.Base(path), got, want)
		}
	}
	got, err := LoadEmbedding(ctx, filepath.Join(dir, "v.txt"), "text", 2)
	if err != nil || len(got.Words) != 2 || len(got.Vectors) != 6 {
		t.Errorf("LoadEmbedding(limit 2) = %+v, %v, want 2 words", got, err)
	}

	for _, tc := range []struct {
		name, path, wantErr string
	}{
		{"missing", filepath.Join(dir, "none.txt"), "opening embedding"},
		{"ragged", write("bad.txt", "a 1 2\nb 1 2 3\n", false), "line 2"},
		{"empty", write("empty.txt", "", false), "no vectors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := LoadEmbedding(ctx, tc.path, "", 0); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("LoadEmbedding(%s) error = %v, want one containing %q", tc.name, err, tc.wantErr)
			}
		})
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := LoadEmbedding(cancelled, filepath.Join(dir, "v.txt"), "", 0); !errors.Is(err, context.Canceled) {
		t.Errorf("LoadEmbedding(cancelled) error = %v, want context.Canceled", err)
	}
}
