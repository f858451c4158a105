package glove

import (
	"bufio"
	"context"
	"github.com/vecdb/vecdb/train/wordeval"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/train/text"
)

// This file measures the trainer on the real corpus in shared/data: a
// benchmark of the counting step and an opt-in (VECDB_LONG=1) end-to-end
// run that reports time per stage, records, peak memory and WordSim-353.

func realCorpus(tb testing.TB) (*text.Corpus, *text.Vocab) {
	tb.Helper()
	dir := vectest.DataDir(tb, "text-corpus")
	c := &text.Corpus{Paths: []string{dir}, Tokenizer: text.Tokenizer{Split: text.SplitASCII, Lower: true}}
	v, err := text.BuildVocab(context.Background(), c, text.VocabOptions{MinCount: 5})
	if err != nil {
		tb.Fatal(err)
	}
	return c, v
}

func BenchmarkCount(b *testing.B) {
	c, v := realCorpus(b)
	b.ReportAllocs()
	var records int64
	for b.Loop() {
		co, err := Count(context.Background(), c, v, Options{TempDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		records = countRecords(b, co)
		if err := co.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(records), "records")
	b.ReportMetric(float64(v.Tokens*int64(b.N))/b.Elapsed().Seconds(), "tokens/s")
}

// countRecords returns the number of non-zero X_ij, both orders.
func countRecords(tb testing.TB, co *Cooccurrences) int64 {
	tb.Helper()
	var n int64
	it := co.NewIter(context.Background())
	for it.First(); it.Valid(); it.Next() {
		if r := it.Record(); r.I == r.J {
			n++
		} else {
			n += 2
		}
	}
	if err := it.Close(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestCorpusWordSim trains on the real corpus and reports WordSim-353.
// It takes minutes, so it runs only with VECDB_LONG=1; GLOVE_EPOCHS,
// GLOVE_DIM, GLOVE_THREADS and GLOVE_MEMORY (bytes) override the defaults.
func TestCorpusWordSim(t *testing.T) {
	if !vectest.Long() {
		t.Skip("trains on the 15M-token corpus for minutes; set VECDB_LONG=1")
	}
	if raceEnabled {
		t.Skip("Hogwild training races by design")
	}
	c, v := realCorpus(t)
	t.Logf("vocabulary %d words, %d tokens", v.Len(), v.Tokens)
	opts := Options{Seed: 1, TempDir: t.TempDir()}
	opts.Epochs = envInt(t, "GLOVE_EPOCHS", 0)
	opts.Dim = envInt(t, "GLOVE_DIM", 0)
	opts.Threads = envInt(t, "GLOVE_THREADS", 0)
	opts.MemoryBytes = int64(envInt(t, "GLOVE_MEMORY", 0))
	// Wall time and the process's CPU time, since the machine may be shared.
	last, lastCPU := time.Duration(0), cpuTime()
	opts.Progress = func(p Progress) {
		cpu := cpuTime()
		switch p.Stage {
		case StageCount:
			return
		case StageMerge:
			t.Logf("count + merge + shuffle: %v wall, %v CPU; %d training records, %d runs",
				p.Elapsed.Round(time.Millisecond), (cpu - lastCPU).Round(time.Millisecond), p.Records, p.Runs)
		case StageTrain:
			t.Logf("epoch %2d: cost %.5f, %v wall, %v CPU", p.Epoch, p.Cost,
				(p.Elapsed - last).Round(time.Millisecond), (cpu - lastCPU).Round(time.Millisecond))
		}
		last, lastCPU = p.Elapsed, cpu
	}
	m, err := Train(context.Background(), c, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peak RSS %s", peakRSS())
	for _, set := range []string{"EN-WS-353-ALL.txt", "EN-WS-353-SIM.txt", "EN-WS-353-REL.txt", "EN-SIMLEX-999.txt", "EN-MEN-TR-3k.txt"} {
		rho, covered, total := wordSim(t, filepath.Join(vectest.DataDir(t, "word-eval"), set), m, v)
		t.Logf("%s: Spearman rho %.3f over %d/%d pairs", set, rho, covered, total)
		if set == "EN-WS-353-ALL.txt" && rho < 0.3 {
			t.Errorf("WS-353 rho = %.3f, want at least 0.3", rho)
		}
	}
	if ents, err := os.ReadDir(opts.TempDir); err != nil || len(ents) != 0 {
		t.Errorf("temp dir holds %d entries after Train (err %v)", len(ents), err)
	}
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return n
}

// peakRSS returns the process's peak resident set size (VmHWM) on Linux.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "unknown"
}

// wordSim returns Spearman's rho between the cosine of the vectors of two
// words and the human score, over the pairs of a "w1 w2 score" file whose
// words are both in v.
func wordSim(t *testing.T, path string, m *Model, v *text.Vocab) (rho float64, covered, total int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint: read-only file
	var cos, human []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		total++
		score, err := strconv.ParseFloat(fs[2], 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		a, okA := v.ID(strings.ToLower(fs[0]))
		b, okB := v.ID(strings.ToLower(fs[1]))
		if !okA || !okB {
			continue
		}
		cos = append(cos, cosine(m.Vector(int(a)), m.Vector(int(b))))
		human = append(human, score)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return wordeval.Spearman(cos, human), len(cos), total
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for k := range a {
		ab += float64(a[k]) * float64(b[k])
		aa += float64(a[k]) * float64(a[k])
		bb += float64(b[k]) * float64(b[k])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// BenchmarkCountStage times the counting pass alone (no merge), with the
// default budget.
func BenchmarkCountStage(b *testing.B) {
	c, v := realCorpus(b)
	for b.Loop() {
		co, err := Count(context.Background(), c, v, Options{TempDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(co.Runs()), "runs")
		if err := co.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
