package word2vec

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestNgramHashes(t *testing.T) {
	fnv1a := func(s string) uint32 {
		h := fnv.New32a()
		h.Write([]byte(s))
		return h.Sum32()
	}
	tests := []struct {
		name       string
		word       string
		minN, maxN int
		want       []string // the n-grams, in fastText's order
	}{
		// The example of the fastText paper.
		{"where 3", "where", 3, 3, []string{"<wh", "whe", "her", "ere", "re>"}},
		{"where 3-4", "where", 3, 4, []string{"<wh", "<whe", "whe", "wher", "her", "here", "ere", "ere>", "re>"}},
		{"short word whole", "a", 3, 6, []string{"<a>"}},
		{"too short", "a", 4, 6, nil},
		// 1-grams of the boundary characters are left out.
		{"unigrams", "ab", 1, 1, []string{"a", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := appendNgramHashes(nil, nil, tc.word, tc.minN, tc.maxN)
			var want []uint32
			for _, g := range tc.want {
				want = append(want, fnv1a(g))
			}
			if !slices.Equal(got, want) {
				t.Errorf("appendNgramHashes(%q, %d, %d) = %x, want %x (%q)", tc.word, tc.minN, tc.maxN, got, want, tc.want)
			}
		})
	}
	// Multi-byte runes count as one character, and their bytes are
	// sign-extended before hashing, as fastText's int8_t cast does.
	got, _ := appendNgramHashes(nil, nil, "é", 3, 3)
	h := uint32(2166136261)
	for _, c := range []byte("<é>") {
		h = (h ^ uint32(int32(int8(c)))) * 16777619
	}
	if len(got) != 1 || got[0] != h {
		t.Errorf("n-grams of é = %x, want [%x]", got, h)
	}
	if h == fnv1a("<é>") {
		t.Error("sign extension made no difference; the test checks nothing")
	}
	if got, _ := appendNgramHashes(nil, nil, "héllo", 3, 3); len(got) != 5 {
		t.Errorf("héllo has %d trigrams, want 5", len(got))
	}
}

// morph is a generated corpus about stems: each stem is a random string of
// letters with four context words of its own (random strings too, so that
// they share no n-grams by construction), and is written with one of
// several suffixes. Stem k never appears with suffixes[k%len(suffixes)],
// which is held out.
type morph struct {
	corpus    string
	heldOut   []string   // heldOut[k] is stem k with its held-out suffix
	relatives [][]string // relatives[k] are the seen forms of stem k
	contextOf map[string]int
}

func morphCorpus(seed uint64, stems, sentences int) morph {
	r := rand.New(rand.NewPCG(seed, 0))
	randWord := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('a' + r.IntN(26)))
		}
		return b.String()
	}
	suffixes := []string{"", "s", "ed", "ing", "er"}
	m := morph{contextOf: map[string]int{}}
	contexts := make([][]string, stems)
	for k := range stems {
		stem := randWord(5 + r.IntN(3))
		m.heldOut = append(m.heldOut, stem+suffixes[k%len(suffixes)])
		var rel []string
		for i, s := range suffixes {
			if i != k%len(suffixes) {
				rel = append(rel, stem+s)
			}
		}
		m.relatives = append(m.relatives, rel)
		for range 4 {
			w := randWord(6)
			contexts[k] = append(contexts[k], w)
			m.contextOf[w] = k
		}
	}
	fillers := []string{"the", "of", "and", "to", "in", "is"}
	var b strings.Builder
	for range sentences {
		k := r.IntN(stems)
		n := 5 + r.IntN(4)
		x := r.IntN(n)
		for i := range n {
			if i > 0 {
				b.WriteByte(' ')
			}
			switch {
			case i == x:
				b.WriteString(m.relatives[k][r.IntN(len(m.relatives[k]))])
			case r.Float64() < 0.2:
				b.WriteString(fillers[r.IntN(len(fillers))])
			default:
				b.WriteString(contexts[k][r.IntN(4)])
			}
		}
		b.WriteByte('\n')
	}
	m.corpus = b.String()
	return m
}

// TestSubwordUnseen trains subword vectors and requires the vector composed
// for each held-out inflection, and for a suffix never seen at all, to
// have a seen form of its stem as its nearest neighbour and another among
// its top three.
func TestSubwordUnseen(t *testing.T) {
	for _, arch := range []Arch{SkipGram, CBOW} {
		t.Run(arch.String(), func(t *testing.T) { runSubword(t, arch, 1, 1, 5) })
	}
	t.Run("sg/threads=2", func(t *testing.T) {
		if raceEnabled {
			t.Skip("Hogwild updates race by design")
		}
		runSubword(t, SkipGram, 2, 1, 5)
	})
}

// TestSubwordSeeds runs TestSubwordUnseen over more seeds (VECDB_LONG=1).
func TestSubwordSeeds(t *testing.T) {
	if os.Getenv("VECDB_LONG") != "1" {
		t.Skip("set VECDB_LONG=1")
	}
	for seed := range 6 {
		for _, arch := range []Arch{SkipGram, CBOW} {
			t.Run(fmt.Sprintf("%s/seed=%d", arch, seed), func(t *testing.T) {
				runSubword(t, arch, 1, uint64(100+seed), int64(seed))
			})
		}
	}
}

