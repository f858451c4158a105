package quant

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
)

var update = flag.Bool("update", false, "rewrite golden files in ../testdata")

// goldenPQ is the tiny PQ whose encoding testdata/quant_pq.golden pins:
// dimension 4, M = 2, codebook values from a fixed formula (negative,
// fractional and one negative zero), so the file depends on the format
// alone, not on training.
func goldenPQ() *PQ {
	cb := make([]float32, PQCentroids*4)
	for i := range cb {
		cb[i] = float32(i%37)*0.25 - float32(i%5)
	}
	cb[1] = float32(math.Copysign(0, -1))
	pq, err := NewPQ(4, 2, cb)
	if err != nil {
		panic(err)
	}
	return pq
}

func goldenPQBytes(t testing.TB) []byte {
	b, err := goldenPQ().AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPQGolden pins the PQ encoding. A change to the file is a format
// change: bump pqVersion, and the IVF format that embeds it.
func TestPQGolden(t *testing.T) {
	vectest.CheckGolden(t, "quant_pq.golden", []byte(hex.Dump(goldenPQBytes(t))), *update)
}

func TestPQRoundTrip(t *testing.T) {
	for _, pq := range []*PQ{goldenPQ(), smallPQ(t, 41, 128, 16), smallPQ(t, 42, 7, 7), smallPQ(t, 43, 3, 1)} {
		b, err := pq.AppendBinary([]byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != 'x' || len(b) != 1+pqHeaderSize+4*PQCentroids*pq.Dim {
			t.Fatalf("AppendBinary: %d bytes, want 'x' then %d", len(b), pqHeaderSize+4*PQCentroids*pq.Dim)
		}
		got, err := DecodePQ(b[1:])
		if err != nil {
			t.Fatal(err)
		}
		if got.Dim != pq.Dim || got.M != pq.M || !slices.Equal(got.Codebooks, pq.Codebooks) {
			t.Fatalf("DecodePQ(AppendBinary(pq)) differs from pq")
		}
		again, err := got.AppendBinary(nil)
		if err != nil || !bytes.Equal(again, b[1:]) {
			t.Fatalf("re-encoding: err %v, bytes equal %v", err, bytes.Equal(again, b[1:]))
		}
		// The decoded PQ encodes as the original does.
		v := randVec(randSource(44), pq.Dim*20, 1)
		if !bytes.Equal(got.EncodeBatch(nil, v, 1), pq.EncodeBatch(nil, v, 1)) {
			t.Errorf("decoded PQ encodes differently")
		}
	}
}

func TestDecodePQErrors(t *testing.T) {
	good := goldenPQBytes(t)
	with := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short header", good[:8]},
		{"header only", good[:pqHeaderSize]},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(slices.Clone(good), 0)},
		{"version", with(func(b []byte) []byte { b[0] = 2; return b })},
		{"dim 0", with(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[1:], 0); return b })},
		{"M 0", with(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[5:], 0); return b })},
		{"M 3", with(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[5:], 3); return b })},
		{"huge dim", with(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[1:], math.MaxUint32); return b })},
		{"dim 8", with(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[1:], 8); return b })},
		{"NaN", with(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[pqHeaderSize+40:], math.Float32bits(float32(math.NaN())))
			return b
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if pq, err := DecodePQ(tc.b); err == nil {
				t.Errorf("DecodePQ(%s) = PQ of dim %d, want an error", tc.name, pq.Dim)
			} else {
				t.Logf("%v", err)
			}
		})
	}
}

func TestAppendBinaryInvalid(t *testing.T) {
	for _, pq := range []*PQ{
		{Dim: 4, M: 2, Codebooks: make([]float32, 10)},
		{Dim: 4, M: 3, Codebooks: make([]float32, 1024)},
		{Dim: 2, M: 1, Codebooks: append(make([]float32, 511), float32(math.Inf(1)))},
	} {
		if b, err := pq.AppendBinary([]byte("x")); err == nil || string(b) != "x" {
			t.Errorf("AppendBinary(Dim %d, M %d, %d values) = %q, %v; want dst unchanged and an error", pq.Dim, pq.M, len(pq.Codebooks), b, err)
		}
	}
}

// FuzzDecodePQ: decoding never panics, never allocates more than the
// input declares and proves it holds, and whatever decodes re-encodes to
// the same bytes and can encode, decode and build tables.
func FuzzDecodePQ(f *testing.F) {
	good := goldenPQBytes(f)
	f.Add(good)
	f.Add(good[:pqHeaderSize])
	f.Add(good[:len(good)/2])
	one, err := smallPQ(f, 45, 1, 1).AppendBinary(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(one)
	f.Add([]byte{pqVersion, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pq, err := DecodePQ(b)
		if err != nil {
			return
		}
		if 4*len(pq.Codebooks) > len(b) {
			t.Fatalf("decoded %d codebook values from %d bytes", len(pq.Codebooks), len(b))
		}
		again, err := pq.AppendBinary(nil)
		if err != nil {
			t.Fatalf("re-encoding a decoded PQ: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs from the input")
		}
		v := make([]float32, pq.Dim)
		for i := range v {
			v[i] = float32(i%3) - 1
		}
		code := pq.Encode(nil, v)
		rec := pq.Decode(nil, code)
		table := make([]float32, pq.M*PQCentroids)
		pq.L2Table(v, table)
		var out [1]float32
		ADCScan(table, code, 0, out[:])
		if want := float64L2(v, rec); math.Abs(float64(out[0])-want) > 1e-4*(want+1) {
			t.Fatalf("ADC distance %v, exact %v", out[0], want)
		}
	})
}

func randSource(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 46)) }
