package quant

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
)

func TestSQ8RoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dim   int
		scale float32
	}{{"dim=1", 1, 1}, {"dim=7", 7, 100}, {"dim=128", 128, 1e-3}, {"dim=300", 300, 1e6}} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(61, uint64(tc.dim)))
			const n = 200
			data := randVec(rng, n*tc.dim, tc.scale)
			// One constant dimension: its range is a single value.
			for i := range n {
				data[i*tc.dim] = 3
			}
			sq, err := TrainSQ8(data, tc.dim)
			if err != nil {
				t.Fatal(err)
			}
			codes := make([]byte, 0, n*tc.dim)
			for i := range n {
				codes = sq.Encode(codes, data[i*tc.dim:(i+1)*tc.dim])
			}
			if len(codes) != n*sq.CodeSize() {
				t.Fatalf("%d code bytes, want %d", len(codes), n*sq.CodeSize())
			}
			rec := make([]float32, 0, tc.dim)
			for i := range n {
				rec = sq.Decode(rec[:0], codes[i*tc.dim:(i+1)*tc.dim])
				for d, x := range data[i*tc.dim : (i+1)*tc.dim] {
					lo, hi := float64(sq.Min[d]), float64(sq.Max[d])
					tol := (hi-lo)/510*(1+1e-4) + 1e-6*max(math.Abs(lo), math.Abs(hi))
					if math.Abs(float64(rec[d])-float64(x)) > tol {
						t.Fatalf("vector %d dim %d: %v decodes as %v, range [%v, %v]", i, d, x, rec[d], lo, hi)
					}
				}
			}
		})
	}
}

func TestSQ8Encode(t *testing.T) {
	sq := &SQ8{Dim: 3, Min: []float32{0, -1, 5}, Max: []float32{255, 1, 5}}
	for _, tc := range []struct {
		v    []float32
		want []byte
	}{
		{[]float32{0, -1, 5}, []byte{0, 0, 0}},
		{[]float32{255, 1, 7}, []byte{255, 255, 0}},
		{[]float32{-10, 2, 4}, []byte{0, 255, 0}},     // clamped
		{[]float32{127.4, 0, 5}, []byte{127, 128, 0}}, // nearest step
		{[]float32{float32(math.NaN()), 0, 5}, []byte{0, 128, 0}},
	} {
		if got := sq.Encode(nil, tc.v); !bytes.Equal(got, tc.want) {
			t.Errorf("Encode(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestTrainSQ8Errors(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []float32
		dim  int
	}{
		{"empty", nil, 2},
		{"ragged", []float32{1, 2, 3}, 2},
		{"dim 0", []float32{1}, 0},
		{"NaN", []float32{1, float32(math.NaN())}, 2},
		{"Inf", []float32{float32(math.Inf(1)), 1}, 1},
	} {
		if _, err := TrainSQ8(tc.data, tc.dim); err == nil {
			t.Errorf("TrainSQ8(%s) succeeded, want an error", tc.name)
		}
	}
}

// goldenSQ8 is the SQ8 whose encoding testdata/quant_sq8.golden pins.
func goldenSQ8() *SQ8 {
	return &SQ8{Dim: 3, Min: []float32{-1, 0, 2.5}, Max: []float32{1, 1e-3, 2.5}}
}

func TestSQ8Golden(t *testing.T) {
	b, err := goldenSQ8().AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	vectest.CheckGolden(t, "quant_sq8.golden", []byte(hex.Dump(b)), *update)
}

func TestDecodeSQ8(t *testing.T) {
	good, err := goldenSQ8().AppendBinary([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if string(good[:1]) != "x" {
		t.Fatalf("AppendBinary did not append")
	}
	good = good[1:]
	sq, err := DecodeSQ8(good)
	if err != nil {
		t.Fatal(err)
	}
	if g := goldenSQ8(); sq.Dim != g.Dim || !slices.Equal(sq.Min, g.Min) || !slices.Equal(sq.Max, g.Max) {
		t.Errorf("DecodeSQ8 = %+v, want %+v", sq, g)
	}
	with := func(f func(b []byte)) []byte { b := slices.Clone(good); f(b); return b }
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", good[:4]},
		{"truncated", good[:len(good)-1]},
		{"trailing", append(slices.Clone(good), 0)},
		{"version", with(func(b []byte) { b[0] = 0 })},
		{"dim 0", with(func(b []byte) { binary.LittleEndian.PutUint32(b[1:], 0) })},
		{"huge dim", with(func(b []byte) { binary.LittleEndian.PutUint32(b[1:], math.MaxUint32) })},
		{"min > max", with(func(b []byte) { binary.LittleEndian.PutUint32(b[5:], math.Float32bits(2)) })},
		{"NaN", with(func(b []byte) { binary.LittleEndian.PutUint32(b[9:], math.Float32bits(float32(math.NaN()))) })},
	} {
		if _, err := DecodeSQ8(tc.b); err == nil {
			t.Errorf("DecodeSQ8(%s) succeeded, want an error", tc.name)
		}
	}
	if _, err := (&SQ8{Dim: 2, Min: []float32{0}, Max: []float32{1, 2}}).AppendBinary(nil); err == nil {
		t.Errorf("AppendBinary of an invalid SQ8 succeeded")
	}
}

// FuzzDecodeSQ8: decoding never panics or over-allocates, and whatever
// decodes re-encodes to the same bytes and encodes vectors within range.
func FuzzDecodeSQ8(f *testing.F) {
	good, err := goldenSQ8().AppendBinary(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:sq8HeaderSize])
	f.Add([]byte{sq8Version, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x3f})
	// A range far from zero, where the top step rounds past Max.
	f.Add([]byte("\x01\x01\x00\x00\x00007\xce000B"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sq, err := DecodeSQ8(b)
		if err != nil {
			return
		}
		if 8*sq.Dim > len(b) {
			t.Fatalf("decoded dimension %d from %d bytes", sq.Dim, len(b))
		}
		again, err := sq.AppendBinary(nil)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoding: err %v, equal %v", err, bytes.Equal(again, b))
		}
		for _, v := range [][]float32{sq.Min, sq.Max} {
			for d, x := range sq.Decode(nil, sq.Encode(nil, v)) {
				if !(x >= sq.Min[d] && x <= sq.Max[d]) {
					t.Fatalf("dim %d: %v decodes as %v, outside [%v, %v]", d, v[d], x, sq.Min[d], sq.Max[d])
				}
			}
		}
	})
}
