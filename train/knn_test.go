package train

import (
	"context"
	stderrors "errors"
	"strconv"
	"strings"
	"testing"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train/traintest"
)

// knnPoint is a record on the x axis of a 2-d collection; a nil label
// leaves the field out.
type knnPoint struct {
	id    string
	x     float32
	label any
}

func putPoints(t *testing.T, d *db.DB, coll string, fields []db.Field, pts []knnPoint) {
	t.Helper()
	if err := d.CreateCollection(db.Schema{Name: coll, Dim: 2, Metric: db.L2, Fields: fields}); err != nil {
		t.Fatal(err)
	}
	b := d.NewBatch()
	defer b.Close()
	for _, p := range pts {
		var m db.Meta
		if p.label != nil {
			m = db.Meta{"label": p.label}
		}
		if err := b.Put(coll, p.id, []float32{p.x, 0}, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
}

var keywordLabel = []db.Field{{Name: "label", Type: db.Keyword}}

// knnDB holds "base" (a, b at x = 0, 1 labelled A; c, d at 2, 3 labelled
// B; e at 10 unlabelled) and "queries" (four labelled points between them
// and one unlabelled).
func knnDB(t *testing.T) *db.DB {
	d := traintest.OpenDB(t)
	putPoints(t, d, "base", keywordLabel, []knnPoint{{"a", 0, "A"}, {"b", 1, "A"}, {"c", 2, "B"}, {"d", 3, "B"}, {"e", 10, nil}})
	putPoints(t, d, "queries", keywordLabel, []knnPoint{{"q1", 0.4, "A"}, {"q2", 2.4, "A"}, {"q3", 1.6, "B"}, {"q4", 1.4, "A"}, {"q5", 1, nil}})
	return d
}

// TestEvalKNN checks exact figures worked out by hand, including the tie
// rule: with k = 2, q3's neighbours c (B, 0.16) and b (A, 0.36) tie and
// the nearer c wins; q4's b (A, 0.16) and c (B, 0.36) tie and b wins.
func TestEvalKNN(t *testing.T) {
	d := knnDB(t)
	for _, tc := range []struct {
		k           int
		vote, agree float64
	}{
		// k=1: q1 a(A) ok, q2 c(B) no, q3 c(B) ok, q4 b(A) ok.
		{1, 3.0 / 4, 3.0 / 4},
		// k=2: q1 A,A ok (2); q2 B,B no (0); q3 B,A -> B ok (1); q4 A,B -> A ok (1).
		{2, 3.0 / 4, 4.0 / 8},
		// k=3: q1 A,A,B ok (2); q2 B,B,A no (1); q3 B,A,B ok (2); q4 A,B,A ok (2).
		{3, 3.0 / 4, 7.0 / 12},
	} {
		t.Run("k="+strconv.Itoa(tc.k), func(t *testing.T) {
			var calls [][2]int
			got, err := EvalKNN(context.Background(), d, "base", "queries", "label", tc.k, func(done, total int) { calls = append(calls, [2]int{done, total}) })
			if err != nil {
				t.Fatal(err)
			}
			want := KNNStats{K: tc.k, Queries: 4, Skipped: 1, VoteAccuracy: tc.vote, LabelAgreement: tc.agree}
			if got != want {
				t.Errorf("EvalKNN = %+v, want %+v", got, want)
			}
			if len(calls) != 1 || calls[0] != [2]int{5, 5} {
				t.Errorf("progress calls %v, want [[5 5]]", calls)
			}
		})
	}
}

// TestEvalKNNOwnID evaluates a collection against itself: each record's
// own entry (distance 0) is left out, so its nearest other record votes.
// Distance ties (b between a and c, c between b and d) go to insertion
// order.
func TestEvalKNNOwnID(t *testing.T) {
	d := knnDB(t)
	got, err := EvalKNN(context.Background(), d, "base", "base", "label", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// a -> b (A) ok; b -> a (A) ok; c -> b (A) no; d -> c (B) ok; e skipped.
	want := KNNStats{K: 1, Queries: 4, Skipped: 1, VoteAccuracy: 0.75, LabelAgreement: 0.75}
	if got != want {
		t.Errorf("EvalKNN(base, base) = %+v, want %+v", got, want)
	}
	// A query in another collection with a base record's ID leaves that
	// record out too.
	putPoints(t, d, "twins", keywordLabel, []knnPoint{{"c", 2, "B"}})
	got, err = EvalKNN(context.Background(), d, "base", "twins", "label", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (KNNStats{K: 1, Queries: 1}); got != want {
		t.Errorf("EvalKNN(base, twins) = %+v, want %+v (c's nearest other is b, labelled A)", got, want)
	}
}

// TestEvalKNNBatches runs 600 self-queries with int labels (i/2), some
// unlabelled, across several SearchMany batches. With k = 1, record i's
// nearest other is i-1 (the tie with i+1 goes to insertion order), which
// shares its label when i is odd; record 0's is 1, which does too.
func TestEvalKNNBatches(t *testing.T) {
	d := traintest.OpenDB(t)
	const n = 600
	pts := make([]knnPoint, n)
	for i := range pts {
		pts[i] = knnPoint{id: strconv.Itoa(i), x: float32(i), label: int64(i / 2)}
		if i%100 == 50 {
			pts[i].label = nil
		}
	}
	putPoints(t, d, "nums", []db.Field{{Name: "label", Type: db.Int}}, pts)
	var last [2]int
	calls := 0
	got, err := EvalKNN(context.Background(), d, "nums", "nums", "label", 1, func(done, total int) {
		if done < last[0] {
			t.Errorf("progress went back from %d to %d", last[0], done)
		}
		last, calls = [2]int{done, total}, calls+1
	})
	if err != nil {
		t.Fatal(err)
	}
	// Labelled odd records: 300 minus none (the unlabelled ones, 50, 150,
	// ..., are even); their nearest (i-1) shares the label unless i-1 is
	// unlabelled, which never happens for odd i. Record 0 is right too;
	// records 51, 151, ... have i-1 unlabelled: they are wrong.
	correct := 300 + 1 - 6
	want := KNNStats{K: 1, Queries: n - 6, Skipped: 6, VoteAccuracy: float64(correct) / (n - 6), LabelAgreement: float64(correct) / (n - 6)}
	if got != want {
		t.Errorf("EvalKNN = %+v, want %+v", got, want)
	}
	if last != [2]int{n, n} || calls != 3 {
		t.Errorf("progress: %d calls ending with %v, want 3 ending with [%d %d]", calls, last, n, n)
	}
}

// TestEvalKNNErrors checks the errors of invalid arguments and schemas.
func TestEvalKNNErrors(t *testing.T) {
	d := knnDB(t)
	putPoints(t, d, "nolabel", []db.Field{{Name: "other", Type: db.Keyword}}, nil)
	putPoints(t, d, "intlabel", []db.Field{{Name: "label", Type: db.Int}}, nil)
	if err := d.CreateCollection(db.Schema{Name: "three", Dim: 3, Metric: db.L2, Fields: keywordLabel}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, coll, queries string
		k                   int
		wantErr             string
		is                  error
	}{
		{"k=0", "base", "queries", 0, "k = 0", nil},
		{"k too large", "base", "queries", db.MaxK, "k = 100000", nil},
		{"unknown collection", "nope", "queries", 1, "nope", db.ErrNotFound},
		{"unknown queries", "base", "nope", 1, "nope", db.ErrNotFound},
		{"label missing in collection", "nolabel", "queries", 1, `collection "nolabel" declares no label field "label"`, nil},
		{"label missing in queries", "base", "nolabel", 1, `queries "nolabel" declare no label field "label"`, nil},
		{"label type", "base", "intlabel", 1, `label field "label" is keyword in "base" but int in "intlabel"`, nil},
		{"dimension", "base", "three", 1, "dimension 2 but queries \"three\" have 3", db.ErrDimensionMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EvalKNN(context.Background(), d, tc.coll, tc.queries, "label", tc.k, nil)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("EvalKNN = %v, want an error containing %q", err, tc.wantErr)
			}
			if tc.is != nil && !stderrors.Is(err, tc.is) {
				t.Errorf("EvalKNN = %v, want errors.Is %v", err, tc.is)
			}
		})
	}
}

// TestLabelEqual covers the value types of fields.
func TestLabelEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b any
		want bool
	}{
		{"x", "x", true},
		{"x", "y", false},
		{int64(3), int64(3), true},
		{int64(3), 3.0, false},
		{2.5, 2.5, true},
		{true, true, true},
		{true, false, false},
		{[]string{"a", "b"}, []string{"a", "b"}, true},
		{[]string{"a", "b"}, []string{"a"}, false},
		{nil, nil, false},
		{"x", nil, false},
	} {
		if got := labelEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("labelEqual(%#v, %#v) = %t, want %t", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestVote checks the majority and the tie rule directly, and that
// neighbours without the label do not vote.
func TestVote(t *testing.T) {
	res := func(labels ...any) []db.Result {
		var rs []db.Result
		for _, l := range labels {
			r := db.Result{}
			if l != nil {
				r.Meta = db.Meta{"label": l}
			}
			rs = append(rs, r)
		}
		return rs
	}
	for _, tc := range []struct {
		name string
		rs   []db.Result
		want any
		ok   bool
	}{
		{"majority", res("A", "B", "B"), "B", true},
		{"tie to nearest", res("B", "A", "A", "B"), "B", true},
		{"unlabelled do not vote", res(nil, nil, "A"), "A", true},
		{"none", res(nil), nil, false},
		{"keyword sets", res([]string{"x"}, []string{"y"}, []string{"y"}), []string{"y"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := vote(tc.rs, "label")
			if ok != tc.ok || (ok && !labelEqual(got, tc.want)) {
				t.Errorf("vote = %v, %t, want %v, %t", got, ok, tc.want, tc.ok)
			}
		})
	}
}
