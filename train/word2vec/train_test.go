package word2vec

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/quant"
	"github.com/vecdb/vecdb/train/text"
)

// raceEnabled is set under the race detector, where the multi-threaded
// (Hogwild) runs are skipped: their unsynchronised updates are races by
// design.
var raceEnabled bool

// letters names i with two or more lower-case letters, since the default
// tokenizer splits on digits.
func letters(i int) string {
	return string(rune('a'+i/26%26)) + string(rune('a'+i%26))
}

// plantedCorpus generates sentences in which the words of each pair
// ("xa"+k, "xb"+k) have the same contexts (the four words "ck"+k+letter
// and frequent fillers) and never occur together. Every context word
// occurs beside both members of its pair and beside the other context
// words, so a pair's members are each other's nearest neighbours only if
// training recovers the shared contexts.
func plantedCorpus(seed uint64, pairs, sentences int) string {
	r := rand.New(rand.NewPCG(seed, 0))
	fillers := []string{"the", "of", "and", "to", "in", "is", "that", "it", "was", "for"}
	var b strings.Builder
	for range sentences {
		k := r.IntN(pairs)
		n := 6 + r.IntN(5)
		x := r.IntN(n)
		member := "xa"
		if r.IntN(2) == 1 {
			member = "xb"
		}
		for i := range n {
			if i > 0 {
				b.WriteByte(' ')
			}
			switch {
			case i == x:
				b.WriteString(member + letters(k))
			case r.Float64() < 0.25:
				// Zipf-like: lower fillers are more frequent.
				b.WriteString(fillers[int(float64(len(fillers))*r.Float64()*r.Float64())])
			default:
				b.WriteString("ck" + letters(k) + string(rune('a'+r.IntN(4))))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func stringCorpus(s string) *text.Corpus {
	return &text.Corpus{
		Open:      func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil },
		Tokenizer: text.DefaultTokenizer(),
	}
}

func vocabOf(t testing.TB, c *text.Corpus, minCount int) *text.Vocab {
	t.Helper()
	v, err := text.BuildVocab(context.Background(), c, text.VocabOptions{MinCount: minCount})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// neighbours returns the ids of m's rows by decreasing cosine similarity
// to q, leaving out the ids in skip.
func neighbours(m *Model, q []float32, skip ...int32) []int32 {
	qn := slices.Clone(q)
	quant.Normalize(qn)
	type scored struct {
		id  int32
		cos float32
	}
	var s []scored
	row := make([]float32, m.Dim)
	for id := range int32(m.Len()) {
		if slices.Contains(skip, id) {
			continue
		}
		copy(row, m.Row(id))
		quant.Normalize(row)
		s = append(s, scored{id, quant.DotProduct(qn, row)})
	}
	slices.SortFunc(s, func(a, b scored) int {
		if a.cos != b.cos {
			if a.cos > b.cos {
				return -1
			}
			return 1
		}
		return int(a.id - b.id)
	})
	ids := make([]int32, len(s))
	for i, x := range s {
		ids[i] = x.id
	}
	return ids
}

// checkPairs requires every planted pair's partner to be the top-1
// neighbour of each member.
func checkPairs(t *testing.T, m *Model, pairs int) {
	t.Helper()
	bad := 0
	for k := range pairs {
		a, b := "xa"+letters(k), "xb"+letters(k)
		for _, p := range [][2]string{{a, b}, {b, a}} {
			id, ok := m.ID(p[0])
			if !ok {
				t.Fatalf("%s missing from the model", p[0])
			}
			top := neighbours(m, m.Row(id), id)[0]
			if m.Words[top] != p[1] {
				bad++
				t.Errorf("nearest neighbour of %s is %s, want %s", p[0], m.Words[top], p[1])
			}
		}
	}
	if bad > 0 {
		t.Logf("%d of %d members missed their partner", bad, 2*pairs)
	}
}

// plantedSize sizes the planted test: smaller under -short and under the
// race detector.
func plantedSize() (pairs, sentences int) {
	if testing.Short() || raceEnabled {
		return 10, 8_000
	}
	return 30, 20_000
}

func TestPlantedPairs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		arch    Arch
		threads int
	}{
		{"sg", SkipGram, 1},
		{"cbow", CBOW, 1},
		{"sg/threads=2", SkipGram, 2},
		{"cbow/threads=2", CBOW, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.threads > 1 && raceEnabled {
				t.Skip("Hogwild updates race by design; the one-thread runs cover the race detector")
			}
			runPlanted(t, tc.arch, tc.threads, 1, 7)
		})
	}
}

func runPlanted(t *testing.T, arch Arch, threads int, corpusSeed uint64, seed int64) {
	pairs, sentences := plantedSize()
	t.Logf("corpus seed %d, training seed %d, %d pairs, %d sentences", corpusSeed, seed, pairs, sentences)
	c := stringCorpus(plantedCorpus(corpusSeed, pairs, sentences))
	v := vocabOf(t, c, 5)
	if want := pairs*2 + pairs*4 + 10; v.Len() != want {
		t.Fatalf("vocabulary has %d words, want %d", v.Len(), want)
	}
	opts := DefaultOptions()
	opts.Dim = 32
	opts.Window = 4
	opts.Arch = arch
	opts.Threads = threads
	opts.Seed = seed
	opts.Epochs = 10
	m, err := TrainCorpus(context.Background(), c, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkPairs(t, m, pairs)
}

// TestPlantedSeeds runs the planted test over many seeds (VECDB_LONG=1) to
// show that its thresholds are not tuned to one lucky seed.
func TestPlantedSeeds(t *testing.T) {
	if os.Getenv("VECDB_LONG") != "1" {
		t.Skip("set VECDB_LONG=1")
	}
	for seed := range 8 {
		for _, arch := range []Arch{SkipGram, CBOW} {
			t.Run(fmt.Sprintf("%s/seed=%d", arch, seed), func(t *testing.T) {
				runPlanted(t, arch, 1, uint64(100+seed), int64(seed))
			})
		}
	}
}

// TestDeterministic checks that one thread gives bit-identical vectors for
// a seed, and different vectors for another seed.
func TestDeterministic(t *testing.T) {
	c := stringCorpus(plantedCorpus(2, 10, 1000))
	v := vocabOf(t, c, 1)
	for _, tc := range []struct {
		name    string
		arch    Arch
		subword *SubwordOptions
	}{
		{"sg", SkipGram, nil},
		{"cbow", CBOW, nil},
		{"sg/subword", SkipGram, &SubwordOptions{Buckets: 1000}},
		{"cbow/subword", CBOW, &SubwordOptions{Buckets: 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultOptions()
			opts.Dim = 16
			opts.Epochs = 2
			opts.Arch = tc.arch
			opts.Subword = tc.subword
			opts.Threads = 1
			opts.Seed = 3
			train := func(seed int64) []float32 {
				o := opts
				o.Seed = seed
				m, err := TrainCorpus(context.Background(), c, v, o)
				if err != nil {
					t.Fatal(err)
				}
				return m.Vectors
			}
			a, b, other := train(3), train(3), train(4)
			if !slices.Equal(a, b) {
				t.Error("two one-thread runs with the same seed differ")
			}
			if slices.Equal(a, other) {
				t.Error("runs with seeds 3 and 4 are identical")
			}
		})
	}
}

// chunkSource makes a Source of one chunk with the given sentences.
func chunkSource(sents ...[]int32) Source {
	return func(ctx context.Context, fn func(*text.Chunk) error) error {
		ch := &text.Chunk{}
		for _, s := range sents {
			ch.IDs = append(ch.IDs, s...)
			ch.Ends = append(ch.Ends, int32(len(ch.IDs)))
			ch.Tokens += int64(len(s))
		}
		return fn(ch)
	}
}

func TestBadInput(t *testing.T) {
	good := chunkSource([]int32{0, 1, 2, 1, 0})
	counts := []int64{2, 2, 1}
	opt := func(f func(*Options)) Options {
		o := DefaultOptions()
		o.Threads = 1
		if f != nil {
			f(&o)
		}
		return o
	}
	tests := []struct {
		name   string
		src    Source
		counts []int64
		opts   Options
	}{
		{"dim 0", good, counts, opt(func(o *Options) { o.Dim = 0 })},
		{"dim huge", good, counts, opt(func(o *Options) { o.Dim = 1 << 20 })},
		{"window 0", good, counts, opt(func(o *Options) { o.Window = 0 })},
		{"negative -1", good, counts, opt(func(o *Options) { o.Negative = -1 })},
		{"negative 0", good, counts, opt(func(o *Options) { o.Negative = 0 })},
		{"epochs 0", good, counts, opt(func(o *Options) { o.Epochs = 0 })},
		{"sample -1", good, counts, opt(func(o *Options) { o.Sample = -1 })},
		{"sample NaN", good, counts, opt(func(o *Options) { o.Sample = math.NaN() })},
		{"alpha -1", good, counts, opt(func(o *Options) { o.Alpha = -1 })},
		{"min alpha above alpha", good, counts, opt(func(o *Options) { o.Alpha = 0.01; o.MinAlpha = 0.1 })},
		{"threads -1", good, counts, opt(func(o *Options) { o.Threads = -1 })},
		{"unknown arch", good, counts, opt(func(o *Options) { o.Arch = 7 })},
		{"subword without words", good, counts, opt(func(o *Options) { o.Subword = &SubwordOptions{} })},
		{"subword bad lengths", good, counts, opt(func(o *Options) {
			o.Subword = &SubwordOptions{MinN: 4, MaxN: 3}
			o.Words = []string{"a", "b", "c"}
		})},
		{"words mismatch", good, counts, opt(func(o *Options) { o.Words = []string{"a"} })},
		{"empty vocabulary", good, nil, opt(nil)},
		{"zero counts", good, []int64{0, 0, 0}, opt(nil)},
		{"negative count", good, []int64{2, -1, 1}, opt(nil)},
		{"count overflow", good, []int64{math.MaxInt64 / 2, math.MaxInt64 / 2, 1}, opt(nil)},
		{"nil source", nil, counts, opt(nil)},
		{"id out of range", chunkSource([]int32{0, 3}), counts, opt(nil)},
		{"negative id", chunkSource([]int32{0, -1}), counts, opt(nil)},
		{"bad ends", func(ctx context.Context, fn func(*text.Chunk) error) error {
			return fn(&text.Chunk{IDs: []int32{0, 1}, Ends: []int32{5}})
		}, counts, opt(nil)},
		{"ids past last end", func(ctx context.Context, fn func(*text.Chunk) error) error {
			return fn(&text.Chunk{IDs: []int32{0, 1, 2}, Ends: []int32{2}})
		}, counts, opt(nil)},
		{"nil chunk", func(ctx context.Context, fn func(*text.Chunk) error) error {
			return fn(nil)
		}, counts, opt(nil)},
		{"source error", func(ctx context.Context, fn func(*text.Chunk) error) error {
			return errors.New("disk on fire")
		}, counts, opt(nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Train(context.Background(), tc.src, tc.counts, tc.opts)
			if err == nil {
				t.Fatalf("Train succeeded with a model of %d rows", m.Len())
			}
			t.Log(err)
		})
	}
	fire := errors.New("disk on fire")
	_, err := Train(context.Background(), func(context.Context, func(*text.Chunk) error) error { return fire }, counts, opt(nil))
	if !errors.Is(err, fire) {
		t.Errorf("source error came back as %v", err)
	}
	if _, err := TrainCorpus(context.Background(), stringCorpus("a b"), nil, DefaultOptions()); err == nil {
		t.Error("TrainCorpus accepted a nil vocabulary")
	}
}

// TestCancel checks that Train returns ctx.Err() promptly when ctx is
// cancelled in the middle of an endless source.
func TestCancel(t *testing.T) {
	ids := make([]int32, 1000)
	for i := range ids {
		ids[i] = int32(i % 100)
	}
	counts := make([]int64, 100)
	for i := range counts {
		counts[i] = 10
	}
	endless := func(ctx context.Context, fn func(*text.Chunk) error) error {
		for {
			ch := &text.Chunk{IDs: slices.Clone(ids), Ends: []int32{500, 1000}}
			if err := fn(ch); err != nil {
				return err
			}
		}
	}
	for _, threads := range []int{1, 2} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			if threads > 1 && raceEnabled {
				t.Skip("Hogwild updates race by design")
			}
			ctx, cancel := context.WithCancel(context.Background())
			opts := DefaultOptions()
			opts.Threads = threads
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			_, err := Train(ctx, endless, counts, opts)
			if err != context.Canceled {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Train took %v to notice the cancellation", d)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, endless, counts, DefaultOptions()); err != context.Canceled {
		t.Fatalf("already cancelled: err = %v, want context.Canceled", err)
	}
}

func TestProgress(t *testing.T) {
	c := stringCorpus(plantedCorpus(3, 10, 2000))
	v := vocabOf(t, c, 1)
	opts := DefaultOptions()
	opts.Dim = 16
	opts.Epochs = 3
	opts.Threads = 1
	opts.ProgressInterval = time.Millisecond
	var reports []Progress
	opts.Progress = func(p Progress) { reports = append(reports, p) }
	if _, err := TrainCorpus(context.Background(), c, v, opts); err != nil {
		t.Fatal(err)
	}
	if len(reports) == 0 {
		t.Fatal("Progress never called")
	}
	last := reports[len(reports)-1]
	if want := 3 * v.Total; last.Words != want || last.TotalWords != want {
		t.Errorf("last report: %d of %d words, want %d of %d", last.Words, last.TotalWords, want, want)
	}
	if last.Epoch != 3 {
		t.Errorf("last report in epoch %d, want 3", last.Epoch)
	}
	if math.Abs(last.Alpha-opts.MinAlpha) > 1e-9 {
		t.Errorf("final alpha %g, want MinAlpha %g", last.Alpha, opts.MinAlpha)
	}
	if last.WordsPerSec <= 0 || last.Elapsed <= 0 {
		t.Errorf("last report %+v has no speed", last)
	}
	// With zero output vectors every score starts at 0, a loss of
	// (1+Negative)*log 2 per example; by the end it must be well below.
	initial := float64(1+opts.Negative) * math.Ln2
	var lossAll, n float64
	for i, p := range reports {
		if i > 0 && p.Words < reports[i-1].Words {
			t.Errorf("words went back from %d to %d", reports[i-1].Words, p.Words)
		}
		if p.Loss != 0 {
			if p.Loss < 0 || math.IsNaN(p.Loss) || p.Loss > initial*1.01 {
				t.Errorf("report %d: loss %g out of range (0, %g]", i, p.Loss, initial)
			}
			lossAll, n = lossAll+p.Loss, n+1
		}
	}
	if last.Loss == 0 || last.Loss > 0.8*initial {
		t.Errorf("final loss %g, want below %g", last.Loss, 0.8*initial)
	}
	t.Logf("%d reports, mean loss %.3f, final %.3f (initial %.3f)", len(reports), lossAll/n, last.Loss, initial)
}
