package glove

import (
	"cmp"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// randomRecords returns n distinct sorted records with i ≤ j < vocab.
func randomRecords(rng *rand.Rand, n, vocab int) []pairRec {
	seen := make(map[uint64]bool)
	var recs []pairRec
	for len(recs) < n {
		i, j := uint32(rng.IntN(vocab)), uint32(rng.IntN(vocab))
		key := pairKey(min(i, j), max(i, j))
		if !seen[key] {
			seen[key] = true
			recs = append(recs, pairRec{key: key, n: 1 + rng.Uint64N(1<<40)})
		}
	}
	slices.SortFunc(recs, func(a, b pairRec) int { return cmp.Compare(a.key, b.key) })
	return recs
}

func readRun(t *testing.T, info runInfo, vocab int) ([]pairRec, error) {
	t.Helper()
	r, err := openRun(info, vocab)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	var got []pairRec
	for r.next() {
		k, n := r.cur()
		got = append(got, pairRec{k, n})
	}
	return got, r.err()
}

func TestRunRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	dir := t.TempDir()
	for _, tc := range []struct {
		name     string
		n, vocab int
	}{{"empty", 0, 10}, {"one", 1, 1}, {"dense", 500, 40}, {"sparse", 2000, 1 << 20}} {
		t.Run(tc.name, func(t *testing.T) {
			want := randomRecords(rng, tc.n, tc.vocab)
			info, err := writeRun(dir, rng.IntN(1e6), tc.vocab, &bufSource{recs: want})
			if err != nil {
				t.Fatal(err)
			}
			if info.records != int64(tc.n) {
				t.Errorf("records = %d, want %d", info.records, tc.n)
			}
			got, err := readRun(t, info, tc.vocab)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("read back %d records, differing from the %d written", len(got), len(want))
			}
		})
	}
}

// TestRunCorrupt damages a run file in every way a byte can and checks
// that reading it either fails or yields in-range, increasing records.
func TestRunCorrupt(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const vocab = 50
	dir := t.TempDir()
	info, err := writeRun(dir, 0, vocab, &bufSource{recs: randomRecords(rng, 40, vocab)})
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(info.path)
	if err != nil {
		t.Fatal(err)
	}
	bad := runInfo{path: filepath.Join(dir, "bad"), records: info.records}
	check := func(data []byte) {
		if err := os.WriteFile(bad.path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readRun(t, bad, vocab)
		if err != nil {
			return
		}
		for k, r := range got {
			i, j := splitKey(r.key)
			if i > j || j >= vocab || r.n == 0 || k > 0 && r.key <= got[k-1].key {
				t.Fatalf("damaged file read without error as record %d = (%d, %d, %d)", k, i, j, r.n)
			}
		}
	}
	for cut := range len(orig) {
		check(orig[:cut])
	}
	for pos := range orig {
		for _, b := range []byte{0, 1, 0x7f, 0x80, 0xff, orig[pos] ^ 0x10} {
			data := slices.Clone(orig)
			data[pos] = b
			check(data)
		}
	}
}

func FuzzRunReader(f *testing.F) {
	dir := f.TempDir()
	rng := rand.New(rand.NewPCG(3, 3))
	info, err := writeRun(dir, 0, 30, &bufSource{recs: randomRecords(rng, 20, 30)})
	if err != nil {
		f.Fatal(err)
	}
	orig, err := os.ReadFile(info.path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(orig, int64(20))
	f.Add([]byte{0, 0, 1, 0, 0, 1}, int64(2))
	f.Fuzz(func(t *testing.T, data []byte, records int64) {
		path := filepath.Join(t.TempDir(), "run")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := openRun(runInfo{path: path, records: records}, 30)
		if err != nil {
			t.Fatal(err)
		}
		defer r.close()
		prev := uint64(0)
		for k := 0; r.next(); k++ {
			key, n := r.cur()
			if i, j := splitKey(key); i > j || j >= 30 || n == 0 || k > 0 && key <= prev {
				t.Fatalf("record %d = (%d, %d, %d) accepted", k, i, j, n)
			}
			prev = key
		}
	})
}
