package query

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/datadriven"
	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
)

// planFixture is an in-memory collection with an IVF index.
type planFixture struct {
	vecs  [][]float32
	flat  *Flat
	ix    *IVF
	lists []int // the list of each doc
	m     quant.Metric
}

func newPlanFixture(t *testing.T, n, dim, nlist, m int, seed uint64, metric quant.Metric) *planFixture {
	t.Helper()
	f := &planFixture{vecs: vectest.Clustered(seed, n, dim, nlist/2, 0.5), flat: NewFlat(dim), m: metric}
	sample := make([]float32, 0, n*dim)
	for i, v := range f.vecs {
		if metric == quant.Cosine {
			quant.Normalize(v)
		}
		f.flat.Set(uint32(i), v)
		sample = append(sample, v...)
	}
	f.flat.Publish(uint32(n))
	ivf, err := index.Train(context.Background(), sample, dim, metric, index.TrainOptions{NList: nlist, M: m, Seed: seed, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	lists := ivf.NewLists()
	scratch := make([]float32, 2*dim)
	for i, v := range f.vecs {
		l, _ := ivf.Assign(v)
		f.lists = append(f.lists, l)
		lists.Append(l, []uint32{uint32(i)}, ivf.Encode(nil, v, l, scratch))
	}
	f.ix = &IVF{IVF: ivf, Lists: lists, Count: n}
	return f
}

// allow parses an allow-set spec: all, mod=N (docs divisible by N:
// uncorrelated), below=N (docs below N), lists=A+B+... (exactly the docs of
// those lists: correlated with the index), far=N (the docs outside the N
// lists closest to q: anti-correlated with the query), none.
func (f *planFixture) allow(spec string, q []float32) (*roaring.Bitmap, error) {
	b := roaring.New()
	name, arg, _ := strings.Cut(spec, "=")
	x, _ := strconv.Atoi(arg)
	var near []int
	if name == "far" {
		near = f.ix.IVF.Probe(q, x, nil)
	}
	for i := range f.vecs {
		var ok bool
		switch name {
		case "all":
			ok = true
		case "none":
		case "mod":
			ok = i%x == 0
		case "below":
			ok = i < x
		case "lists":
			ok = slices.Contains(strings.Split(arg, "+"), strconv.Itoa(f.lists[i]))
		case "far":
			ok = !slices.Contains(near, f.lists[i])
		default:
			return nil, errors.Newf("unknown allow spec %q", spec)
		}
		if ok {
			b.Add(uint32(i))
		}
	}
	return b, nil
}

// TestPlanDataDriven runs testdata/plan. Commands:
//
//	build n= dim= lists= m= seed= [metric=]   a clustered collection and its index
//	plan query= k= nprobe= [refine=] [allow=] [postfilter]
//	                 the plan chosen for doc query's vector, its counts, and
//	                 the result count and recall@k against exact search
func TestPlanDataDriven(t *testing.T) {
	var f *planFixture
	datadriven.RunTest(t, "testdata/plan", func(t *testing.T, d *datadriven.TestData) string {
		args := map[string]string{}
		for _, a := range d.CmdArgs {
			args[a.Key] = ""
			if len(a.Vals) > 0 {
				args[a.Key] = a.Vals[0]
			}
		}
		num := func(key string, def int) int {
			v, ok := args[key]
			if !ok {
				return def
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				d.Fatalf(t, "%s=%s: %v", key, v, err)
			}
			return n
		}
		switch d.Cmd {
		case "build":
			m, err := quant.ParseMetric(cmp.Or(args["metric"], "l2"))
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			f = newPlanFixture(t, num("n", 4000), num("dim", 8), num("lists", 16), num("m", 4), uint64(num("seed", 1)), m)
			sizes := f.ix.Lists.(*index.Lists).Sizes()
			return fmt.Sprintf("%d records, %d lists of %d to %d codes", len(f.vecs), len(sizes), slices.Min(sizes), slices.Max(sizes))
		case "plan":
			q := f.vecs[num("query", 0)]
			allow, err := f.allow(cmp.Or(args["allow"], "all"), q)
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			p := Params{K: num("k", 10), NProbe: num("nprobe", 2), Refine: num("refine", 10), Total: uint64(len(f.vecs))}
			_, p.PostFilter = args["postfilter"]
			hits, plan, err := Search(f.flat.View(), f.ix, f.m, q, p, allow, nil)
			if err != nil {
				return "error: " + err.Error()
			}
			truth := mustExact(t, f.flat.View(), f.m, q, p.K, allow)
			found := 0
			for _, h := range hits {
				if slices.ContainsFunc(truth, func(x Hit) bool { return x.Doc == h.Doc }) {
					found++
				}
			}
			var b strings.Builder
			fmt.Fprintf(&b, "strategy: %s (%s)\n", plan.Strategy, plan.Reason)
			fmt.Fprintf(&b, "candidates %d, selectivity %.3f, nprobe %d, budget %d\n", plan.Candidates, plan.Selectivity, plan.NProbe, plan.Budget)
			if plan.Strategy != "exact" {
				fmt.Fprintf(&b, "lists probed %d, skipped %d; codes scored %d (%d allowed", plan.ListsProbed, plan.ListsSkipped, plan.CodesScored, plan.AllowedScored)
				if plan.Rejected > 0 {
					fmt.Fprintf(&b, ", %d refused", plan.Rejected)
				}
				fmt.Fprintf(&b, "); re-ranked %d\n", plan.Reranked)
			} else {
				fmt.Fprintf(&b, "rows scanned %d\n", plan.Reranked)
			}
			fmt.Fprintf(&b, "results %d, recall %d/%d\n", len(hits), found, len(truth))
			return b.String()
		}
		d.Fatalf(t, "unknown command %s", d.Cmd)
		return ""
	})
}

// TestPlanRandom compares planned searches with exact filtered search over
// random filters (uncorrelated, prefix, correlated with the lists,
// anti-correlated with the query, and their intersections), k and nprobe
// (1 to 8 of 32 lists). Half the searches are planned, half forced to
// probe whatever the cost model says (at this size it mostly prefers exact
// scans), so that every probing path meets the bars: every search returns
// exactly min(k, matches) results; mean recall@k per seed is >= 0.95 for
// the filters that leave the query among allowed records; and for filters
// that exclude the lists nearest the query (far=N), whose matches lie
// outside the query's cells, it is within 0.05 of what the same k and
// nprobe give an unfiltered search.
func TestPlanRandom(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runPlanRandom(t, seed) })
	}
}

