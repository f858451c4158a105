package db

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestRandomFilters applies random upserts and deletes (with reopens) and
// then checks that filtered searches return exactly the records a
// brute-force evaluation of the filter over the model selects, ranked by
// exact distance.
func TestRandomFilters(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if !testing.Short() {
		seeds = append(seeds, uint64(time.Now().UnixNano()))
	}
	for _, limit := range []int{maxRangeKeys, 0} {
		// limit 0 sends every numeric range through the bit-sliced index.
		defer func(old int) { maxRangeKeys = old }(maxRangeKeys)
		maxRangeKeys = limit
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("rangekeys=%d/seed=%d", limit, seed), func(t *testing.T) { runFilterRandom(t, seed) })
		}
	}
}

type modelRec struct {
	vec  []float32
	meta Meta
}

var (
	colors = []string{"red", "green", "blue", "x y"}
	tagSet = []string{"a", "b", "c", "d"}
)

func randMeta(r *rand.Rand) Meta {
	m := Meta{}
	if r.IntN(4) > 0 {
		m["color"] = colors[r.IntN(len(colors))]
	}
	if r.IntN(3) > 0 {
		var tags []string
		for _, t := range tagSet {
			if r.IntN(3) == 0 {
				tags = append(tags, t)
			}
		}
		m["tags"] = tags
	}
	if r.IntN(4) > 0 {
		m["year"] = int64(1990 + r.IntN(20))
	}
	if r.IntN(4) > 0 {
		m["price"] = float64(r.IntN(40)-10) / 4
	}
	if r.IntN(3) > 0 {
		m["sold"] = r.IntN(2) == 0
	}
	return m
}

// randPred returns a filter predicate and its Go evaluation.
func randPred(r *rand.Rand) (string, func(Meta) bool) {
	switch r.IntN(9) {
	case 0:
		c := colors[r.IntN(len(colors))]
		return fmt.Sprintf("color = %q", c), func(m Meta) bool { return m["color"] == c }
	case 1:
		c := colors[r.IntN(len(colors))]
		return fmt.Sprintf("color != %q", c), func(m Meta) bool { v, ok := m["color"]; return ok && v != c }
	case 2:
		a, b := tagSet[r.IntN(4)], tagSet[r.IntN(4)]
		return fmt.Sprintf("tags IN (%q, %q)", a, b), func(m Meta) bool {
			ts, _ := m["tags"].([]string)
			return slices.Contains(ts, a) || slices.Contains(ts, b)
		}
	case 3:
		y := int64(1990 + r.IntN(20))
		return fmt.Sprintf("year >= %d", y), func(m Meta) bool { v, ok := m["year"].(int64); return ok && v >= y }
	case 4:
		lo, hi := int64(1990+r.IntN(20)), int64(1990+r.IntN(20))
		return fmt.Sprintf("year BETWEEN %d AND %d", lo, hi), func(m Meta) bool {
			v, ok := m["year"].(int64)
			return ok && v >= lo && v <= hi
		}
	case 5:
		p := float64(r.IntN(40)-10) / 4
		return fmt.Sprintf("price < %g", p), func(m Meta) bool { v, ok := m["price"].(float64); return ok && v < p }
	case 6:
		b := r.IntN(2) == 0
		return fmt.Sprintf("sold = %t", b), func(m Meta) bool { v, ok := m["sold"].(bool); return ok && v == b }
	case 7:
		f := []string{"color", "tags", "year", "price", "sold"}[r.IntN(5)]
		return "EXISTS " + f, func(m Meta) bool { _, ok := m[f]; return ok }
	default:
		p := float64(r.IntN(40)-10) / 4
		return fmt.Sprintf("price > %g", p), func(m Meta) bool { v, ok := m["price"].(float64); return ok && v > p }
	}
}

