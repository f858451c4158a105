package reduce

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/quant"
)

// Version is the version of [Config] and of the [Projection.Params] layout
// this package writes; [New] accepts only it.
const Version = 1

// Kind names a reduction method.
type Kind string

const (
	// PCA is principal component analysis ([FitPCA]).
	PCA Kind = "pca"
	// RP is a Gaussian random projection ([RandomProjection]).
	RP Kind = "rp"
)

// Config describes a [Projection] apart from its parameters; it is
// JSON-serialisable, and with [Projection.Params] it rebuilds the
// projection through [New].
type Config struct {
	// Version is the layout version ([Version]).
	Version int `json:"version"`
	// Kind is the method that made the projection.
	Kind Kind `json:"kind"`
	// In and Out are the input and output dimensions (1 <= Out <= In).
	In  int `json:"in"`
	Out int `json:"out"`
	// Whiten divides each PCA output by its standard deviation on the
	// sample the projection was fitted on (always false for RP).
	Whiten bool `json:"whiten,omitempty"`
	// Seed is the random projection's seed (0 for PCA, which is
	// deterministic).
	Seed uint64 `json:"seed,omitempty"`
	// ExplainedVariance is, for PCA, the share of the sample's total
	// variance the kept components carry (informational; 0 for RP).
	ExplainedVariance float64 `json:"explained_variance,omitempty"`
}

// Projection is a linear map from In to Out dimensions, y = M (x - mean),
// each output then divided by scale[j] when whitened. It is immutable and
// goroutine-safe.
type Projection struct {
	cfg Config
	// params is the layout of Params: mean, matrix, then scales.
	params []float32
	// w is the matrix with the whitening scales folded in (Out x In,
	// row-major) and bias = w · mean (float64 accumulation), so that
	// Apply computes y = w x - bias with one batched dot product.
	w, bias []float32
}

// paramsLen returns the length of Params for cfg.
func paramsLen(cfg Config) int {
	n := cfg.In + cfg.Out*cfg.In
	if cfg.Whiten {
		n += cfg.Out
	}
	return n
}

// New rebuilds a projection from its [Config] and [Projection.Params]. It
// returns an error when the configuration is invalid, when len(params)
// does not match it, or when a parameter is not finite (or a whitening
// scale not positive). New copies params.
func New(cfg Config, params []float32) (*Projection, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if want := paramsLen(cfg); len(params) != want {
		return nil, errors.Newf("reduce: %d parameters for a %s projection %d -> %d (whiten %t); want %d",
			len(params), cfg.Kind, cfg.In, cfg.Out, cfg.Whiten, want)
	}
	for i, x := range params {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, errors.Newf("reduce: parameter %d is %v; want a finite value", i, x)
		}
	}
	p := &Projection{cfg: cfg, params: append([]float32(nil), params...)}
	in, out := cfg.In, cfg.Out
	mean, m := p.params[:in], p.params[in:in+out*in]
	p.w = append([]float32(nil), m...)
	if cfg.Whiten {
		for j, s := range p.params[in+out*in:] {
			if !(s > 0) {
				return nil, errors.Newf("reduce: whitening scale %d is %v; want > 0", j, s)
			}
			row := p.w[j*in : (j+1)*in]
			for i := range row {
				row[i] /= s
			}
		}
	}
	p.bias = make([]float32, out)
	for j := range out {
		var b float64
		for i, x := range p.w[j*in : (j+1)*in] {
			b += float64(x) * float64(mean[i])
		}
		p.bias[j] = float32(b)
	}
	return p, nil
}

func (c Config) validate() error {
	if c.Version != Version {
		return errors.Newf("reduce: config version %d; this build reads version %d", c.Version, Version)
	}
	switch c.Kind {
	case PCA:
	case RP:
		if c.Whiten {
			return errors.New("reduce: a random projection cannot be whitened")
		}
	default:
		return errors.Newf("reduce: unknown kind %q (want %q or %q)", c.Kind, PCA, RP)
	}
	return checkDims(c.In, c.Out)
}

// checkDims validates the dimensions of a projection.
func checkDims(in, out int) error {
	if in < 1 {
		return errors.Newf("reduce: input dimension %d; want >= 1", in)
	}
	if out < 1 || out > in {
		return errors.Newf("reduce: output dimension %d; want 1 to the input dimension %d", out, in)
	}
	return nil
}

// Config returns the projection's configuration.
func (p *Projection) Config() Config { return p.cfg }

// Params returns the projection's parameters, all finite, in this order:
// the mean (In values; zeros for RP), the matrix M (Out rows of In values,
// row-major: row j gives output j), then, when whitened, the Out scales
// (the standard deviation of each output on the fitted sample, by which
// the output is divided). It is a copy the caller may modify.
func (p *Projection) Params() []float32 { return append([]float32(nil), p.params...) }

// InDim returns the input dimension.
func (p *Projection) InDim() int { return p.cfg.In }

// OutDim returns the output dimension.
func (p *Projection) OutDim() int { return p.cfg.Out }

// ExplainedVariance returns, for PCA, the share of the fitted sample's
// total variance that the kept components carry (in [0, 1]); 0 for RP.
func (p *Projection) ExplainedVariance() float64 { return p.cfg.ExplainedVariance }

// Apply projects src (InDim values) into dst (OutDim values). It panics
// with an assertion failure when a length is wrong. It is goroutine-safe
// as long as dst is not shared, and does not allocate.
func (p *Projection) Apply(dst, src []float32) {
	if len(src) != p.cfg.In || len(dst) != p.cfg.Out {
		panic(errors.AssertionFailedf("reduce: Apply: len(src) = %d, len(dst) = %d; want %d and %d", len(src), len(dst), p.cfg.In, p.cfg.Out))
	}
	quant.DotBatch(src, p.w, dst)
	for j, b := range p.bias {
		dst[j] -= b
	}
}

// applyChunk is the number of rows a goroutine of ApplyBatch projects at a
// time.
const applyChunk = 256

// ApplyBatch projects the rows of src (n rows of InDim values) into dst (n
// rows of OutDim values), using up to threads goroutines (0 or less:
// GOMAXPROCS). It panics with an assertion failure when the lengths do
// not describe the same number of rows. Each row's result is the same as
// [Projection.Apply]'s.
func (p *Projection) ApplyBatch(dst, src []float32, threads int) {
	in, out := p.cfg.In, p.cfg.Out
	if len(src)%in != 0 || len(dst)%out != 0 || len(src)/in != len(dst)/out {
		panic(errors.AssertionFailedf("reduce: ApplyBatch: len(src) = %d, len(dst) = %d; want n x %d and n x %d", len(src), len(dst), in, out))
	}
	n := len(src) / in
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	chunks := (n + applyChunk - 1) / applyChunk
	threads = max(1, min(threads, chunks))
	run := func(c int) {
		for r := c * applyChunk; r < min(n, (c+1)*applyChunk); r++ {
			p.Apply(dst[r*out:(r+1)*out], src[r*in:(r+1)*in])
		}
	}
	if threads == 1 {
		for c := range chunks {
			run(c)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
				run(c)
			}
		})
	}
	wg.Wait()
}
