package recsys

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func nan() float64 { return math.NaN() }

// planted returns interactions with group structure: users and items are
// split into groups; every user has all the items of its group (weights 1
// to 5) and each item of another group with probability noise.
func planted(t testing.TB, seed uint64, groups, usersPerGroup, itemsPerGroup int, noise float64) *Interactions {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	b := NewBuilder(nil)
	nItems := groups * itemsPerGroup
	for g := range groups {
		for u := range usersPerGroup {
			user := fmt.Sprintf("g%d-u%d", g, u)
			for i := range nItems {
				if i/itemsPerGroup != g && rng.Float64() >= noise {
					continue
				}
				if err := b.Add(user, fmt.Sprintf("i%d", i), float64(1+rng.IntN(5)), int64(rng.IntN(1000))); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return b.Build()
}

// itemGroup returns the group of an item of [planted].
func itemGroup(in *Interactions, i int, itemsPerGroup int) int {
	var n int
	if _, err := fmt.Sscanf(in.Items[i], "i%d", &n); err != nil {
		panic(err)
	}
	return n / itemsPerGroup
}

// relErr returns ‖a − b‖ / ‖b‖.
func relErr(a, b []float32) float64 {
	var d, n float64
	for k := range a {
		d += (float64(a[k]) - float64(b[k])) * (float64(a[k]) - float64(b[k]))
		n += float64(b[k]) * float64(b[k])
	}
	return math.Sqrt(d / n)
}
