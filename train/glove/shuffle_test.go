package glove

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func trecCompare(a, b trec) int {
	if c := cmp.Compare(a.i, b.i); c != 0 {
		return c
	}
	if c := cmp.Compare(a.j, b.j); c != 0 {
		return c
	}
	return cmp.Compare(a.logX, b.logX)
}

// allRecords reads every record of ts.
func allRecords(t *testing.T, ts *trainSet) []trec {
	t.Helper()
	out := make([]trec, ts.n)
	got, _, err := ts.read(0, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(got)
}

// TestTrainingSet checks that the in-memory and the file shuffles hold the
// same records, both orders of each pair, and that they are shuffled.
func TestTrainingSet(t *testing.T) {
	c := stringCorpus(zipfCorpus(6, 200, 10, 300))
	v := buildVocab(t, c)
	ctx := context.Background()
	var sets [][]trec
	for _, mem := range []int64{DefaultMemoryBytes, MinMemoryBytes} {
		dir := t.TempDir()
		o, err := prepare(Options{Window: 4, MemoryBytes: mem, TempDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		co, err := Count(ctx, c, v, o)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := co.trainingSet(ctx, &o, rand.New(rand.NewPCG(1, 1)), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if (ts.f != nil) != (mem == MinMemoryBytes) {
			t.Errorf("budget %d: records on disk = %v", mem, ts.f != nil)
		}
		recs := allRecords(t, ts)
		if slices.IsSortedFunc(recs, trecCompare) {
			t.Errorf("budget %d: records are not shuffled", mem)
		}
		slices.SortFunc(recs, trecCompare)
		sets = append(sets, recs)
		if err := ts.close(); err != nil {
			t.Fatal(err)
		}
		var want []trec
		for _, r := range records(t, co) {
			lx := float32(math.Log(r.X))
			want = append(want, trec{uint32(r.I), uint32(r.J), lx})
			if r.I != r.J {
				want = append(want, trec{uint32(r.J), uint32(r.I), lx})
			}
		}
		slices.SortFunc(want, trecCompare)
		if !slices.Equal(recs, want) {
			t.Errorf("budget %d: %d training records, want %d", mem, len(recs), len(want))
		}
		if err := co.Close(); err != nil {
			t.Fatal(err)
		}
		assertEmptyDir(t, dir)
	}
}
