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
// those lists: correlated with the index), none.
func (f *planFixture) allow(spec string) (*roaring.Bitmap, error) {
	b := roaring.New()
	name, arg, _ := strings.Cut(spec, "=")
	x, _ := strconv.Atoi(arg)
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
		default:
			return nil, fmt.Errorf("unknown allow spec %q", spec)
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
			allow, err := f.allow(cmp.Or(args["allow"], "all"))
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			q := f.vecs[num("query", 0)]
			p := Params{K: num("k", 10), NProbe: num("nprobe", 2), Refine: num("refine", 10), Total: uint64(len(f.vecs))}
			_, p.PostFilter = args["postfilter"]
			hits, plan, err := Search(f.flat.View(), f.ix, f.m, q, p, allow, nil)
			if err != nil {
				return "error: " + err.Error()
			}
			truth := Exact(f.flat.View(), f.m, q, p.K, allow, nil)
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
				fmt.Fprintf(&b, "lists probed %d, skipped %d; codes scored %d (%d allowed); re-ranked %d\n",
					plan.ListsProbed, plan.ListsSkipped, plan.CodesScored, plan.AllowedScored, plan.Reranked)
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
// random filters (uncorrelated, prefix, correlated with the lists, and
// their intersections), k and nprobe: every search returns exactly
// min(k, matches) results, and mean recall@k per seed is >= 0.95.
func TestPlanRandom(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runPlanRandom(t, seed) })
	}
}

func runPlanRandom(t *testing.T, seed uint64) {
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	metric := []quant.Metric{quant.L2, quant.Cosine, quant.Dot}[seed%3]
	f := newPlanFixture(t, 3000, 16, 32, 8, seed, metric)
	randSpec := func() string {
		switch r.IntN(3) {
		case 0:
			return fmt.Sprintf("mod=%d", 1+r.IntN(200))
		case 1:
			return fmt.Sprintf("below=%d", r.IntN(3000))
		default:
			var ls []string
			for range 1 + r.IntN(6) {
				ls = append(ls, strconv.Itoa(r.IntN(32)))
			}
			return "lists=" + strings.Join(ls, "+")
		}
	}
	var sum float64
	const trials = 150
	for i := range trials {
		allow, err := f.allow(randSpec())
		if err != nil {
			t.Fatal(err)
		}
		if r.IntN(3) == 0 {
			other, err := f.allow(randSpec())
			if err != nil {
				t.Fatal(err)
			}
			allow.And(other)
		}
		q := f.vecs[r.IntN(len(f.vecs))]
		p := Params{K: 1 + r.IntN(20), NProbe: 1 + r.IntN(8), Refine: 1 + r.IntN(10), Total: uint64(len(f.vecs))}
		hits, plan, err := Search(f.flat.View(), f.ix, f.m, q, p, allow, nil)
		if err != nil {
			t.Fatal(err)
		}
		truth := Exact(f.flat.View(), f.m, q, p.K, allow, nil)
		if len(hits) != len(truth) {
			t.Fatalf("trial %d: %d results, %d match (plan %+v)", i, len(hits), len(truth), plan)
		}
		found := 0
		for _, h := range hits {
			if slices.ContainsFunc(truth, func(x Hit) bool { return x.Doc == h.Doc }) {
				found++
			}
		}
		if len(truth) == 0 {
			sum++
		} else {
			sum += float64(found) / float64(len(truth))
		}
	}
	if rec := sum / trials; rec < 0.95 {
		t.Fatalf("mean recall %.3f < 0.95", rec)
	} else {
		t.Logf("mean recall %.3f over %d searches", rec, trials)
	}
}
