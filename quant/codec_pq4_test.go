package quant

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// pq4Fixture trains a 4-bit PQ on n clustered-ish random vectors.
func pq4Fixture(t testing.TB, n, dim, m int) (*PQ4, []float32) {
	t.Helper()
	r := rand.New(rand.NewPCG(4, 4))
	data := make([]float32, n*dim)
	for i := range data {
		data[i] = float32(r.NormFloat64()) + float32(i%dim%3)
	}
	pq, err := TrainPQ4(context.Background(), data, dim, m, PQOptions{Seed: 1, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	return pq, data
}

// TestPQ4Estimates checks the codec's estimates: the float Scan equals the
// distance to each code's reconstruction, and the fast scan of the packed
// blocks stays within its rounding bound of it (M x delta / 2, delta the
// table's 8-bit step), for L2 and inner-product tables, at odd M and odd
// list lengths.
func TestPQ4Estimates(t *testing.T) {
	for _, tc := range []struct{ dim, m, n int }{{16, 8, 300}, {18, 9, 33}, {64, 32, 257}, {12, 3, 31}} {
		pq, data := pq4Fixture(t, max(tc.n, 300), tc.dim, tc.m)
		var codes []byte
		for i := range tc.n {
			codes = pq.Encode(codes, data[i*tc.dim:(i+1)*tc.dim], nil)
		}
		packed := pq.Pack(nil, codes)
		if len(packed) != pq.PackedSize(tc.n) {
			t.Fatalf("packed %d bytes, PackedSize %d", len(packed), pq.PackedSize(tc.n))
		}
		back, err := pq.Unpack(nil, packed, tc.n)
		if err != nil || !bytes.Equal(back, codes) {
			t.Fatalf("dim %d M %d: unpack: %v, equal %v", tc.dim, tc.m, err, bytes.Equal(back, codes))
		}
		if _, err := pq.Unpack(nil, packed[:len(packed)-1], tc.n); err == nil {
			t.Fatal("unpack of a truncated layout succeeded")
		}
		q := data[len(data)-tc.dim:]
		est := pq.NewEstimator().(*pq4Estimator)
		for _, mode := range []string{"l2", "dot"} {
			var scale float32 = 1
			if mode == "l2" {
				est.SetL2(q)
			} else {
				scale = -2
				est.SetDot(q, scale)
			}
			exact := make([]float32, tc.n)
			est.Scan(codes, 0.5, exact)
			fast := make([]float32, tc.n)
			est.ScanBlocks(packed, 0.5, fast)
			bound := float64(tc.m)*float64(est.delta)/2 + 1e-4*float64(tc.m)
			for i := range tc.n {
				rec := pq.Decode(nil, codes[i*pq.CodeSize():(i+1)*pq.CodeSize()])
				want := 0.5 + L2SquaredRef(q, rec)
				if mode == "dot" {
					want = 0.5 + scale*DotProduct(q, rec)
				}
				if d := math.Abs(float64(exact[i] - want)); d > 1e-3*math.Max(1, math.Abs(float64(want))) {
					t.Fatalf("%s dim %d M %d code %d: Scan %v, reconstruction %v", mode, tc.dim, tc.m, i, exact[i], want)
				}
				if d := math.Abs(float64(fast[i] - exact[i])); d > bound {
					t.Fatalf("%s dim %d M %d code %d: fast scan %v, float tables %v: off by %v, bound %v", mode, tc.dim, tc.m, i, fast[i], exact[i], d, bound)
				}
			}
		}
	}
}

// TestPQ4EncodeNearest checks that each sub-vector gets its nearest
// centroid.
func TestPQ4EncodeNearest(t *testing.T) {
	pq, data := pq4Fixture(t, 500, 12, 4)
	dsub := 3
	for i := range 50 {
		v := data[i*12 : (i+1)*12]
		code := pq.Encode(nil, v, nil)
		for m := range 4 {
			got := int(code[m/2]>>(4*(m%2))) & 15
			cb := pq.codebook(m)
			for j := range PQ4Centroids {
				if L2SquaredRef(v[m*dsub:(m+1)*dsub], cb[j*dsub:(j+1)*dsub]) < L2SquaredRef(v[m*dsub:(m+1)*dsub], cb[got*dsub:(got+1)*dsub])-1e-5 {
					t.Fatalf("vector %d sub-quantiser %d: centroid %d nearer than the chosen %d", i, m, j, got)
				}
			}
		}
	}
}

// TestPQ4Encoding round-trips the codec through AppendCodec and
// DecodeCodec and refuses damaged encodings.
func TestPQ4Encoding(t *testing.T) {
	pq, _ := pq4Fixture(t, 300, 8, 4)
	b, c := roundTripCodec(t, pq)
	if c.Kind() != KindPQ4FS || c.CodeSize() != 2 {
		t.Fatal("PQ4 encoding does not round-trip")
	}
	for _, bad := range [][]byte{b[:len(b)-1], append(bytes.Clone(b), 0), {byte(KindPQ4FS)}, {99, 1, 2}} {
		if _, err := DecodeCodec(bad); err == nil {
			t.Fatalf("decoded a damaged encoding of %d bytes", len(bad))
		}
	}
	nan := bytes.Clone(b)
	copy(nan[len(nan)-4:], []byte{0, 0, 0xc0, 0x7f})
	if _, err := DecodeCodec(nan); err == nil {
		t.Fatal("decoded a NaN centroid")
	}
}

// roundTripCodec encodes c with AppendCodec, decodes it and checks the
// decoded codec encodes to the same bytes; it returns the bytes and the
// decoded codec.
func roundTripCodec(t *testing.T, c Codec) ([]byte, Codec) {
	t.Helper()
	b, err := AppendCodec(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeCodec(b)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := AppendCodec(nil, d); err != nil || !bytes.Equal(b, again) {
		t.Fatalf("%v encoding does not round-trip (%v)", c.Kind(), err)
	}
	return b, d
}

// FuzzDecodeCodec: decoding any bytes never panics, and what decodes
// re-encodes to the same bytes.
func FuzzDecodeCodec(f *testing.F) {
	pq, _ := pq4Fixture(f, 300, 8, 4)
	b, _ := AppendCodec(nil, pq)
	f.Add(b)
	p8, err := TrainPQ(context.Background(), make([]float32, 300*8), 8, 2, PQOptions{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	b8, _ := AppendCodec(nil, &PQCodec{PQ: p8})
	f.Add(b8)
	for _, bits := range []int{1, 4, 7} {
		rq, err := NewRaBitQ(70, bits, 3)
		if err != nil {
			f.Fatal(err)
		}
		br, _ := AppendCodec(nil, rq)
		f.Add(br)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCodec(b)
		if err != nil {
			return
		}
		again, err := AppendCodec(nil, c)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded codec re-encodes differently (%v)", err)
		}
	})
}

// BenchmarkPQ4SetListL2 measures the per-list table of a fast-scan L2
// search: the sum of the query's and the list's tables, quantised to 8
// bits (M = 64).
func BenchmarkPQ4SetListL2(b *testing.B) {
	pq, data := pq4Fixture(b, 300, 128, 64)
	e := pq.NewEstimator().(*pq4Estimator)
	e.SetQueryL2(data[:128])
	lt := pq.ListTable(data[128:256], nil)
	for b.Loop() {
		e.SetListL2(lt)
	}
}