// recallOf returns the share of truth that hits holds (1 when truth is
// empty).
func recallOf(hits, truth []Hit) float64 {
	if len(truth) == 0 {
		return 1
	}
	found := 0
	for _, h := range hits {
		if slices.ContainsFunc(truth, func(x Hit) bool { return x.Doc == h.Doc }) {
			found++
		}
	}
	return float64(found) / float64(len(truth))
}

func runPlanRandom(t *testing.T, seed uint64) {
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	metric := []quant.Metric{quant.L2, quant.Cosine, quant.Dot}[seed%3]
	f := newPlanFixture(t, 3000, 16, 32, 8, seed, metric)
	all := roaring.New()
	all.AddRange(0, uint64(len(f.vecs)))
	randSpec := func() string {
		switch r.IntN(4) {
		case 0:
			return fmt.Sprintf("mod=%d", 1+r.IntN(200))
		case 1:
			return fmt.Sprintf("below=%d", r.IntN(3000))
		case 2:
			return fmt.Sprintf("far=%d", 1+r.IntN(16))
		default:
			var ls []string
			for range 1 + r.IntN(6) {
				ls = append(ls, strconv.Itoa(r.IntN(32)))
			}
			return "lists=" + strings.Join(ls, "+")
		}
	}
	// Mean recall per kind of filter (near, far) and plan (planned,
	// forced), and of the unfiltered search with the far trials' knobs.
	type mean struct {
		sum float64
		n   int
	}
	var rec [2][2]mean
	var unfiltered mean
	const trials = 300
	for i := range trials {
		q := f.vecs[r.IntN(len(f.vecs))]
		spec := randSpec()
		allow, err := f.allow(spec, q)
		if err != nil {
			t.Fatal(err)
		}
		if r.IntN(3) == 0 {
			other := randSpec()
			and, err := f.allow(other, q)
			if err != nil {
				t.Fatal(err)
			}
			allow.And(and)
			spec += " AND " + other
		}
		forced := i%2 == 1
		p := Params{K: 1 + r.IntN(20), NProbe: 1 + r.IntN(8), Refine: 1 + r.IntN(10), Total: uint64(len(f.vecs)), forceProbe: forced}
		hits, plan, err := Search(f.flat.View(), f.ix, f.m, q, p, allow, nil)
		if err != nil {
			t.Fatal(err)
		}
		truth := mustExact(t, f.flat.View(), f.m, q, p.K, allow)
		if len(hits) != len(truth) {
			t.Fatalf("trial %d (%s): %d results, %d match (plan %+v)", i, spec, len(hits), len(truth), plan)
		}
		far := 0
		if strings.Contains(spec, "far=") {
			far = 1
			p.forceProbe = false
			uhits, _, err := Search(f.flat.View(), f.ix, f.m, q, p, all, nil)
			if err != nil {
				t.Fatal(err)
			}
			unfiltered.sum += recallOf(uhits, mustExact(t, f.flat.View(), f.m, q, p.K, all))
			unfiltered.n++
		}
		if far == 1 && testing.Verbose() {
			t.Logf("far trial: k %d nprobe %d lists %d+%d recall %.2f %s", p.K, p.NProbe, plan.ListsProbed, plan.ListsSkipped, recallOf(hits, truth), plan.Strategy)
		}
		m := &rec[far][i%2]
		m.sum += recallOf(hits, truth)
		m.n++
	}
	u := unfiltered.sum / float64(unfiltered.n)
	for far, kind := range []string{"near", "far"} {
		for j, plan := range []string{"planned", "forced to probe"} {
			m := rec[far][j]
			got := m.sum / float64(m.n)
			want := 0.95
			if far == 1 {
				want = u - 0.05
			}
			t.Logf("%s filters, %s: mean recall %.3f over %d searches (want >= %.3f)", kind, plan, got, m.n, want)
			if got < want {
				t.Errorf("%s filters, %s: mean recall %.3f < %.3f", kind, plan, got, want)
			}
		}
	}
	t.Logf("unfiltered searches with the far trials' k and nprobe: mean recall %.3f", u)
}

// mustExact is Exact with no skip, failing the test on an error.
func mustExact(t testing.TB, rows Rows, m quant.Metric, q []float32, k int, allow *roaring.Bitmap) []Hit {
	t.Helper()
	hits, err := Exact(rows, m, q, k, allow, nil)
	if err != nil {
		t.Fatal(err)
	}
	return hits
}
