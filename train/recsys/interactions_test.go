package recsys

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
)

// pairsOf lists in's pairs as "user item weight time" with external IDs, by
// user index then item index.
func pairsOf(in *Interactions) []string {
	var out []string
	for u := range in.Users {
		for pos := in.UserPtr[u]; pos < in.UserPtr[u+1]; pos++ {
			out = append(out, fmt.Sprintf("%s %s %g %d", in.Users[u], in.Items[in.UserItems[pos]],
				in.UserWeights[pos], in.UserTimes[pos]))
		}
	}
	return out
}

// checkLayout verifies the CSR invariants and that the by-item layout is
// the transpose of the by-user one.
func checkLayout(t testing.TB, in *Interactions) {
	t.Helper()
	if len(in.UserPtr) != in.NumUsers()+1 || len(in.ItemPtr) != in.NumItems()+1 {
		t.Fatalf("pointer lengths %d, %d for %d users, %d items", len(in.UserPtr), len(in.ItemPtr), in.NumUsers(), in.NumItems())
	}
	if in.UserPtr[in.NumUsers()] != in.Len() || in.ItemPtr[in.NumItems()] != in.Len() {
		t.Fatalf("pointers end at %d and %d, want %d", in.UserPtr[in.NumUsers()], in.ItemPtr[in.NumItems()], in.Len())
	}
	seen := map[[2]int32]float32{}
	for u := range in.Users {
		items, ws := in.UserRow(u)
		if !slices.IsSorted(items) || len(slices.Compact(slices.Clone(items))) != len(items) {
			t.Fatalf("user %d items %v not strictly increasing", u, items)
		}
		for k, i := range items {
			seen[[2]int32{int32(u), i}] = ws[k]
		}
	}
	for i := range in.Items {
		users, ws := in.ItemRow(i)
		if !slices.IsSorted(users) {
			t.Fatalf("item %d users %v not sorted", i, users)
		}
		for k, u := range users {
			w, ok := seen[[2]int32{u, int32(i)}]
			if !ok || w != ws[k] {
				t.Fatalf("item %d user %d weight %v not in by-user layout (%v, %v)", i, u, ws[k], w, ok)
			}
			delete(seen, [2]int32{u, int32(i)})
		}
	}
	if len(seen) != 0 {
		t.Fatalf("%d pairs missing from the by-item layout", len(seen))
	}
	for id, x := range in.UserIndex {
		if in.Users[x] != id {
			t.Fatalf("UserIndex[%q] = %d, Users[%d] = %q", id, x, x, in.Users[x])
		}
	}
	for id, x := range in.ItemIndex {
		if in.Items[x] != id {
			t.Fatalf("ItemIndex[%q] = %d, Items[%d] = %q", id, x, x, in.Items[x])
		}
	}
}

