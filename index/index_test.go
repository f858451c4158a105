package index

import (
	"bytes"
	"context"
	"flag"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
)

var update = flag.Bool("update", false, "rewrite golden files in ../testdata")

func flatten(vs [][]float32) []float32 {
	out := make([]float32, 0, len(vs)*len(vs[0]))
	for _, v := range vs {
		out = append(out, v...)
	}
	return out
}

// trainTest trains a small IVF over clustered data and fills its lists.
func trainTest(t testing.TB, metric quant.Metric, n, dim, nlist, m int) (*IVF, *Lists, [][]float32) {
	t.Helper()
	return trainTestCodec(t, metric, quant.KindPQ8, n, dim, nlist, m)
}

// trainTestCodec is trainTest with a codec.
func trainTestCodec(t testing.TB, metric quant.Metric, codec quant.CodecKind, n, dim, nlist, m int) (*IVF, *Lists, [][]float32) {
	t.Helper()
	return trainTestOpts(t, metric, TrainOptions{Codec: codec, NList: nlist, M: m, Seed: 1}, n, dim)
}

// trainTestBits is trainTestCodec for a codec with bits per dimension.
func trainTestBits(t testing.TB, metric quant.Metric, codec quant.CodecKind, bits, n, dim, nlist int) (*IVF, *Lists, [][]float32) {
	t.Helper()
	return trainTestOpts(t, metric, TrainOptions{Codec: codec, NList: nlist, Bits: bits, Seed: 1}, n, dim)
}

func trainTestOpts(t testing.TB, metric quant.Metric, opts TrainOptions, n, dim int) (*IVF, *Lists, [][]float32) {
	t.Helper()
	nlist := opts.NList
	data := vectest.Clustered(3, n, dim, 20, 0.4)
	if metric == quant.Cosine {
		for _, v := range data {
			quant.Normalize(v)
		}
	}
	ivf, err := Train(context.Background(), flatten(data), dim, metric, opts)
	if err != nil {
		t.Fatal(err)
	}
	lists := ivf.NewLists()
	scratch := make([]float32, 2*dim)
	byList := make([][]uint32, nlist)
	codes := make([][]byte, nlist)
	for i, v := range data {
		l, _ := ivf.Assign(v)
		byList[l] = append(byList[l], uint32(i))
		codes[l] = ivf.Encode(codes[l], v, l, scratch)
	}
	for l := range nlist {
		// Two appends a list: the second repacks a block codec's list.
		h := len(byList[l]) / 2
		cs := ivf.CodeSize()
		lists.Append(l, byList[l][:h], codes[l][:h*cs])
		lists.Append(l, byList[l][h:], codes[l][h*cs:])
	}
	return ivf, lists, data
}

// withAndWithoutTerms returns lists (which carry code terms for an L2
// index) and a copy without them, which searches score with an L2 table
// per list: both paths must agree.
func withAndWithoutTerms(ivf *IVF, lists *Lists) map[string]*Lists {
	plain := NewLists(ivf.NList, ivf.CodeSize())
	for l := range ivf.NList {
		list := lists.List(l)
		plain.Append(l, list.Docs, list.Codes)
	}
	return map[string]*Lists{"terms": lists, "tables": plain}
}

// TestProbeAllEqualsExhaustive: probing every list must rank the codes
// exactly as decoding every code and computing its distance does.
func TestProbeAllEqualsExhaustive(t *testing.T) {
	for _, metric := range []quant.Metric{quant.L2, quant.Dot, quant.Cosine} {
		t.Run(metric.String(), func(t *testing.T) {
			const n, dim, nlist, m = 2000, 16, 16, 4
			ivf, withTerms, data := trainTest(t, metric, n, dim, nlist, m)
			if metric == quant.L2 && len(withTerms.List(0).Terms) != len(withTerms.List(0).Docs) {
				t.Fatal("L2 lists carry no code terms")
			}
			for name, lists := range withAndWithoutTerms(ivf, withTerms) {
				t.Run(name, func(t *testing.T) { checkProbeAll(t, ivf, lists, data, metric, n, nlist, m) })
			}
		})
	}
}

