package train

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/train/reduce"
)

func init() {
	decode := func(config []byte, params []float32) (Embedder, error) {
		var c reduce.Config
		if err := json.Unmarshal(config, &c); err != nil {
			return nil, errors.Wrap(err, "projection configuration")
		}
		p, err := reduce.New(c, params)
		if err != nil {
			return nil, err
		}
		return projection{p}, nil
	}
	modelDecoders[string(reduce.PCA)] = decode
	modelDecoders[string(reduce.RP)] = decode
}

// projection is a reduce.Projection as an Embedder.
type projection struct{ *reduce.Projection }

// Embed applies the projection.
func (p projection) Embed(dst, src []float32) { p.Apply(dst, src) }

// DefaultReduceSample is the number of records PCA is fitted on by
// default: the fit costs O(n x dim^2) (20,000 784-d vectors: about 3 s on
// two cores) and a sample that size pins the leading components of the
// sets measured here.
const DefaultReduceSample = 20000

// ReduceOptions configure Reduce.
type ReduceOptions struct {
	// Kind is reduce.PCA or reduce.RP.
	Kind reduce.Kind
	// Dim is the output dimension.
	Dim int
	// Whiten divides each PCA output by its standard deviation.
	Whiten bool
	// Sample is the number of records PCA is fitted on, drawn at random
	// (with Seed) when the collection has more (default
	// DefaultReduceSample).
	Sample int
	// Seed drives the sample and the random projection (default 1).
	Seed uint64
	// Threads bounds the goroutines (0: GOMAXPROCS).
	Threads int
}

// ReduceStats report what Reduce did.
type ReduceStats struct {
	// Sampled is the number of records PCA was fitted on (0 for RP).
	Sampled int
	// ExplainedVariance is the share of the sample's variance PCA kept.
	ExplainedVariance float64
	// Fit is the fit's time; Written the records written.
	Fit     time.Duration
	Written int
}

// Reduce fits a PCA on a sample of collection from (or draws a random
// projection) to o.Dim dimensions and writes every record's projection,
// with its ID and metadata, into out.Collection (from's metric), which
// records the projection: vectors of from's dimension searched or
// upserted there are projected first (see infer.Embedded).
func Reduce(ctx context.Context, d *db.DB, from string, out Output, o ReduceOptions) (ReduceStats, error) {
	if out.DB == nil {
		out.DB = d
	}
	s, err := d.Collection(from)
	if err != nil {
		return ReduceStats{}, err
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Sample <= 0 {
		o.Sample = DefaultReduceSample
	}
	var st ReduceStats
	start := time.Now()
	var p *reduce.Projection
	info := ModelInfo{Kind: string(o.Kind)}
	switch o.Kind {
	case reduce.PCA:
		sample, err := sampleVectors(ctx, d, from, o.Sample, o.Seed)
		if err != nil {
			return st, err
		}
		st.Sampled = len(sample) / s.Dim
		if p, err = reduce.FitPCA(ctx, sample, st.Sampled, s.Dim, o.Dim, o.Whiten); err != nil {
			return st, err
		}
		st.ExplainedVariance = p.ExplainedVariance()
		if len(sample) > 0 {
			info.Lo, info.Hi = slices.Min(sample), slices.Max(sample)
		}
	case reduce.RP:
		if o.Whiten {
			return st, sentinel.Mark(errors.New("a random projection cannot be whitened"), db.ErrInvalid)
		}
		if p, err = reduce.RandomProjection(s.Dim, o.Dim, o.Seed); err != nil {
			return st, err
		}
	default:
		return st, sentinel.Mark(errors.Newf("reduction %q: want pca or rp", o.Kind), db.ErrInvalid)
	}
	st.Fit = time.Since(start)
	if info.Config, err = json.Marshal(p.Config()); err != nil {
		return st, errors.Wrap(err, "encoding the projection's configuration")
	}
	m := NewModel(info, projection{p}, p.Params())
	st.Written, err = EmbedCollection(ctx, d, from, out, s.Metric, m, o.Threads)
	return st, err
}

// sampleVectors returns the vectors of up to n records of coll, drawn
// uniformly at random (reservoir sampling with seed), concatenated.
func sampleVectors(ctx context.Context, d *db.DB, coll string, n int, seed uint64) ([]float32, error) {
	s, err := d.Collection(coll)
	if err != nil {
		return nil, err
	}
	it, err := d.NewRecordIterator(coll)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]float32, 0, min(n, 1<<16)*s.Dim)
	seen := 0
	for it.First(); it.Valid(); it.Next() {
		if seen%4096 == 0 && ctx.Err() != nil {
			_ = it.Close() // the cancellation is the error to report
			return nil, ctx.Err()
		}
		v := it.Record().Vector
		switch {
		case seen < n:
			out = append(out, v...)
		default:
			if j := rng.IntN(seen + 1); j < n {
				copy(out[j*s.Dim:(j+1)*s.Dim], v)
			}
		}
		seen++
	}
	return out, it.Close()
}
