package recsys

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestSplitCounts(t *testing.T) {
	// Users with 3, 4, 5, 7, 10 and 23 items.
	sizes := []int{3, 4, 5, 7, 10, 23}
	b := NewBuilder(nil)
	for u, n := range sizes {
		for i := range n {
			if err := b.Add("u"+strconv.Itoa(u), "i"+strconv.Itoa(i), 1, int64(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	in := b.Build()
	for _, tc := range []struct {
		fraction float64
		want     []int // held-out per user
	}{
		{0.2, []int{0, 0, 1, 1, 2, 4}},  // floor(0.2n), at least 1, only n >= 5
		{0.1, []int{0, 0, 1, 1, 1, 2}},  // floor(0.5) = 0 -> 1
		{0.5, []int{0, 0, 2, 3, 5, 11}}, // floor(2.5) = 2, floor(3.5) = 3
		{0.99, []int{0, 0, 4, 6, 9, 22}},
	} {
		for _, mode := range []SplitMode{SplitRandom, SplitTime} {
			train, test, err := Split(in, tc.fraction, mode, 1)
			if err != nil {
				t.Fatal(err)
			}
			checkLayout(t, train)
			for u, n := range sizes {
				got := len(test[u])
				if got != tc.want[u] {
					t.Errorf("Split(%v, %v): user with %d items holds out %d, want %d", tc.fraction, mode, n, got, tc.want[u])
				}
				if tc.want[u] == 0 && test[u] != nil {
					t.Errorf("Split(%v, %v): user with %d items has non-nil test %v", tc.fraction, mode, n, test[u])
				}
				// Train and test partition the user's items.
				trainItems, _ := train.UserRow(u)
				all, _ := in.UserRow(u)
				merged := slices.Sorted(slices.Values(append(slices.Clone(trainItems), test[u]...)))
				if !slices.Equal(merged, all) {
					t.Errorf("Split(%v, %v): user %d train %v + test %v != %v", tc.fraction, mode, u, trainItems, test[u], all)
				}
				if !slices.IsSorted(test[u]) {
					t.Errorf("test[%d] = %v not sorted", u, test[u])
				}
			}
		}
	}
}

func TestSplitTime(t *testing.T) {
	// User a: timestamps make items z and w the latest; x and y tie at 5
	// with v, and the higher item index (first seen later) counts as later.
	input := "a x 1 5\na y 1 5\na z 1 9\na w 1 7\na v 1 5\na u 1 1\na t 1 2\na s 1 3\na r 1 4\na q 1 0\n"
	in, err := ReadInteractions(strings.NewReader(input), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 10 items, fraction 0.4: the 4 latest: z (9), w (7), then among x, y, v
	// at 5 the two with the highest index: v and y.
	_, test, err := Split(in, 0.4, SplitTime, 123)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range test[0] {
		got = append(got, in.Items[i])
	}
	slices.Sort(got)
	if want := []string{"v", "w", "y", "z"}; !slices.Equal(got, want) {
		t.Fatalf("time split held out %v, want %v", got, want)
	}
}

func TestSplitRandomSeed(t *testing.T) {
	in := planted(t, 1, 3, 20, 10, 0.1)
	_, a, err := Split(in, 0.3, SplitRandom, 7)
	if err != nil {
		t.Fatal(err)
	}
	_, b, _ := Split(in, 0.3, SplitRandom, 7)
	_, c, _ := Split(in, 0.3, SplitRandom, 8)
	same, differ := true, false
	for u := range a {
		same = same && slices.Equal(a[u], b[u])
		differ = differ || !slices.Equal(a[u], c[u])
	}
	if !same {
		t.Fatal("Split with the same seed gave different hold-outs")
	}
	if !differ {
		t.Fatal("Split with seeds 7 and 8 gave identical hold-outs for 60 users")
	}
}

func TestSplitErrors(t *testing.T) {
	in := planted(t, 1, 2, 2, 5, 0)
	for _, f := range []float64{0, 1, -0.5, 1.5, nan()} {
		if _, _, err := Split(in, f, SplitRandom, 1); err == nil {
			t.Errorf("Split(fraction %v) = nil error", f)
		}
	}
	if _, _, err := Split(in, 0.2, SplitMode(9), 1); err == nil {
		t.Error("Split(mode 9) = nil error")
	}
	if _, _, err := Split(nil, 0.2, SplitRandom, 1); err == nil {
		t.Error("Split(nil) = nil error")
	}
	for _, tc := range []struct {
		s    string
		want SplitMode
		ok   bool
	}{{"random", SplitRandom, true}, {"time", SplitTime, true}, {"Time", 0, false}} {
		got, err := ParseSplitMode(tc.s)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSplitMode(%q) = %v, %v", tc.s, got, err)
		}
		if tc.ok && got.String() != tc.s {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tc.s)
		}
	}
}