func TestReadInteractions(t *testing.T) {
	for _, tc := range []struct {
		name       string
		input      string
		skip       bool
		wantPairs  []string
		wantUsers  string // space-separated, first-seen order
		wantItems  string
		wantBad    int
		wantErr    string // substring; "" means success
		wantErrBad bool   // the error is marked ErrBadLine
	}{
		{name: "tabs 4 fields", input: "196\t242\t3\t881250949\n186\t302\t3\t891717742\n",
			wantPairs: []string{"196 242 3 881250949", "186 302 3 891717742"}, wantUsers: "196 186", wantItems: "242 302"},
		{name: "commas and spaces", input: "a,x,2.5,10\nb , y , 1 , 20\n",
			wantPairs: []string{"a x 2.5 10", "b y 1 20"}, wantUsers: "a b", wantItems: "x y"},
		{name: "CRLF", input: "a x 2 5\r\nb y\r\n",
			wantPairs: []string{"a x 2 5", "b y 1 0"}, wantUsers: "a b", wantItems: "x y"},
		{name: "2 and 3 fields", input: "a x\na y 4\n",
			wantPairs: []string{"a x 1 0", "a y 4 0"}, wantUsers: "a", wantItems: "x y"},
		{name: "duplicates summed, latest time", input: "a x 1 5\nb x\na x 2 3\na x 0.5 9\n",
			wantPairs: []string{"a x 3.5 9", "b x 1 0"}, wantUsers: "a b", wantItems: "x"},
		{name: "comments blanks BOM", input: "\xef\xbb\xbfa x\n\n   \n# user item\n  # indented comment\nb y 1\n",
			wantPairs: []string{"a x 1 0", "b y 1 0"}, wantUsers: "a b", wantItems: "x y"},
		{name: "items sorted by index within user", input: "u z\nv y\nu y\nu x\n",
			wantPairs: []string{"u z 1 0", "u y 1 0", "u x 1 0", "v y 1 0"}, wantUsers: "u v", wantItems: "z y x"},
		{name: "decimal timestamp", input: "a x 1 12.7\n",
			wantPairs: []string{"a x 1 12"}, wantUsers: "a", wantItems: "x"},
		{name: "zero weight", input: "a x 0\n",
			wantPairs: []string{"a x 0 0"}, wantUsers: "a", wantItems: "x"},
		{name: "no trailing newline", input: "a x 2",
			wantPairs: []string{"a x 2 0"}, wantUsers: "a", wantItems: "x"},
		{name: "empty input", input: "", wantUsers: "", wantItems: ""},
		{name: "one field", input: "a x\nb\n", wantErr: "line 2: 1 field(s)", wantErrBad: true},
		{name: "bad weight", input: "a x\n# c\nb y abc\n", wantErr: "line 3: weight \"abc\"", wantErrBad: true},
		{name: "NaN weight", input: "a x NaN\n", wantErr: "line 1: weight \"NaN\"", wantErrBad: true},
		{name: "negative weight", input: "a x -1\n", wantErr: "line 1: weight \"-1\"", wantErrBad: true},
		{name: "infinite weight", input: "a x inf\n", wantErr: "line 1: weight", wantErrBad: true},
		{name: "weight beyond float32", input: "a x 1e39\n", wantErr: "line 1: weight", wantErrBad: true},
		{name: "summed weights capped", input: "a x 3e38\na x 3e38\n",
			wantPairs: []string{"a x 3.4028235e+38 0"}, wantUsers: "a", wantItems: "x"},
		{name: "bad timestamp", input: "a x 1 yesterday\n", wantErr: "line 1: timestamp \"yesterday\"", wantErrBad: true},
		{name: "too many fields", input: "a x 1 2 3\n", wantErr: "line 1: more than 4 fields", wantErrBad: true},
		{name: "empty csv field", input: "a,,1\n", wantErr: "line 1: empty field", wantErrBad: true},
		{name: "header", input: "userId,movieId,rating,timestamp\n1,2,3,4\n", wantErr: "line 1: weight \"rating\"", wantErrBad: true},
		{name: "skip bad lines", input: "userId,movieId,rating,timestamp\n1,2,3,4\nx\n1,3,-2\n2,2,1,1,1\n2,3\n", skip: true,
			wantPairs: []string{"1 2 3 4", "2 3 1 0"}, wantUsers: "1 2", wantItems: "2 3", wantBad: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := ReadInteractions(strings.NewReader(tc.input), ReadOptions{SkipBadLines: tc.skip})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ReadInteractions(%q) error = %v, want %q", tc.input, err, tc.wantErr)
				}
				if errors.Is(err, ErrBadLine) != tc.wantErrBad {
					t.Fatalf("errors.Is(%v, ErrBadLine) = %v, want %v", err, !tc.wantErrBad, tc.wantErrBad)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadInteractions(%q): %v", tc.input, err)
			}
			checkLayout(t, in)
			if got := pairsOf(in); !slices.Equal(got, tc.wantPairs) {
				t.Errorf("pairs = %q, want %q", got, tc.wantPairs)
			}
			if got := strings.Join(in.Users, " "); got != tc.wantUsers {
				t.Errorf("users = %q, want %q", got, tc.wantUsers)
			}
			if got := strings.Join(in.Items, " "); got != tc.wantItems {
				t.Errorf("items = %q, want %q", got, tc.wantItems)
			}
			if in.BadLines != tc.wantBad {
				t.Errorf("BadLines = %d, want %d", in.BadLines, tc.wantBad)
			}
		})
	}
}