// TestProbeAllFastScan: with 4-bit fast-scan codes, probing every list
// scores every code within the 8-bit tables' rounding bound of its
// reconstruction's distance, for every metric.
func TestProbeAllFastScan(t *testing.T) {
	for _, metric := range []quant.Metric{quant.L2, quant.Dot, quant.Cosine} {
		t.Run(metric.String(), func(t *testing.T) {
			const n, dim, nlist, m = 2000, 16, 16, 8
			ivf, lists, data := trainTestCodec(t, metric, quant.KindPQ4FS, n, dim, nlist, m)
			if ivf.Blocked() == nil || ivf.HasTerms() {
				t.Fatal("a pq4fs index is not blocked, or has terms")
			}
			checkProbeAll(t, ivf, lists, data, metric, n, nlist, m)
		})
	}
}

// pq4Bound returns the rounding bound of a fast scan of list l's codes
// against q: M x delta / 2, delta the 8-bit step of the table the search
// builds (L2: from the query's residual, per list; otherwise from q).
func pq4Bound(ivf *IVF, q []float32, l, m int) float64 {
	cs, dsub := ivf.CodeSize(), ivf.Dim/m
	x := q
	if ivf.Metric == quant.L2 {
		x = make([]float32, ivf.Dim)
		ivf.residual(x, q, l)
	}
	var span float64
	for j := range m {
		lo, hi := math.Inf(1), math.Inf(-1)
		for c := range 16 {
			code := bytes.Repeat([]byte{byte(c | c<<4)}, cs)
			cent := ivf.Codec.Decode(nil, code)[j*dsub : (j+1)*dsub]
			v := float64(quant.L2SquaredRef(x[j*dsub:(j+1)*dsub], cent))
			if ivf.Metric != quant.L2 {
				v = -float64(quant.DotProduct(x[j*dsub:(j+1)*dsub], cent))
			}
			lo, hi = min(lo, v), max(hi, v)
		}
		span = max(span, hi-lo)
	}
	return float64(m)*span/255/2 + 1e-4*float64(m)
}

func checkProbeAll(t *testing.T, ivf *IVF, lists *Lists, data [][]float32, metric quant.Metric, n, nlist, m int) {
	q := data[7]
	got, st, _ := ivf.Search(q, lists, SearchParams{NProbe: nlist, KC: n})
	if st.CodesScored != n || len(got) != n {
		t.Fatalf("scored %d codes, returned %d; want %d", st.CodesScored, len(got), n)
	}
	// Exhaustive reference: reconstruct every vector from its code.
	byDoc := map[uint32]float32{}
	tol := map[uint32]float64{}
	cs := ivf.CodeSize()
	for l := range nlist {
		list := lists.List(l)
		codes := list.Codes
		bound := 0.0
		if bc := ivf.Blocked(); bc != nil {
			var err error
			if codes, err = bc.Unpack(nil, codes, len(list.Docs)); err != nil {
				t.Fatal(err)
			}
			bound = pq4Bound(ivf, q, l, m)
		}
		for i, doc := range list.Docs {
			rec := ivf.Codec.Decode(nil, codes[i*cs:(i+1)*cs])
			for j := range rec {
				rec[j] += ivf.centroid(l)[j]
			}
			byDoc[doc] = quant.Distance(metric, q, rec)
			tol[doc] = bound
		}
	}
	for _, h := range got {
		if d := byDoc[h.Doc]; math.Abs(float64(d-h.Distance)) > tol[h.Doc]+1e-3*math.Max(1, math.Abs(float64(d))) {
			t.Fatalf("doc %d: estimated distance %v, reconstruction distance %v (bound %v)", h.Doc, h.Distance, d, tol[h.Doc])
		}
	}
	if !slices.IsSortedFunc(got, func(a, b Hit) int {
		if Less(a, b) {
			return -1
		}
		return 1
	}) {
		t.Fatal("results not sorted")
	}
}