func randFilter(r *rand.Rand, depth int) (string, func(Meta) bool) {
	if depth == 0 || r.IntN(3) == 0 {
		return randPred(r)
	}
	a, fa := randFilter(r, depth-1)
	switch r.IntN(3) {
	case 0:
		b, fb := randFilter(r, depth-1)
		return "(" + a + " AND " + b + ")", func(m Meta) bool { return fa(m) && fb(m) }
	case 1:
		b, fb := randFilter(r, depth-1)
		return "(" + a + " OR " + b + ")", func(m Meta) bool { return fa(m) || fb(m) }
	default:
		return "NOT (" + a + ")", func(m Meta) bool { return !fa(m) }
	}
}

func runFilterRandom(t *testing.T, seed uint64) {
	t.Logf("seed %d (replay with runFilterRandom(t, %d))", seed, seed)
	r := rand.New(rand.NewPCG(seed, 7))
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	mustCreate(t, d, Schema{Name: "docs", Dim: 4, Metric: L2, Fields: testSchema.Fields})
	model := map[string]modelRec{}
	order := map[string]int{} // insertion order of the current version
	seq := 0
	for round := range 6 {
		b := d.NewBatch()
		for range 1 + r.IntN(80) {
			id := "r" + strconv.Itoa(r.IntN(150))
			if r.IntN(5) == 0 {
				if err := b.Delete("docs", id); err != nil {
					t.Fatal(err)
				}
				delete(model, id)
				continue
			}
			vec := []float32{float32(r.IntN(5)), float32(r.IntN(5)), float32(r.IntN(5)), float32(r.IntN(5))}
			meta := randMeta(r)
			if err := b.Put("docs", id, vec, meta); err != nil {
				t.Fatal(err)
			}
			old, had := model[id]
			if !had || !slices.Equal(old.vec, vec) || !metaEqual(normMeta(old.meta), normMeta(meta)) {
				order[id] = seq
				seq++
			}
			model[id] = modelRec{vec, meta}
		}
		if err := d.Apply(b, nil); err != nil {
			t.Fatal(err)
		}
		if round%2 == 1 {
			if err := d.Check(); err != nil {
				t.Fatal(err)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			d = openTestDBAt(t, dir, nil)
		}
	}
	if n, err := d.Count("docs"); err != nil || n != uint64(len(model)) {
		t.Fatalf("Count = %d, %v; model has %d", n, err, len(model))
	}
	ctx := context.Background()
	for range 200 {
		expr, pred := randFilter(r, 3)
		q := []float32{float32(r.IntN(5)), float32(r.IntN(5)), float32(r.IntN(5)), float32(r.IntN(5))}
		k := 1 + r.IntN(20)
		res, err := d.Search(ctx, "docs", &SearchRequest{Vector: q, K: k, Filter: expr})
		if err != nil {
			t.Fatalf("filter %s: %v", expr, err)
		}
		var want []string
		for id, rec := range model {
			if pred(normMeta(rec.meta)) {
				want = append(want, id)
			}
		}
		dist := func(id string) float32 {
			var s float32
			for i, x := range model[id].vec {
				s += (x - q[i]) * (x - q[i])
			}
			return s
		}
		slices.SortFunc(want, func(a, b string) int {
			if da, db := dist(a), dist(b); da != db {
				if da < db {
					return -1
				}
				return 1
			}
			return order[a] - order[b]
		})
		if len(want) > k {
			want = want[:k]
		}
		if got := ids(res); !slices.Equal(got, want) {
			t.Fatalf("seed %d: filter %s k=%d:\n got %v\nwant %v", seed, expr, k, got, want)
		}
	}
}

// normMeta converts a model record's metadata to the types Get returns.
func normMeta(m Meta) Meta {
	out := Meta{}
	for k, v := range m {
		if ts, ok := v.([]string); ok {
			if len(ts) == 0 {
				continue
			}
			ts = slices.Clone(ts)
			slices.Sort(ts)
			v = ts
		}
		out[k] = v
	}
	return out
}
