package glove

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/train/text"
)

// stringCorpus returns a corpus over the text s, tokenised on letters.
func stringCorpus(s string) *text.Corpus {
	return &text.Corpus{
		Open:      func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil },
		Tokenizer: text.DefaultTokenizer(),
	}
}

// wordName returns a letters-only name for i: "wa", "wb", ..., "wba", ...
func wordName(prefix string, i int) string {
	b := []byte(prefix)
	n := len(b)
	for {
		b = append(b, byte('a'+i%26))
		if i /= 26; i == 0 {
			break
		}
	}
	slices.Reverse(b[n:])
	return string(b)
}

// zipfCorpus returns lines of words drawn from a Zipf distribution over
// vocab words, with lengths from 1 to 2*meanLen-1.
func zipfCorpus(seed uint64, lines, meanLen, vocab int) string {
	rng := rand.New(rand.NewPCG(seed, 0))
	z := rand.NewZipf(rng, 1.1, 2, uint64(vocab-1))
	var sb strings.Builder
	for range lines {
		n := 1 + rng.IntN(2*meanLen-1)
		for k := range n {
			if k > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(wordName("w", int(z.Uint64())))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

func buildVocab(t testing.TB, c *text.Corpus) *text.Vocab {
	t.Helper()
	v, err := text.BuildVocab(context.Background(), c, text.VocabOptions{MinCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// records returns all the counts of co.
func records(t testing.TB, co *Cooccurrences) []Record {
	t.Helper()
	var out []Record
	it := co.NewIter(context.Background())
	for it.First(); it.Valid(); it.Next() {
		out = append(out, it.Record())
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// assertEmptyDir fails the test if dir has any entry left.
func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("%s left behind in the temporary directory", e.Name())
	}
}

func TestCountHandComputed(t *testing.T) {
	// Window 2 over four lines; "x" is not in the vocabulary and drops out
	// before the window is applied, as in GloVe. With a=0, b=1, c=2:
	//   "a b c a": (a,b) 1 + 1/2, (b,c) 1, (a,c) 1/2 + 1; the two a's are 3 apart
	//   "b c":     (b,c) 1; no pair with the previous line's last "a"
	//   "a x b":   (a,b) 1
	//   "c c c":   (c,c) counts both sides: 2·1 + 2·1 + 2·1/2
	const corpus = "a b c a\nb c\na x b\nc c c\n"
	want := []Record{{0, 1, 2.5}, {0, 2, 1.5}, {1, 2, 2}, {2, 2, 5}}
	// Window 1: only neighbours.
	want1 := []Record{{0, 1, 2}, {0, 2, 1}, {1, 2, 2}, {2, 2, 4}}
	for _, tc := range []struct {
		name   string
		window int
		pad    int // frequent vocabulary words that never occur in the text
		mem    int64
		want   []Record
	}{
		{name: "window=2/dense", window: 2, want: want},
		{name: "window=1/dense", window: 1, want: want1},
		// With 300 more frequent words and the minimum budget, a, b and c
		// have ranks past 300 and their pairs go to the sparse buffer.
		{name: "window=2/sparse", window: 2, pad: 300, mem: MinMemoryBytes, want: want},
	} {
		t.Run(tc.name, func(t *testing.T) {
			words, counts := []string{"a", "b", "c"}, []int64{10, 9, 8}
			for i := range tc.pad {
				words = append(words, wordName("pad", i))
				counts = append(counts, int64(100+i))
			}
			v, err := text.NewVocab(words, counts)
			if err != nil {
				t.Fatal(err)
			}
			ids := make(map[string]int32)
			for _, w := range []string{"a", "b", "c"} {
				ids[w], _ = v.ID(w)
			}
			co, err := Count(context.Background(), stringCorpus(corpus), v,
				Options{Window: tc.window, MemoryBytes: tc.mem, TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer co.Close()
			if tc.pad > 0 && co.rowEnd[ids["a"]] > uint32(ids["a"]) {
				t.Fatalf("word a has dense cells; the test wants it in the sparse buffer")
			}
			got := records(t, co)
			name := map[int32]string{ids["a"]: "a", ids["b"]: "b", ids["c"]: "c"}
			var gotNamed []Record
			for _, r := range got {
				i, j := int32(strings.Index("abc", name[r.I])), int32(strings.Index("abc", name[r.J]))
				gotNamed = append(gotNamed, Record{I: min(i, j), J: max(i, j), X: r.X})
			}
			slices.SortFunc(gotNamed, func(a, b Record) int { return int(a.I-b.I)*4 + int(a.J-b.J) })
			if !slices.Equal(gotNamed, tc.want) {
				t.Errorf("Count(%q, window %d) = %v, want %v", corpus, tc.window, gotNamed, tc.want)
			}
			if co.Tokens() != 12 {
				t.Errorf("Tokens() = %d, want 12", co.Tokens())
			}
		})
	}
}

// TestCountSpill checks that spilling to run files, several merge levels
// included, gives exactly the counts of a run that fits in memory, and that
// the files are gone after Close.
func TestCountSpill(t *testing.T) {
	c := stringCorpus(zipfCorpus(1, 600, 12, 400))
	v := buildVocab(t, c)
	ctx := context.Background()
	big, err := Count(ctx, c, v, Options{Window: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	if big.Runs() != 0 {
		t.Fatalf("default budget spilled %d runs", big.Runs())
	}
	want := records(t, big)

	dir := t.TempDir()
	small, err := Count(ctx, c, v, Options{Window: 5, MemoryBytes: MinMemoryBytes, TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d records, %d runs at the minimum budget", len(want), small.Runs())
	if small.Runs() <= maxFanIn {
		t.Errorf("only %d runs; the test wants more than %d to merge in two levels", small.Runs(), maxFanIn)
	}
	for pass := range 2 { // the second pass reads the merged runs again
		if got := records(t, small); !slices.Equal(got, want) {
			t.Fatalf("pass %d: spilled counts differ: %d records, want %d", pass, len(got), len(want))
		}
	}
	if err := small.Close(); err != nil {
		t.Fatal(err)
	}
	assertEmptyDir(t, dir)
	if err := small.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	it := small.NewIter(ctx)
	if it.First() || it.Close() == nil {
		t.Error("iterating a closed Cooccurrences did not fail")
	}
}

func TestCountCancel(t *testing.T) {
	c := stringCorpus(zipfCorpus(2, 300, 12, 400))
	v := buildVocab(t, c)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	opts := Options{MemoryBytes: MinMemoryBytes, TempDir: dir, Progress: func(p Progress) {
		if p.Stage == StageCount && p.Runs > 0 {
			calls++
			cancel()
		}
	}}
	co, err := Count(ctx, c, v, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Count after cancel: %v, %v; want context.Canceled", co, err)
	}
	if calls == 0 {
		t.Fatal("Progress never reported a run")
	}
	assertEmptyDir(t, dir)

	if _, err := Count(ctx, c, v, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Count with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestDenseProduct(t *testing.T) {
	for _, tc := range []struct {
		n     int
		cells int64
	}{{1, 0}, {1, 1}, {3, 6}, {3, 5}, {100, 50}, {1000, 20000}, {60000, 1 << 25}} {
		p := denseProduct(tc.n, tc.cells)
		got := denseCells(tc.n, p)
		full := int64(tc.n) * int64(tc.n+1) / 2
		if got > tc.cells {
			t.Errorf("denseProduct(%d, %d) = %d with %d cells, over budget", tc.n, tc.cells, p, got)
		}
		if got < full && denseCells(tc.n, p+1) <= tc.cells {
			t.Errorf("denseProduct(%d, %d) = %d is not the largest", tc.n, tc.cells, p)
		}
	}
}