// TestSearchRespectsAllow checks that only allowed docs come back and that
// probing fewer lists scores fewer codes.
func TestSearchRespectsAllow(t *testing.T) {
	ivf, lists, data := trainTest(t, quant.L2, 3000, 16, 32, 4)
	allow := roaring.New()
	for i := 0; i < 3000; i += 3 {
		allow.Add(uint32(i))
	}
	got, st, _ := ivf.Search(data[0], lists, SearchParams{NProbe: 4, KC: 50, Allow: allow})
	for _, h := range got {
		if !allow.Contains(h.Doc) {
			t.Fatalf("doc %d not allowed", h.Doc)
		}
	}
	if st.ListsProbed+st.ListsSkipped != 4 || st.CodesScored >= 3000 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRecallImprovesWithNProbe: recall@10 of the ADC ranking against exact
// L2 grows with nprobe and is high when every list is probed.
func TestRecallImprovesWithNProbe(t *testing.T) {
	const n, dim = 5000, 32
	ivf, lists, data := trainTest(t, quant.L2, n, dim, 64, 8)
	queries := vectest.Clustered(9, 50, dim, 20, 0.4)
	recall := func(nprobe int) float64 {
		var sum float64
		for _, q := range queries {
			truth := vectest.BruteForce(data, q, 10, vectest.L2, nil)
			want := make([]uint32, len(truth))
			for i, nb := range truth {
				want[i] = uint32(nb.Index)
			}
			// Re-rank 100 ADC candidates exactly, as query.Search does.
			cands, _, _ := ivf.Search(q, lists, SearchParams{NProbe: nprobe, KC: 100})
			sort.Slice(cands, func(i, j int) bool {
				return quant.L2SquaredRef(q, data[cands[i].Doc]) < quant.L2SquaredRef(q, data[cands[j].Doc])
			})
			got := make([]uint32, 0, 10)
			for _, c := range cands[:min(10, len(cands))] {
				got = append(got, c.Doc)
			}
			sum += vectest.Recall(got, want, 10)
		}
		return sum / float64(len(queries))
	}
	r1, r8, rall := recall(1), recall(8), recall(64)
	t.Logf("recall@10 after re-ranking: nprobe 1 %.3f, 8 %.3f, 64 %.3f", r1, r8, rall)
	if !(r1 <= r8 && r8 <= rall) || rall < 0.95 {
		t.Fatalf("recall not increasing to >= 0.95: %.3f %.3f %.3f", r1, r8, rall)
	}
}

func TestBlockRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{0, 1, 2, 100, 4096} {
		docs := make([]uint32, n)
		next := uint32(0)
		for i := range docs {
			next += 1 + uint32(r.IntN(1000))
			docs[i] = next
		}
		codes := make([]byte, n*8)
		for i := range codes {
			codes[i] = byte(r.IntN(256))
		}
		b, err := AppendBlock(nil, docs, codes, 8)
		if err != nil {
			t.Fatal(err)
		}
		gd, gc, err := DecodeBlock(b, 8, nil, nil)
		if err != nil || !slices.Equal(gd, docs) || !bytes.Equal(gc, codes) {
			t.Fatalf("n=%d: round trip failed: %v", n, err)
		}
		if n > 0 {
			if _, _, err := DecodeBlock(b[:len(b)-1], 8, nil, nil); err == nil {
				t.Fatalf("n=%d: truncated block decoded", n)
			}
		}
	}
	if _, err := AppendBlock(nil, []uint32{5, 5}, make([]byte, 2), 1); err == nil {
		t.Fatal("non-ascending docs encoded")
	}
}