func TestReadInteractionsLongLine(t *testing.T) {
	input := "a x\n" + strings.Repeat("b", maxLineBytes+1) + " y\n"
	if _, err := ReadInteractions(strings.NewReader(input), ReadOptions{SkipBadLines: true}); err == nil ||
		!strings.Contains(err.Error(), "after line 1") {
		t.Fatalf("ReadInteractions(long line) error = %v, want one naming line 1", err)
	}
}

func TestBuilder(t *testing.T) {
	b := NewBuilder(nil)
	for _, p := range []struct {
		u, i string
		w    float64
		ts   int64
	}{{"u1", "i1", 1, 1}, {"u2", "i2", 2, 5}, {"u1", "i2", 1, 7}, {"u1", "i1", 2, 0}} {
		if err := b.Add(p.u, p.i, p.w, p.ts); err != nil {
			t.Fatal(err)
		}
	}
	in := b.Build()
	checkLayout(t, in)
	want := []string{"u1 i1 3 1", "u1 i2 1 7", "u2 i2 2 5"}
	if got := pairsOf(in); !slices.Equal(got, want) {
		t.Fatalf("pairs = %q, want %q", got, want)
	}
	// Adding after Build does not change the built value.
	if err := b.Add("u3", "i1", 1, 0); err != nil {
		t.Fatal(err)
	}
	if in.NumUsers() != 2 || len(in.UserIndex) != 2 {
		t.Fatalf("built value changed: %d users, %d in index", in.NumUsers(), len(in.UserIndex))
	}
	// A builder from a base keeps the base's indices and leaves it alone.
	b2 := NewBuilder(in)
	if err := b2.Add("new", "i2", 4, 3); err != nil {
		t.Fatal(err)
	}
	if err := b2.Add("u2", "i3", 1, 3); err != nil {
		t.Fatal(err)
	}
	in2 := b2.Build()
	checkLayout(t, in2)
	want2 := []string{"u1 i1 3 1", "u1 i2 1 7", "u2 i2 2 5", "u2 i3 1 3", "new i2 4 3"}
	if got := pairsOf(in2); !slices.Equal(got, want2) {
		t.Fatalf("pairs = %q, want %q", got, want2)
	}
	if in.NumItems() != 2 || in.Has(1, 2) {
		t.Fatalf("base changed: %d items", in.NumItems())
	}
	for _, bad := range []struct {
		u, i string
		w    float64
	}{{"", "x", 1}, {"x", "", 1}, {"x", "y", -1}, {"x", "y", nan()}} {
		if err := b.Add(bad.u, bad.i, bad.w, 0); err == nil {
			t.Errorf("Add(%q, %q, %v) = nil, want an error", bad.u, bad.i, bad.w)
		}
	}
}

func TestInteractionsFilterAndHas(t *testing.T) {
	in, err := ReadInteractions(strings.NewReader("a x\na y\nb x\nb z\nc z\n"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sub := in.Filter(func(u, pos int) bool { return in.Items[in.UserItems[pos]] != "x" })
	checkLayout(t, sub)
	want := []string{"a y 1 0", "b z 1 0", "c z 1 0"}
	if got := pairsOf(sub); !slices.Equal(got, want) {
		t.Fatalf("Filter pairs = %q, want %q", got, want)
	}
	if sub.NumUsers() != 3 || sub.NumItems() != 3 {
		t.Fatalf("Filter kept %d users and %d items, want all 3 and 3", sub.NumUsers(), sub.NumItems())
	}
	for _, tc := range []struct {
		u, i int
		want bool
	}{{0, 0, true}, {0, 2, false}, {2, 2, true}, {-1, 0, false}, {3, 0, false}, {0, -1, false}, {0, 99, false}} {
		if got := in.Has(tc.u, tc.i); got != tc.want {
			t.Errorf("Has(%d, %d) = %v, want %v", tc.u, tc.i, got, tc.want)
		}
	}
}

func FuzzReadInteractions(f *testing.F) {
	for _, s := range []string{"1\t2\t3\t4\n", "a,b\r\nc,d,1\n", "# x\n\na b 1 2 3\n", "a b nan", "x y 1e300 1e300\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, skip := range []bool{false, true} {
			in, err := ReadInteractions(strings.NewReader(s), ReadOptions{SkipBadLines: skip})
			if err != nil {
				if skip {
					t.Fatalf("SkipBadLines: %v", err)
				}
				continue
			}
			checkLayout(t, in)
		}
	})
}
