package glove

import (
	"cmp"
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cockroachdb/errors"
)

func TestMerger(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, nsrc := range []int{0, 1, 2, 5, 70} {
		sum := make(map[uint64]uint64)
		var srcs []source
		for range nsrc {
			recs := randomRecords(rng, rng.IntN(200), 30)
			for _, r := range recs {
				sum[r.key] += r.n
			}
			srcs = append(srcs, &bufSource{recs: recs})
		}
		var want []pairRec
		for _, k := range slices.Sorted(maps.Keys(sum)) {
			want = append(want, pairRec{k, sum[k]})
		}
		m := newMerger(srcs)
		var got []pairRec
		for m.next() {
			k, n := m.cur()
			got = append(got, pairRec{k, n})
		}
		if err := errors.CombineErrors(m.err(), m.close()); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("merging %d sources gave %d records, want %d", nsrc, len(got), len(want))
		}
	}
}

func TestDenseSource(t *testing.T) {
	// A table with every pair dense: the source lists the non-zero cells
	// in key order.
	co := newCooccurrences(20, 3, 1<<20, t.TempDir())
	want := map[uint64]uint64{}
	rng := rand.New(rand.NewPCG(5, 5))
	for range 50 {
		i, j := uint32(rng.IntN(20)), uint32(rng.IntN(20))
		if err := co.add(i, j, 6); err != nil {
			t.Fatal(err)
		}
		n := uint64(6)
		if i == j {
			n = 12
		}
		want[pairKey(min(i, j), max(i, j))] += n
	}
	if len(co.buf) != 0 {
		t.Fatalf("%d pairs went to the buffer of a table that holds all pairs", len(co.buf))
	}
	s := newDenseSource(co)
	var keys []uint64
	for s.next() {
		k, n := s.cur()
		keys = append(keys, k)
		if want[k] != n {
			t.Errorf("cell %x = %d, want %d", k, n, want[k])
		}
	}
	if !slices.IsSortedFunc(keys, cmp.Compare) || len(keys) != len(want) {
		t.Errorf("dense source gave %d keys (sorted %v), want %d", len(keys), slices.IsSorted(keys), len(want))
	}
}

func TestCtxSource(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	recs := make([]pairRec, 1<<17)
	for k := range recs {
		recs[k] = pairRec{key: uint64(k), n: 1}
	}
	s := &ctxSource{source: &bufSource{recs: recs}, ctx: ctx}
	n := 0
	for s.next() {
		n++
	}
	if !errors.Is(s.err(), context.Canceled) || n >= len(recs) {
		t.Errorf("cancelled source read %d of %d records, err %v", n, len(recs), s.err())
	}
}
