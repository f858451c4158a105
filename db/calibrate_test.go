package db

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
)

// TestCalibration builds with a target recall and checks the curve: each
// point's recall is what searching the same held-out records measures
// again, the default is the smallest nprobe that reached the target, a
// search with TargetRecall uses it, and the curve survives a reopen and a
// compaction.
func TestCalibration(t *testing.T) {
	const n, dim, target = 8000, 32, 0.9
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	fillCollection(t, d, "v", L2, n, dim, 1)
	st, err := d.BuildIndex(context.Background(), "v", &BuildOptions{Seed: 1, TargetRecall: target})
	if err != nil {
		t.Fatal(err)
	}
	cal := st.Calibration
	if cal == nil || len(cal.Points) < 2 || cal.Queries != calibrationQueries || cal.K != 10 {
		t.Fatalf("calibration %+v", cal)
	}
	t.Logf("calibration: %+v", cal.Points)
	c, err := d.coll("v")
	if err != nil {
		t.Fatal(err)
	}
	qs, own, err := d.calibrationSample(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := d.SearchMany(context.Background(), "v", qs, &SearchRequest{K: 11, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	// Each refine's curve ascends in nprobe; the default is, of each
	// refine's smallest nprobe reaching the target, the fastest measured.
	best := -1
	for i, p := range cal.Points {
		if i > 0 && p.Refine == cal.Points[i-1].Refine && p.NProbe <= cal.Points[i-1].NProbe {
			t.Fatalf("points not ascending: %+v", cal.Points)
		}
		got, err := d.SearchMany(context.Background(), "v", qs, &SearchRequest{K: 11, NProbe: p.NProbe, Refine: p.Refine})
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for j := range qs {
			sum += recallOf(withoutID(got[j], own[j], 10), withoutID(truth[j], own[j], 10), 10)
		}
		if r := sum / float64(len(qs)); r != p.Recall {
			t.Fatalf("nprobe %d refine %d: stored recall %v, measured again %v", p.NProbe, p.Refine, p.Recall, r)
		}
		first := i == 0 || cal.Points[i-1].Refine != p.Refine || cal.Points[i-1].Recall < target
		if p.Recall >= target && first && (best < 0 || p.Micros < cal.Points[best].Micros) {
			best = i
		}
	}
	if best < 0 || !cal.TargetAchieved {
		t.Fatalf("no point reached %v: %+v", target, cal.Points)
	}
	smallest, refine := cal.Points[best].NProbe, cal.Points[best].Refine
	if cal.DefaultNProbe != smallest || cal.DefaultRefine != refine || st.NProbe != smallest || st.Refine != refine {
		t.Fatalf("defaults nprobe %d refine %d (stats %d, %d), want %d, %d", cal.DefaultNProbe, cal.DefaultRefine, st.NProbe, st.Refine, smallest, refine)
	}
	if refines := map[int]bool{}; true {
		for _, p := range cal.Points {
			refines[p.Refine] = true
		}
		if !refines[10] || !refines[5] {
			t.Fatalf("refines measured: %v", refines)
		}
	}
	// TargetRecall picks from the curve; the default is the calibrated
	// nprobe.
	q := qs[:20]
	want, err := d.SearchMany(context.Background(), "v", q, &SearchRequest{K: 10, NProbe: smallest, Refine: refine})
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []*SearchRequest{{K: 10, TargetRecall: target}, {K: 10}} {
		got, err := d.SearchMany(context.Background(), "v", q, req)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if !slices.Equal(ids(got[i]), ids(want[i])) {
				t.Fatalf("%+v: query %d: %v, want %v", req, i, ids(got[i]), ids(want[i]))
			}
		}
	}
	if _, _, ok := cal.For(1.01); ok {
		t.Fatal("For(1.01) reached")
	}
	if _, err := d.Search(context.Background(), "v", &SearchRequest{Vector: qs[0], TargetRecall: 1.5}); err == nil {
		t.Fatal("target recall 1.5 accepted")
	}
	// The curve survives a reopen and a compaction.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openTestDBAt(t, dir, nil)
	if _, err := d.Compact(context.Background(), "v", nil); err != nil {
		t.Fatal(err)
	}
	stats, err := d.Stats("v")
	if err != nil {
		t.Fatal(err)
	}
	if got := stats.Index.Calibration; got == nil || !slices.Equal(got.Points, cal.Points) || stats.Index.NProbe != smallest || stats.Index.Refine != refine {
		t.Fatalf("after reopen and compaction: calibration %+v, nprobe %d, refine %d", got, stats.Index.NProbe, stats.Index.Refine)
	}
	// An index without a calibration refuses a target recall.
	fillCollection(t, d, "w", L2, 1000, 8, 2)
	if _, err := d.BuildIndex(context.Background(), "w", &BuildOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Search(context.Background(), "w", &SearchRequest{Vector: make([]float32, 8), TargetRecall: 0.9}); err == nil {
		t.Fatal("a target recall without a calibration was accepted")
	}
}

// TestCalibrationEncoding round-trips the stored curve and refuses damaged
// encodings.
func TestCalibrationEncoding(t *testing.T) {
	cal := &Calibration{Target: 0.95, K: 10, Queries: 200, Points: []CalibrationPoint{
		{1, 10, 0.5, 12}, {2, 10, 0.8, 20}, {4, 10, 0.96, 31}, {8, 10, 0.99, 25}, // 8 measured faster than 4: noise
		{2, 5, 0.7, 11}, {4, 5, 0.955, 29}, {8, 5, 0.97, 30},
	}}
	b := cal.encode()
	back, err := decodeCalibration(b)
	if err != nil || !slices.Equal(back.Points, cal.Points) || back.DefaultNProbe != 4 || back.DefaultRefine != 5 || !back.TargetAchieved {
		t.Fatalf("decode: %+v, %v", back, err)
	}
	bad := [][]byte{b[:len(b)-1], append(slices.Clone(b), 0), b[:5]}
	zero := slices.Clone(b)
	copy(zero[calibrationHeaderLen:], []byte{0, 0, 0, 0}) // nprobe 0
	bad = append(bad, zero)
	for i, x := range bad {
		if _, err := decodeCalibration(x); err == nil {
			t.Errorf("damaged encoding %d decoded", i)
		}
	}
}

// TestCalibrationCodesOnly: a RaBitQ index's calibration measures searches
// of the codes alone (refine 0) beside the re-ranked ones, and a default
// or target-recall setting of refine 0 searches the codes alone, reading
// no raw vector.
func TestCalibrationCodesOnly(t *testing.T) {
	d := openTestDB(t, nil)
	fillCollection(t, d, "v", L2, 4000, 16, 1)
	st, err := d.BuildIndex(context.Background(), "v", &BuildOptions{Seed: 1, Codec: CodecRaBitQ, NBits: 8, TargetRecall: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	codesOnly := 0
	for _, p := range st.Calibration.Points {
		if p.Refine == 0 {
			codesOnly++
		}
	}
	if codesOnly == 0 {
		t.Fatalf("no codes-only point in %+v", st.Calibration.Points)
	}
	// A curve where only the codes alone reach the target.
	c, err := d.coll("v")
	if err != nil {
		t.Fatal(err)
	}
	cal := &Calibration{Target: 0.9, K: 10, Queries: 200, Points: []CalibrationPoint{{4, 10, 0.5, 30}, {4, 0, 0.95, 10}}}
	cal.DefaultNProbe, cal.DefaultRefine, cal.TargetAchieved = cal.For(cal.Target)
	c.ix.Load().calib.Store(cal)
	q := [][]float32{make([]float32, 16)}
	for _, req := range []*SearchRequest{{K: 10}, {K: 10, TargetRecall: 0.9}} {
		res, plans, err := d.Explain(context.Background(), "v", q, req)
		if err != nil {
			t.Fatal(err)
		}
		if p := plans[0]; p.Strategy != "ivf" || p.Reranked != 0 || p.NProbe != 4 || len(res[0]) != 10 {
			t.Fatalf("%+v: plan %+v with %d results; want the codes alone at nprobe 4", req, p.Plan, len(res[0]))
		}
	}
	// An explicit refine still re-ranks.
	if _, plans, err := d.Explain(context.Background(), "v", q, &SearchRequest{K: 10, Refine: 3}); err != nil || plans[0].Reranked == 0 {
		t.Fatalf("refine 3: %+v, %v", plans, err)
	}
}

// TestCalibrationDeeperRefine: on points in a few tight clusters, whose
// nearest neighbours the codes cannot order, no nprobe reaches the target
// at the build's re-rank depth; the calibration then tries deeper ones,
// makes one that reaches it the default, and a search at the default
// measures it.
func TestCalibrationDeeperRefine(t *testing.T) {
	const n, dim, target = 12000, 32, 0.95
	d := openTestDB(t, nil)
	mustCreate(t, d, Schema{Name: "v", Dim: dim, Metric: L2})
	vecs := vectest.Clustered(3, n, dim, 4, 0.02)
	b := d.NewBatch()
	for i, v := range vecs {
		if err := b.Put("v", strconv.Itoa(i), v, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	b.Close()
	st, err := d.BuildIndex(context.Background(), "v", &BuildOptions{Seed: 1, TargetRecall: target, Refine: 2})
	if err != nil {
		t.Fatal(err)
	}
	cal := st.Calibration
	t.Logf("calibration: %+v", cal.Points)
	atBuild := 0.0
	for _, p := range cal.Points {
		if p.Refine == 2 {
			atBuild = max(atBuild, p.Recall)
		}
	}
	if atBuild >= target {
		t.Skipf("the fixture reached %.3f at the build's depth: it no longer exercises deeper ones", atBuild)
	}
	if !cal.TargetAchieved || cal.DefaultRefine <= 2 || st.Refine != cal.DefaultRefine {
		t.Fatalf("calibration: achieved %t, default refine %d (build %d); want the target reached deeper than 2", cal.TargetAchieved, cal.DefaultRefine, st.Refine)
	}
}