func FuzzDecodeBlock(f *testing.F) {
	b, _ := AppendBlock(nil, []uint32{1, 7, 300, 1 << 31}, make([]byte, 16), 4)
	f.Add(b, 4)
	f.Fuzz(func(t *testing.T, b []byte, cs int) {
		if cs < 0 || cs > 1024 {
			return
		}
		docs, codes, err := DecodeBlock(b, cs, nil, nil)
		if err != nil {
			return
		}
		again, err := AppendBlock(nil, docs, codes, cs)
		if err != nil {
			t.Fatalf("decoded block does not re-encode: %v", err)
		}
		docs2, codes2, err := DecodeBlock(again, cs, nil, nil)
		if err != nil || !slices.Equal(docs, docs2) || !bytes.Equal(codes, codes2) {
			t.Fatal("re-encoded block decodes differently")
		}
	})
}

// TestGoldenIVF pins the IVF encoding.
func TestGoldenIVF(t *testing.T) {
	ivf, _, _ := trainTest(t, quant.L2, 300, 4, 2, 2)
	got, err := ivf.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeIVF(got)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := back.AppendBinary(nil)
	if !bytes.Equal(got, again) {
		t.Fatal("IVF encoding does not round-trip")
	}
	blk, _ := AppendBlock(nil, []uint32{3, 9, 1000}, []byte{1, 2, 3, 4, 5, 6}, 2)
	for name, b := range map[string][]byte{"index_ivf_header": got[:10], "index_block": blk} {
		vectest.CheckGolden(t, name+".golden", b, *update)
	}
}

func FuzzDecodeIVF(f *testing.F) {
	ivf, _, _ := trainTest(f, quant.L2, 300, 4, 2, 2)
	b, _ := ivf.AppendBinary(nil)
	f.Add(b)
	opq, err := Train(context.Background(), flatten(vectest.Clustered(1, 300, 4, 5, 0.3)), 4, quant.L2, TrainOptions{NList: 2, M: 2, Seed: 1, OPQ: true})
	if err != nil {
		f.Fatal(err)
	}
	b, _ = opq.AppendBinary(nil)
	f.Add(b)
	pca, err := Train(context.Background(), flatten(vectest.LowRank(2, 300, 4, 2, 0.01)), 4, quant.L2, TrainOptions{NList: 2, M: 1, PCA: 2, Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	b, _ = pca.AppendBinary(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		ivf, err := DecodeIVF(b)
		if err != nil {
			return
		}
		again, err := ivf.AppendBinary(nil)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatal("decoded IVF does not re-encode to the same bytes")
		}
	})
}

// TestOPQ: with a rotation, ADC distances still equal the distances to the
// reconstructions (R^T decode(code) + centroid), the encoding round-trips,
// and recall after re-ranking stays high.
func TestOPQ(t *testing.T) {
	const n, dim, nlist, m = 3000, 16, 16, 4
	data := vectest.Clustered(3, n, dim, 20, 0.4)
	ivf, err := Train(context.Background(), flatten(data), dim, quant.L2, TrainOptions{NList: nlist, M: m, Seed: 1, OPQ: true})
	if err != nil {
		t.Fatal(err)
	}
	if pqOf(ivf).Rot == nil {
		t.Fatal("no rotation trained")
	}
	withTerms := ivf.NewLists()
	scratch := make([]float32, 2*dim)
	for i, v := range data {
		l, _ := ivf.Assign(v)
		withTerms.Append(l, []uint32{uint32(i)}, ivf.Encode(nil, v, l, scratch))
	}
	for name, lists := range withAndWithoutTerms(ivf, withTerms) {
		t.Run(name, func(t *testing.T) { checkOPQDistances(t, ivf, lists, data[11], nlist, m, dim) })
	}
	checkOPQEncoding(t, ivf)
}

