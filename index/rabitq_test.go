package index

import (
	"math"
	"testing"

	"github.com/vecdb/vecdb/quant"
)

// TestProbeAllRaBitQ: with RaBitQ codes, probing every list scores every
// code close to its exact distance (8 bits: within a small fraction of
// the distances' spread), and the codes alone find the true nearest
// neighbours, for every metric.
func TestProbeAllRaBitQ(t *testing.T) {
	for _, metric := range []quant.Metric{quant.L2, quant.Dot, quant.Cosine} {
		for _, bits := range []int{1, 4, 8} {
			const n, dim, nlist = 2000, 32, 16
			ivf, lists, data := trainTestBits(t, metric, quant.KindRaBitQ, bits, n, dim, nlist)
			if ivf.Blocked() == nil || ivf.HasTerms() {
				t.Fatal("a rabitq index is not blocked, or has terms")
			}
			var sumErr, spread float64
			hits, total := 0, 0
			for qi := 0; qi < 20; qi++ {
				q := data[qi*37]
				got, st, err := ivf.Search(q, lists, SearchParams{NProbe: nlist, KC: n})
				if err != nil || st.CodesScored != n || len(got) != n {
					t.Fatalf("scored %d codes, returned %d (%v); want %d", st.CodesScored, len(got), err, n)
				}
				exact := make([]float64, n)
				var lo, hi float64 = math.Inf(1), math.Inf(-1)
				for i, v := range data {
					exact[i] = float64(quant.Distance(metric, q, v))
					lo, hi = min(lo, exact[i]), max(hi, exact[i])
				}
				spread += hi - lo
				for _, h := range got {
					e := float64(h.Distance) - exact[h.Doc]
					sumErr += e * e
				}
				truth := exactTop(exact, 10)
				for _, h := range got[:10] {
					if truth[int(h.Doc)] {
						hits++
					}
				}
				total += 10
			}
			if bits > 1 {
				checkRaBitQExhaustive(t, ivf, lists, data[5], metric)
			}
			rmse := math.Sqrt(sumErr/float64(20*n)) / (spread / 20)
			recall := float64(hits) / float64(total)
			t.Logf("%v bits %d: rmse %.4f of the spread, recall@10 %.3f", metric, bits, rmse, recall)
			want := map[int]float64{1: 0.35, 4: 0.85, 8: 0.97}[bits]
			if recall < want {
				t.Errorf("%v bits %d: recall@10 %.3f from the codes, want at least %.2f", metric, bits, recall, want)
			}
		}
	}
}

func exactTop(d []float64, k int) map[int]bool {
	idx := make([]int, len(d))
	for i := range idx {
		idx[i] = i
	}
	for i := range k {
		for j := i + 1; j < len(idx); j++ {
			if d[idx[j]] < d[idx[i]] {
				idx[i], idx[j] = idx[j], idx[i]
			}
		}
	}
	top := map[int]bool{}
	for _, i := range idx[:k] {
		top[i] = true
	}
	return top
}

// TestRaBitQWide: above 1,024 dimensions (wider tables, scanned 256
// nibbles at a time) the codes alone still find the true neighbours.
func TestRaBitQWide(t *testing.T) {
	const n, dim, nlist = 600, 1100, 4
	ivf, lists, data := trainTestBits(t, quant.L2, quant.KindRaBitQ, 5, n, dim, nlist)
	hits, total := 0, 0
	for qi := 0; qi < 10; qi++ {
		q := data[qi*31]
		got, _, err := ivf.Search(q, lists, SearchParams{NProbe: nlist, KC: 10})
		if err != nil {
			t.Fatal(err)
		}
		exact := make([]float64, n)
		for i, v := range data {
			exact[i] = float64(quant.Distance(quant.L2, q, v))
		}
		truth := exactTop(exact, 10)
		for _, h := range got {
			if truth[int(h.Doc)] {
				hits++
			}
		}
		total += 10
	}
	if r := float64(hits) / float64(total); r < 0.9 {
		t.Errorf("recall@10 %.3f from 5-bit codes of %d dimensions", r, dim)
	}
}

// checkRaBitQExhaustive: probing every list gives every code the distance
// an exhaustive scan of the unpacked codes gives, list by list, with an
// estimator set to the query's residual (L2) or the query (else).
func checkRaBitQExhaustive(t *testing.T, ivf *IVF, lists *Lists, q []float32, metric quant.Metric) {
	t.Helper()
	n := 0
	for l := range ivf.NList {
		n += len(lists.List(l).Docs)
	}
	got, _, err := ivf.Search(q, lists, SearchParams{NProbe: ivf.NList, KC: n})
	if err != nil || len(got) != n {
		t.Fatalf("%d hits (%v), want %d", len(got), err, n)
	}
	byDoc := map[uint32]float32{}
	for _, h := range got {
		byDoc[h.Doc] = h.Distance
	}
	est := ivf.Codec.NewEstimator()
	cs := ivf.CodeSize()
	var lo, hi float32 = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, d := range byDoc {
		lo, hi = min(lo, d), max(hi, d)
	}
	for l := range ivf.NList {
		list := lists.List(l)
		codes, err := ivf.Blocked().Unpack(nil, list.Codes, len(list.Docs))
		if err != nil {
			t.Fatal(err)
		}
		c := ivf.centroid(l)
		var bias float32
		if metric == quant.L2 {
			r := make([]float32, len(q))
			for j := range r {
				r[j] = q[j] - c[j]
			}
			est.SetL2(r)
			bias = quant.L2SquaredRef(q, c)
		} else {
			est.SetDot(q, -1)
			bias = -quant.DotProduct(q, c)
			if metric == quant.Cosine {
				bias++
			}
		}
		want := make([]float32, len(list.Docs))
		est.Scan(codes[:len(list.Docs)*cs], bias, want)
		for i, doc := range list.Docs {
			if d := byDoc[doc]; math.Abs(float64(d-want[i])) > 1e-3*float64(hi-lo) {
				t.Fatalf("%v list %d doc %d: search %v, exhaustive scan %v", metric, l, doc, d, want[i])
			}
		}
	}
}
