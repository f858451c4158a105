package quant

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
)

// goldenPCA is the PCA whose encoding testdata/quant_pca.golden pins.
func goldenPCA(t testing.TB) *PCA {
	p, err := NewPCA(3, 2, []float32{1, 2, 3}, []float32{1, 0, 0, 0, 0.6, 0.8})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGoldenPCA(t *testing.T) {
	b, err := goldenPCA(t).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	vectest.CheckGolden(t, "quant_pca.golden", []byte(hex.Dump(b)), *update)
	back, n, err := DecodePCA(append(b, 0xff)) // what follows is left alone
	if err != nil || n != len(b) {
		t.Fatalf("DecodePCA = %d, %v; want %d bytes", n, err, len(b))
	}
	if got := back.Apply(make([]float32, 2), []float32{2, 2, 4}); math.Abs(float64(got[0]-1)) > 1e-6 || math.Abs(float64(got[1]-0.8)) > 1e-6 {
		t.Fatalf("Apply = %v, want [1 0.8]", got)
	}
}

// TestDecodePCARefuses: truncations, a wrong version, a non-finite value,
// rows that are not orthonormal and impossible dimensions are errors.
func TestDecodePCARefuses(t *testing.T) {
	good, _ := goldenPCA(t).AppendBinary(nil)
	for n := range len(good) {
		if _, _, err := DecodePCA(good[:n]); err == nil {
			t.Fatalf("truncation to %d bytes decoded", n)
		}
	}
	set := func(off int, v uint32) []byte {
		b := slices.Clone(good)
		binary.LittleEndian.PutUint32(b[off:], v)
		return b
	}
	version := slices.Clone(good)
	version[0] = 2
	for name, b := range map[string][]byte{
		"version":        version,
		"out > in":       set(5, 4),
		"out 0":          set(5, 0),
		"in huge":        set(1, 1<<20),
		"NaN mean":       set(pcaHeaderSize, math.Float32bits(float32(math.NaN()))),
		"not orthogonal": set(pcaHeaderSize+4*3+4*4, math.Float32bits(0.5)),
		"not unit":       set(pcaHeaderSize+4*3, math.Float32bits(1.1)),
	} {
		if _, _, err := DecodePCA(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// TestTrainPCA: the transform of a fit has orthonormal rows, ApplyBatch
// agrees with Apply, and an uncentred fit has a zero mean and keeps inner
// products within the kept subspace.
func TestTrainPCA(t *testing.T) {
	const n, in, out = 2000, 24, 6
	data := slices.Concat(vectest.LowRank(3, n, in, out, 0.01)...)
	for _, centre := range []bool{true, false} {
		p, err := TrainPCA(context.Background(), data, n, in, out, centre)
		if err != nil {
			t.Fatal(err)
		}
		if !centre && slices.ContainsFunc(p.Mean, func(x float32) bool { return x != 0 }) {
			t.Fatal("uncentred fit with a non-zero mean")
		}
		batch := make([]float32, n*out)
		p.ApplyBatch(batch, data, 2)
		one := make([]float32, out)
		for r := range n {
			if !slices.Equal(p.Apply(one, data[r*in:(r+1)*in]), batch[r*out:(r+1)*out]) {
				t.Fatalf("row %d: ApplyBatch differs from Apply", r)
			}
		}
		if !centre {
			// Near a 6-d subspace through the offset: rank 7 uncentred,
			// so 6 components keep most but not all of <x, y>.
			x, y := data[:in], data[in:2*in]
			px, py := p.Apply(make([]float32, out), x), p.Apply(make([]float32, out), y)
			if d, pd := DotProduct(x, y), DotProduct(px, py); math.Abs(float64(d-pd)) > 0.1*math.Abs(float64(d))+0.5 {
				t.Fatalf("<x, y> = %g, projections' %g", d, pd)
			}
		}
		b, _ := p.AppendBinary(nil)
		back, _, err := DecodePCA(b)
		if err != nil || !slices.Equal(back.M, p.M) || !slices.Equal(back.Mean, p.Mean) {
			t.Fatalf("round trip: %v", err)
		}
	}
	r := rand.New(rand.NewPCG(1, 1))
	bad := make([]float32, 10*in)
	for i := range bad {
		bad[i] = r.Float32()
	}
	bad[17] = float32(math.Inf(1))
	if _, err := TrainPCA(context.Background(), bad, 10, in, out, true); err == nil {
		t.Fatal("Inf accepted")
	}
}

func FuzzDecodePCA(f *testing.F) {
	good, _ := goldenPCA(f).AppendBinary(nil)
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, n, err := DecodePCA(b)
		if err != nil {
			return
		}
		again, err := p.AppendBinary(nil)
		if err != nil || !bytes.Equal(again, b[:n]) {
			t.Fatal("decoded PCA does not re-encode to the same bytes")
		}
	})
}