func runSubword(t *testing.T, arch Arch, threads int, corpusSeed uint64, seed int64) {
	stems, sentences := 30, 15_000
	if testing.Short() || raceEnabled {
		stems, sentences = 12, 6_000
	}
	t.Logf("corpus seed %d, training seed %d, %d stems, %d sentences", corpusSeed, seed, stems, sentences)
	g := morphCorpus(corpusSeed, stems, sentences)
	heldOut, relatives := g.heldOut, g.relatives
	c := stringCorpus(g.corpus)
	v := vocabOf(t, c, 3)
	opts := DefaultOptions()
	opts.Arch = arch
	opts.Dim = 32
	opts.Window = 3
	opts.Epochs = 10
	opts.Threads = threads
	opts.Seed = seed
	opts.Subword = &SubwordOptions{Buckets: 50_000}
	m, err := TrainCorpus(context.Background(), c, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subword == nil || m.Subword.MinN != 3 || m.Subword.MaxN != 6 || len(m.Buckets) != 50_000*32 {
		t.Fatalf("subword model has options %+v and %d bucket floats", m.Subword, len(m.Buckets))
	}
	checked, missed := 0, 0
	for k, word := range heldOut {
		for _, w := range []string{word, relatives[k][0] + "ly"} {
			if _, seen := m.ID(w); seen {
				t.Fatalf("%s is in the vocabulary", w)
			}
			vec, ok := m.Vector(w, nil)
			if !ok {
				t.Fatalf("no vector for %s", w)
			}
			near := neighbours(m, vec)
			var names []string
			hits := 0
			for _, id := range near[:3] {
				names = append(names, m.Words[id])
				if slices.Contains(relatives[k], m.Words[id]) {
					hits++
				}
			}
			if !slices.Contains(relatives[k], names[0]) || hits < 2 {
				t.Errorf("neighbours of unseen %s are %q; want two of %q, the first among them", w, names, relatives[k])
			}
			// The n-grams must also carry meaning: one of the stem's own
			// context words, which share no n-gram with it, must be among
			// the four nearest context words (of 4*stems).
			var ctxWords []string
			own := false
			for _, id := range near {
				if stem, ok := g.contextOf[m.Words[id]]; ok && len(ctxWords) < 4 {
					ctxWords = append(ctxWords, m.Words[id])
					own = own || stem == k
				}
			}
			checked++
			if !own {
				missed++
				t.Logf("nearest context words of unseen %s are %q, none of them its stem's", w, ctxWords)
			}
		}
	}
	// Skip-gram must place every unseen word near its stem's context
	// words. CBOW, whose input averages the n-grams of the whole window,
	// lets the suffix n-grams that all stems share pull a few -ing forms
	// elsewhere, so it may miss one in ten.
	if limit := map[Arch]int{SkipGram: 0, CBOW: checked / 10}[arch]; missed > limit {
		t.Errorf("%d of %d unseen words are far from their stem's context words, want at most %d", missed, checked, limit)
	}
}

func TestModelVector(t *testing.T) {
	c := stringCorpus(strings.Repeat("alpha beta gamma delta\nbeta gamma alpha\n", 50))
	v := vocabOf(t, c, 1)
	opts := DefaultOptions()
	opts.Dim = 8
	opts.Epochs = 1
	opts.Threads = 1
	plain, err := TrainCorpus(context.Background(), c, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Len() != 4 || len(plain.Vectors) != 32 {
		t.Fatalf("model has %d rows, %d floats", plain.Len(), len(plain.Vectors))
	}
	buf := make([]float32, 0, 8)
	vec, ok := plain.Vector("gamma", buf)
	id, _ := plain.ID("gamma")
	if !ok || !slices.Equal(vec, plain.Row(id)) || &vec[0] != &buf[:1][0] {
		t.Errorf("Vector(gamma) = %v, %v; want row %d in the caller's buffer", vec, ok, id)
	}
	if vec, ok := plain.Vector("gammas", nil); ok || len(vec) != 0 {
		t.Errorf("Vector of an unknown word without subwords = %v, %v", vec, ok)
	}
	if plain.Row(-1) != nil || plain.Row(4) != nil {
		t.Error("Row out of range is not nil")
	}

	opts.Subword = &SubwordOptions{MinN: 3, MaxN: 4, Buckets: 1000}
	sub, err := TrainCorpus(context.Background(), c, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	// A vocabulary word's vector is the mean of its own row and its
	// n-grams' rows, which the model composed after training.
	id, _ = sub.ID("beta")
	if vec, ok := sub.Vector("beta", nil); !ok || !slices.Equal(vec, sub.Row(id)) {
		t.Errorf("Vector(beta) = %v, %v; want row %d", vec, ok, id)
	}
	if _, ok := sub.Vector("gammas", nil); !ok {
		t.Error("no vector for an unseen word with subwords")
	}
	// "<a>" has no n-gram of 4 or more runes... but has one of 3.
	if _, ok := sub.Vector("a", nil); !ok {
		t.Error("no vector for a one-letter word with 3-grams")
	}
	sub.Subword.MinN = 5 // as if trained with 5-grams: "<a>" has none
	if vec, ok := sub.Vector("a", nil); ok || len(vec) != 0 {
		t.Errorf("Vector(a) with no n-gram = %v, %v", vec, ok)
	}

	// Trained from a Source without words: rows only.
	m, err := Train(context.Background(), chunkSource([]int32{0, 1, 2, 1, 0}), []int64{2, 2, 1}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Vector("alpha", nil); ok || m.Words != nil || m.Len() != 3 {
		t.Errorf("unnamed model: Words %v, %d rows", m.Words, m.Len())
	}
}
