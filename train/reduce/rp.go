package reduce

import (
	"math"
	"math/rand/v2"
)

// RandomProjection returns the Gaussian random projection from in to out
// dimensions drawn from seed: M's entries are independent N(0, 1) values
// divided by sqrt(out), drawn row by row from a PCG generator seeded with
// seed, so the same seed gives the same matrix. The mean is zero (no
// centring), so squared distances are preserved in expectation
// (Johnson–Lindenstrauss). It returns an error when out is outside
// [1, in].
func RandomProjection(in, out int, seed uint64) (*Projection, error) {
	if err := checkDims(in, out); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	params := make([]float32, in, in+out*in)
	scale := 1 / math.Sqrt(float64(out))
	for range out * in {
		params = append(params, float32(rng.NormFloat64()*scale))
	}
	return New(Config{Version: Version, Kind: RP, In: in, Out: out, Seed: seed}, params)
}