func checkOPQDistances(t *testing.T, ivf *IVF, lists *Lists, q []float32, nlist, m, dim int) {
	got, _, err := ivf.Search(q, lists, SearchParams{NProbe: nlist, KC: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range got {
		var list *List
		var code []byte
		for l := range nlist {
			list = lists.List(l)
			if i := slices.Index(list.Docs, h.Doc); i >= 0 {
				code = list.Codes[i*m : (i+1)*m]
				rec := ivf.Codec.Decode(nil, code)
				back := make([]float32, dim)
				for r := range dim { // R^T rec
					for c := range dim {
						back[c] += pqOf(ivf).Rot.M[r*dim+c] * rec[r]
					}
				}
				for j := range back {
					back[j] += ivf.centroid(l)[j]
				}
				want := quant.L2SquaredRef(q, back)
				if math.Abs(float64(want-h.Distance)) > 1e-3*math.Max(1, float64(want)) {
					t.Fatalf("doc %d: ADC %v, reconstruction %v", h.Doc, h.Distance, want)
				}
				break
			}
		}
		if code == nil {
			t.Fatalf("doc %d in no list", h.Doc)
		}
	}
}

func checkOPQEncoding(t *testing.T, ivf *IVF) {
	b, err := ivf.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeIVF(b)
	if err != nil || pqOf(back).Rot == nil {
		t.Fatalf("DecodeIVF: %v (rotation %v)", err, back != nil && pqOf(back).Rot != nil)
	}
	again, _ := back.AppendBinary(nil)
	if !bytes.Equal(b, again) {
		t.Fatal("OPQ IVF encoding does not round-trip")
	}
	// The codec-tagged form (version 3, for codecs other than 8-bit PQ)
	// decodes to the same index.
	tagged, err := ivf.appendBinary(nil, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err = DecodeIVF(tagged)
	if err != nil {
		t.Fatalf("DecodeIVF(tagged): %v", err)
	}
	if again, _ := back.AppendBinary(nil); !bytes.Equal(b, again) {
		t.Fatal("tagged IVF encoding decodes to a different index")
	}
	if _, err := DecodeIVF(b[:len(b)-3]); err == nil {
		t.Fatal("truncated OPQ IVF decoded")
	}
}

// TestCodeTermsPaths: the table path (many codes at once) and the decode
// path (a few codes) give the same terms, with and without OPQ.
func TestCodeTermsPaths(t *testing.T) {
	for _, opq := range []bool{false, true} {
		const n, dim, nlist, m = 2000, 16, 4, 4
		data := vectest.Clustered(5, n, dim, 20, 0.4)
		ivf, err := Train(context.Background(), flatten(data), dim, quant.L2, TrainOptions{NList: nlist, M: m, Seed: 1, OPQ: opq})
		if err != nil {
			t.Fatal(err)
		}
		codes := make([][]byte, nlist)
		scratch := make([]float32, 2*dim)
		for _, v := range data {
			l, _ := ivf.Assign(v)
			codes[l] = ivf.Encode(codes[l], v, l, scratch)
		}
		tested := 0
		for l := range nlist {
			if len(codes[l]) < 256*m {
				continue // the decode path only
			}
			tested++
			all := ivf.CodeTerms(l, codes[l], nil)
			for i := range len(codes[l]) / m {
				one := ivf.CodeTerms(l, codes[l][i*m:(i+1)*m], nil)
				if d := math.Abs(float64(one[0] - all[i])); d > 1e-3*math.Max(1, math.Abs(float64(all[i]))) {
					t.Fatalf("opq=%v list %d code %d: decoded term %v, table term %v", opq, l, i, one[0], all[i])
				}
			}
		}
		if tested == 0 {
			t.Fatal("no list was long enough for the table path")
		}
	}
}

// TestFilteredScoresMatchUnfiltered: a filtered search over every list
// must give each allowed doc the distance the unfiltered search gives it,
// whether its list is scored whole (mostly allowed, or an L2 list without
// terms) or only its allowed codes are gathered (sparsely allowed, mixed
// across lists in one chunk).
func TestFilteredScoresMatchUnfiltered(t *testing.T) {
	for _, metric := range []quant.Metric{quant.L2, quant.Dot, quant.Cosine} {
		const n, dim, nlist, m = 3000, 16, 16, 4
		ivf, withTerms, data := trainTest(t, metric, n, dim, nlist, m)
		for name, lists := range withAndWithoutTerms(ivf, withTerms) {
			if metric != quant.L2 && name == "tables" {
				continue // only L2 lists carry terms
			}
			all, _, _ := ivf.Search(data[5], lists, SearchParams{NProbe: nlist, KC: n})
			want := map[uint32]float32{}
			for _, h := range all {
				want[h.Doc] = h.Distance
			}
			for _, mod := range []int{1, 2, 3, 10, 50} {
				allow := roaring.New()
				for i := 0; i < n; i += mod {
					allow.Add(uint32(i))
				}
				got, st, _ := ivf.Search(data[5], lists, SearchParams{NProbe: 1, KC: n, Allow: allow, Budget: n})
				flat, _, _ := ivf.Search(data[5], lists, SearchParams{NProbe: 1, KC: n, Allow: allow, AllowSet: NewAllowSet(allow), Budget: n})
				if !slices.Equal(got, flat) {
					t.Fatalf("%v %s mod %d: a flattened AllowSet changes the results", metric, name, mod)
				}
				if len(got) != int(allow.GetCardinality()) || st.AllowedScored != len(got) {
					t.Fatalf("%v %s mod %d: %d results, %d allowed scored; want %d", metric, name, mod, len(got), st.AllowedScored, allow.GetCardinality())
				}
				if st.Rejected != 0 {
					t.Fatalf("%v %s mod %d: a search with a budget counted %d refused codes", metric, name, mod, st.Rejected)
				}
				// Without a budget: the unfiltered probe keeping allowed
				// candidates. With room for every code, each code competes,
				// so the counts are exact.
				wide, wst, _ := ivf.Search(data[5], lists, SearchParams{NProbe: nlist, KC: n, Allow: allow})
				if len(wide) != len(got) || wst.AllowedScored != len(got) || wst.Rejected != n-len(got) || wst.CodesScored != n {
					t.Fatalf("%v %s mod %d: no-budget search returned %d, stats %+v; want %d allowed, %d refused of %d", metric, name, mod, len(wide), wst, len(got), n-len(got), n)
				}
				if mod >= 3 && name == "terms" && st.CodesScored != st.AllowedScored {
					t.Fatalf("%v %s mod %d: %d codes scored for %d allowed: sparse lists were scanned whole", metric, name, mod, st.CodesScored, st.AllowedScored)
				}
				for _, h := range got {
					w, ok := want[h.Doc]
					if !ok || !allow.Contains(h.Doc) {
						t.Fatalf("%v %s mod %d: doc %d not allowed", metric, name, mod, h.Doc)
					}
					if math.Abs(float64(w-h.Distance)) > 1e-4*math.Max(1, math.Abs(float64(w))) {
						t.Fatalf("%v %s mod %d: doc %d scored %v filtered, %v unfiltered", metric, name, mod, h.Doc, h.Distance, w)
					}
				}
			}
		}
	}
}

// TestFilteredMinLists: a filtered search whose first list meets the
// budget still probes MinLists lists holding allowed docs.
func TestFilteredMinLists(t *testing.T) {
	ivf, lists, data := trainTest(t, quant.L2, 3000, 16, 32, 4)
	allow := roaring.New()
	allow.AddRange(0, 3000)
	for _, minLists := range []int{0, 1, 3, 7} {
		_, st, _ := ivf.Search(data[0], lists, SearchParams{NProbe: 1, KC: 10, Allow: allow, Budget: 1, MinLists: minLists})
		if want := max(minLists, 1); st.ListsProbed != want {
			t.Fatalf("MinLists %d: %d lists probed, want %d", minLists, st.ListsProbed, want)
		}
	}
}

// pqOf returns the index's 8-bit PQ codec.
func pqOf(ivf *IVF) *quant.PQCodec { return ivf.Codec.(*quant.PQCodec) }

// TestSearchRank: a search with Allow and RankK reports the rank of its
// RankK-th allowed candidate among every code it scored, which is the
// count of an unfiltered search's candidates (same lists, same
// estimates) at most as far, for every codec.
func TestSearchRank(t *testing.T) {
	const n, dim, nlist = 3000, 16, 16
	for _, codec := range []quant.CodecKind{quant.KindPQ8, quant.KindPQ4FS, quant.KindRaBitQ} {
		ivf, lists, data := trainTestOpts(t, quant.L2, TrainOptions{Codec: codec, NList: nlist, M: quant.DefaultPQ4M(dim), Seed: 1}, n, dim)
		q := data[7]
		// Allowed: the docs whose first coordinate is on the far side
		// from the query's, and every 7th doc, so the allowed
		// candidates rank far out among all codes.
		allow := roaring.New()
		for i, v := range data {
			if (v[0] > 0) != (q[0] > 0) || i%7 == 0 {
				allow.Add(uint32(i))
			}
		}
		const k, kc, depth = 10, 30, 400
		got, st, err := ivf.Search(q, lists, SearchParams{NProbe: 4, KC: kc, Allow: allow, RankK: k})
		if err != nil {
			t.Fatal(err)
		}
		all, _, err := ivf.Search(q, lists, SearchParams{NProbe: 4, KC: depth})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, h := range all {
			if h.Distance <= got[k-1].Distance {
				want++
			}
		}
		if st.Rank != want || want <= k {
			t.Fatalf("%v: rank of the %dth allowed candidate %d, want %d (> %d)", codec, k, st.Rank, want, k)
		}
		t.Logf("%v: the %dth allowed candidate ranks %d among all codes", codec, k, st.Rank)
		if _, st, _ := ivf.Search(q, lists, SearchParams{NProbe: 4, KC: kc, Allow: allow}); st.Rank != 0 {
			t.Fatalf("%v: rank %d reported unasked", codec, st.Rank)
		}
	}
}

// TestFilteredRaBitQScoresAllowed: a filtered probe over RaBitQ blocks
// scores only the allowed codes past the 1-bit stage, and gives each the
// estimate an unfiltered search gives it.
func TestFilteredRaBitQScoresAllowed(t *testing.T) {
	const n, dim, nlist = 3000, 16, 16
	ivf, lists, data := trainTestOpts(t, quant.L2, TrainOptions{Codec: quant.KindRaBitQ, NList: nlist, Seed: 1}, n, dim)
	all, _, err := ivf.Search(data[3], lists, SearchParams{NProbe: nlist, KC: n})
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32]float32{}
	for _, h := range all {
		want[h.Doc] = h.Distance
	}
	for _, mod := range []int{2, 3, 10} {
		allow := roaring.New()
		for i := 0; i < n; i += mod {
			allow.Add(uint32(i))
		}
		got, _, err := ivf.Search(data[3], lists, SearchParams{NProbe: nlist, KC: n, Allow: allow, Budget: n, MinLists: nlist})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != int(allow.GetCardinality()) {
			t.Fatalf("mod %d: %d candidates, want the %d allowed", mod, len(got), allow.GetCardinality())
		}
		for _, h := range got {
			if w, ok := want[h.Doc]; !ok || w != h.Distance || !allow.Contains(h.Doc) {
				t.Fatalf("mod %d: doc %d scored %v filtered, %v unfiltered (allowed %v)", mod, h.Doc, h.Distance, w, allow.Contains(h.Doc))
			}
		}
	}
}
