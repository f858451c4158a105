package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// adcRef is the reference ADC scan in float64, and the sum of the absolute
// values of the terms of each code, which bounds the rounding error of any
// summation order.
func adcRef(table []float32, codes []byte, bias float32, n int) (want, mag []float64) {
	m := 0
	if n > 0 {
		m = len(codes) / n
	}
	want, mag = make([]float64, n), make([]float64, n)
	for i := range n {
		s, a := float64(bias), math.Abs(float64(bias))
		for j, c := range codes[i*m : (i+1)*m] {
			x := float64(table[j*PQCentroids+int(c)])
			s += x
			a += math.Abs(x)
		}
		want[i], mag[i] = s, a
	}
	return want, mag
}

// sumTol is the relative error bound of a float32 sum of m+1 terms in any
// order: (m+1) units in the last place (2^-24) of the sum of magnitudes.
func sumTol(m int) float64 { return float64(m+1) * 0x1p-24 }

func randCodes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// TestADCScanKernels compares every ADC implementation with the float64
// reference at odd and even numbers of codes and code sizes, including
// those the assembly leaves to Go (fewer than 8 codes or bytes, tails).
func TestADCScanKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 0))
	for _, k := range adcKernels {
		for _, m := range []int{1, 2, 3, 4, 7, 8, 9, 12, 15, 16, 17, 24, 32, 33, 64} {
			for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 100} {
				table := randVec(rng, m*PQCentroids, 2)
				codes := randCodes(rng, n*m)
				bias := float32(rng.NormFloat64())
				out := make([]float32, n+1)
				out[n] = 42 // sentinel
				k.scan(table, codes, bias, out[:n])
				if out[n] != 42 {
					t.Fatalf("%s: M=%d n=%d: wrote past out", k.name, m, n)
				}
				want, mag := adcRef(table, codes, bias, n)
				for i := range n {
					if math.Abs(float64(out[i])-want[i]) > sumTol(m)*mag[i] {
						t.Errorf("%s: M=%d n=%d: out[%d] = %v, want %v", k.name, m, n, i, out[i], want[i])
					}
				}
				// The exported function (the selected kernel) agrees too.
				got := make([]float32, n)
				ADCScan(table, codes, bias, got)
				for i := range n {
					if math.Abs(float64(got[i])-want[i]) > sumTol(m)*mag[i] {
						t.Errorf("ADCScan: M=%d n=%d: out[%d] = %v, want %v", m, n, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestADCUnaligned runs the kernels on code and table slices that start at
// every offset within a cache line.
func TestADCUnaligned(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 0))
	const m, n = 16, 37
	tableBuf := randVec(rng, m*PQCentroids+16, 1)
	codeBuf := randCodes(rng, n*m+64)
	for _, k := range adcKernels {
		for off := range 16 {
			table, codes := tableBuf[off:off+m*PQCentroids], codeBuf[off*3:off*3+n*m]
			out := make([]float32, n)
			k.scan(table, codes, 0, out)
			want, mag := adcRef(table, codes, 0, n)
			for i := range n {
				if math.Abs(float64(out[i])-want[i]) > sumTol(m)*mag[i] {
					t.Errorf("%s: offset %d: out[%d] = %v, want %v", k.name, off, i, out[i], want[i])
				}
			}
		}
	}
}

// TestADCDistances checks that L2Table + ADCScan gives the squared
// distance between the query and each code's reconstruction, and DotTable
// + ADCScan the inner product, with the tables of the kernel layout and of
// a literal PQ (the portable path).
func TestADCDistances(t *testing.T) {
	for _, tc := range []struct{ dim, m int }{{128, 16}, {128, 8}, {96, 12}, {64, 64}, {30, 3}, {7, 1}} {
		t.Run(fmt.Sprintf("dim=%d/M=%d", tc.dim, tc.m), func(t *testing.T) {
			pq := smallPQ(t, uint64(tc.dim*tc.m), tc.dim, tc.m)
			lit := &PQ{Dim: pq.Dim, M: pq.M, Codebooks: pq.Codebooks}
			rng := rand.New(rand.NewPCG(33, uint64(tc.m)))
			const n = 53
			codes := pq.EncodeBatch(nil, randVec(rng, n*tc.dim, 1), 0)
			q := randVec(rng, tc.dim, 1.5)
			table := make([]float32, tc.m*PQCentroids)
			out := make([]float32, n)
			for _, p := range []*PQ{pq, lit} {
				p.L2Table(q, table)
				ADCScan(table, codes, 0.25, out)
				for i := range n {
					rec := pq.Decode(nil, codes[i*tc.m:(i+1)*tc.m])
					want := float64L2(q, rec) + 0.25
					if math.Abs(float64(out[i])-want) > 1e-5*want {
						t.Errorf("L2 (literal %v): code %d: ADC %v, exact %v", p == lit, i, out[i], want)
					}
				}
				p.DotTable(q, table)
				ADCScan(table, codes, -1, out)
				for i := range n {
					rec := pq.Decode(nil, codes[i*tc.m:(i+1)*tc.m])
					want, mag := -1.0, 1.0
					for d := range q {
						want += float64(q[d]) * float64(rec[d])
						mag += math.Abs(float64(q[d]) * float64(rec[d]))
					}
					if math.Abs(float64(out[i])-want) > 1e-5*mag {
						t.Errorf("dot (literal %v): code %d: ADC %v, exact %v", p == lit, i, out[i], want)
					}
				}
			}
		})
	}
}

func TestADCScanEdges(t *testing.T) {
	// No codes: nothing to do, whatever the table.
	ADCScan(nil, nil, 1, nil)
	// M = 0: every code is empty and scores the bias.
	out := []float32{7, 7}
	ADCScan(nil, nil, 1.5, out)
	if out[0] != 1.5 || out[1] != 1.5 {
		t.Errorf("ADCScan with M=0 = %v, want [1.5 1.5]", out)
	}
	for _, tc := range []struct {
		name  string
		table []float32
		codes []byte
		n     int
	}{
		{"ragged codes", make([]float32, 512), make([]byte, 5), 2},
		{"short table", make([]float32, 511), make([]byte, 4), 2},
		{"long table", make([]float32, 768), make([]byte, 4), 2},
		{"codes without outputs", make([]float32, 256), make([]byte, 4), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("ADCScan did not panic")
				}
			}()
			ADCScan(tc.table, tc.codes, 0, make([]float32, tc.n))
		})
	}
}

func TestADCScanAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(34, 0))
	table, codes := randVec(rng, 16*PQCentroids, 1), randCodes(rng, 100*16)
	out := make([]float32, 100)
	if a := testing.AllocsPerRun(100, func() { ADCScan(table, codes, 0, out) }); a != 0 {
		t.Errorf("ADCScan allocates %v times per call", a)
	}
}
