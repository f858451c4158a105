package text

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

func stringCorpus(s string) *Corpus {
	return &Corpus{
		Open:      func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil },
		Tokenizer: DefaultTokenizer(),
	}
}

func TestCorpusFilesAndLines(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte("second file\r\nline two"), 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write([]byte("First file\n\nlast\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.txt.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("not corpus"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &Corpus{Paths: []string{dir}, Tokenizer: DefaultTokenizer()}
	var lines []string
	if err := c.Lines(context.Background(), func(l []byte) error { lines = append(lines, string(l)); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{"First file", "", "last", "second file", "line two"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Fatalf("lines = %q, want %q", lines, want)
	}
	if _, err := (&Corpus{Paths: []string{t.TempDir()}}).Files(); err == nil {
		t.Error("empty directory accepted")
	}
	if _, err := (&Corpus{Paths: []string{filepath.Join(dir, "missing.txt")}}).Files(); err == nil {
		t.Error("missing file accepted")
	}
}

func TestCorpusLongLine(t *testing.T) {
	long := strings.Repeat("word ", 200_000) // 1 MB, past the reader's buffer
	c := stringCorpus("short\n" + long + "\nend")
	var n []int
	err := c.Sentences(context.Background(), func(toks [][]byte) error { n = append(n, len(toks)); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(n) != 3 || n[0] != 1 || n[1] != 200_000 || n[2] != 1 {
		t.Fatalf("sentence lengths = %v", n)
	}
}

func TestCorpusCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := stringCorpus(strings.Repeat("a b c\n", 10_000))
	if err := c.Lines(ctx, func([]byte) error { return nil }); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestStream(t *testing.T) {
	c := stringCorpus("a b c d\nx a b\n\nzzz\na a a a a a a\n")
	v, err := BuildVocab(context.Background(), c, VocabOptions{MinCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	var sents [][]string
	var tokens int64
	err = c.Stream(context.Background(), v, StreamOptions{ChunkTokens: 3, MaxSentence: 4}, func(ch *Chunk) error {
		tokens += ch.Tokens
		for i := range ch.Ends {
			var s []string
			for _, id := range ch.Sentence(i) {
				s = append(s, v.Words[id])
			}
			sents = append(sents, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, s := range sents {
		got += strings.Join(s, " ") + "|"
	}
	// c, d, x and zzz appear once and are dropped; the 7 a's split at 4.
	if want := "a b|a b|a a a a|a a a|"; got != want {
		t.Errorf("sentences = %q, want %q", got, want)
	}
	if tokens != 15 {
		t.Errorf("tokens = %d, want 15", tokens)
	}
}
