package recsys

import (
	"context"
	"math"
	"math/rand/v2"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/quant"
)

// Defaults for [ALSOptions], tuned on MovieLens-100k (u.data, ratings as
// weights) with the [Split] protocol (random 20% hold-out) on seeds other
// than the one the tests report, see the field docs for the reasons.
const (
	DefaultALSFactors    = 64
	DefaultALSIterations = 15
	DefaultALSLambda     = 40
	DefaultALSAlpha      = 1
)

// maxFactors bounds the number of latent factors: each solver thread holds
// a factors×factors float64 system.
const maxFactors = 1024

// alsInitScale is the standard deviation of the initial user factors.
const alsInitScale = 0.01

// ALSOptions configures [TrainALS] and [NewFolder]. The zero value of a
// numeric field means its default; [DefaultALSOptions] returns the defaults.
type ALSOptions struct {
	// Factors is the number of latent factors, the length of each user and
	// item vector. Default 64: on MovieLens-100k, with the default Lambda,
	// 32 to 128 give NDCG@10 within 1% of each other, and 64 keeps each
	// per-row system (64×64, Cholesky) cheap while leaving room for larger
	// data sets.
	Factors int
	// Iterations is the number of alternating sweeps (items, then users).
	// Default 15: NDCG@10 on MovieLens-100k is within 0.5% of its final
	// value after 8, and flat from 15 to 25.
	Iterations int
	// Lambda is the L2 regularisation weight λ on all user and item
	// vectors (not scaled by counts), as in Hu, Koren and Volinsky.
	// Default 40. It acts against sums over all users (or items) of
	// confidences, so the best value grows with the data and with Alpha:
	// on MovieLens-100k (ratings 1–5 as weights) NDCG@10 peaks at λ ≈ 30–50
	// for α = 1 and λ ≈ 50–60 for α = 2, and a small λ (0.01–1, common
	// elsewhere) loses about a quarter of it (0.33 instead of 0.45).
	Lambda float64
	// Alpha scales weights into confidences, c = 1 + Alpha×weight. Default
	// 1: with ratings as weights, α between 0.5 and 2 (with λ retuned) are
	// equally good on MovieLens-100k, and α ≥ 10 is clearly worse.
	Alpha float64
	// Threads is the number of goroutines solving rows. Default (0):
	// GOMAXPROCS. The result does not depend on it.
	Threads int
	// Seed seeds the initial user factors.
	Seed uint64
	// Progress, when set, is called after every iteration (1-based) with
	// the objective Σ c(p − x·y)² over all user-item pairs plus
	// λ(Σ‖x‖² + Σ‖y‖²), evaluated in float64. Every half-iteration is an
	// exact minimisation, so it never increases from one iteration to the
	// next, except by rounding (about 1e-13 relative) once converged.
	// Computing it costs a few percent of an iteration.
	Progress func(iteration int, objective float64)
}

// DefaultALSOptions returns the default options.
func DefaultALSOptions() ALSOptions {
	return ALSOptions{
		Factors: DefaultALSFactors, Iterations: DefaultALSIterations,
		Lambda: DefaultALSLambda, Alpha: DefaultALSAlpha,
	}
}

// EnsureDefaults replaces zero fields with their defaults.
func (o *ALSOptions) EnsureDefaults() {
	d := DefaultALSOptions()
	if o.Factors == 0 {
		o.Factors = d.Factors
	}
	if o.Iterations == 0 {
		o.Iterations = d.Iterations
	}
	if o.Lambda == 0 {
		o.Lambda = d.Lambda
	}
	if o.Alpha == 0 {
		o.Alpha = d.Alpha
	}
}

// Validate reports options that are out of range.
func (o *ALSOptions) Validate() error {
	switch {
	case o.Factors < 1 || o.Factors > maxFactors:
		return errors.Newf("recsys: ALS factors %d out of range [1, %d]", o.Factors, maxFactors)
	case o.Iterations < 1:
		return errors.Newf("recsys: ALS iterations %d, want at least 1", o.Iterations)
	case !(o.Lambda > 0) || math.IsInf(o.Lambda, 0):
		return errors.Newf("recsys: ALS lambda %v, want a finite positive number", o.Lambda)
	case !(o.Alpha >= 0) || math.IsInf(o.Alpha, 0):
		return errors.Newf("recsys: ALS alpha %v, want a finite non-negative number", o.Alpha)
	case o.Threads < 0:
		return errors.Newf("recsys: ALS threads %d, want 0 (all cores) or more", o.Threads)
	}
	return nil
}

// resolveALSOptions clones opts (nil means defaults), fills in defaults and
// validates.
func resolveALSOptions(opts *ALSOptions) (ALSOptions, error) {
	o := DefaultALSOptions()
	if opts != nil {
		o = *opts
		o.EnsureDefaults()
	}
	return o, o.Validate()
}

// TrainALS trains implicit-feedback ALS (Hu, Koren and Volinsky, 2008) on
// train: every present pair has preference 1 and confidence
// 1 + Alpha×weight, every absent pair preference 0 and confidence 1. Each
// iteration solves every item, then every user, exactly (Cholesky on a
// Factors×Factors system built as YᵀY + Yᵀ(Cᵤ − I)Y + λI), so the objective
// never increases and the final user vectors are exactly what [Folder]
// computes for the same rows. A nil opts means [DefaultALSOptions].
//
// The result is deterministic for a seed, whatever the number of threads.
// TrainALS checks ctx between chunks of rows and returns ctx.Err() once it
// is done.
func TrainALS(ctx context.Context, train *Interactions, opts *ALSOptions) (*Model, error) {
	o, err := resolveALSOptions(opts)
	if err != nil {
		return nil, err
	}
	if train == nil {
		return nil, errors.New("recsys: TrainALS: nil interactions")
	}
	f, threads := o.Factors, threadsOrDefault(o.Threads)
	m := &Model{
		Dim:         f,
		UserFactors: make([]float32, train.NumUsers()*f),
		ItemFactors: make([]float32, train.NumItems()*f),
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x616c73))
	for k := range m.UserFactors {
		m.UserFactors[k] = float32(rng.NormFloat64() * alsInitScale)
	}
	solvers := make([]*alsSolver, threads)
	for w := range solvers {
		solvers[w] = newALSSolver(f, o.Alpha, o.Lambda)
	}
	for it := 1; it <= o.Iterations; it++ {
		if _, err := alsHalf(ctx, m.ItemFactors, m.UserFactors, train.ItemPtr, train.ItemUsers,
			train.ItemWeights, solvers, "item"); err != nil {
			return nil, err
		}
		gramY, err := alsHalf(ctx, m.UserFactors, m.ItemFactors, train.UserPtr, train.UserItems,
			train.UserWeights, solvers, "user")
		if err != nil {
			return nil, err
		}
		if o.Progress != nil {
			obj, err := alsObjective(ctx, train, m, gramY, o.Alpha, o.Lambda, threads)
			if err != nil {
				return nil, err
			}
			o.Progress(it, obj)
		}
	}
	return m, nil
}

// alsHalf solves every row of dst (rows given by the CSR ptr/idx/w over the
// rows of other) against the fixed other side. It returns otherᵀother.
func alsHalf(ctx context.Context, dst, other []float32, ptr []int, idx []int32, w []float32,
	solvers []*alsSolver, what string) ([]float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f := solvers[0].f
	g := gram(other, f, len(solvers))
	var bad atomic.Int64
	bad.Store(-1)
	err := forChunks(ctx, len(ptr)-1, 8, len(solvers), func(worker, lo, hi int) {
		s := solvers[worker]
		for r := lo; r < hi; r++ {
			if !s.solve(dst[r*f:(r+1)*f], other, g, idx[ptr[r]:ptr[r+1]], w[ptr[r]:ptr[r+1]]) {
				bad.CompareAndSwap(-1, int64(r))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if r := bad.Load(); r >= 0 {
		return nil, errors.Newf("recsys: ALS: the system of %s %d is not positive definite (NaN or overflow in the factors?)", what, r)
	}
	return g, nil
}

// solveBlock bounds the observed rows gathered at once by a solve, and so
// the scratch memory per goroutine (2 × solveBlock × Factors floats).
const solveBlock = 2048

// alsSolver holds one goroutine's scratch for per-row least-squares solves.
type alsSolver struct {
	f             int
	alpha, lambda float64
	a, b          []float64
	g, dg, row    []float32
}

func newALSSolver(f int, alpha, lambda float64) *alsSolver {
	return &alsSolver{f: f, alpha: alpha, lambda: lambda,
		a: make([]float64, f*f), b: make([]float64, f), row: make([]float32, f)}
}

// solve sets dst to argmin_x Σ_i c_i(1 − x·y_i)² + Σ_{j∉idx} (x·y_j)² + λ‖x‖²
// over the rows y of other, where idx lists the observed rows with weights w
// and c_i = 1 + α w_i: the solution of
// (YᵀY + Σ_i (c_i − 1) y_i y_iᵀ + λI) x = Σ_i c_i y_i. gram is YᵀY. It reports
// false when the system is not positive definite.
func (s *alsSolver) solve(dst, other []float32, gram []float64, idx []int32, w []float32) bool {
	f := s.f
	a, b := s.a, s.b
	copy(a, gram)
	for c := range f {
		a[c*f+c] += s.lambda
	}
	clear(b)
	if len(idx) == 0 {
		clear(dst)
		return true
	}
	for lo := 0; lo < len(idx); lo += solveBlock {
		hi := min(len(idx), lo+solveBlock)
		s.accumulate(other, idx[lo:hi], w[lo:hi])
	}
	if !cholSolve(a, b, f) {
		return false
	}
	for c := range dst {
		dst[c] = float32(b[c])
	}
	return true
}

// accumulate adds Σ_k (c_k − 1) y_k y_kᵀ to the lower triangle of s.a and
// Σ_k c_k y_k to s.b, over the rows idx of other (at most solveBlock).
func (s *alsSolver) accumulate(other []float32, idx []int32, w []float32) {
	f, n := s.f, len(idx)
	if cap(s.g) < n*f {
		s.g = make([]float32, n*f)
		s.dg = make([]float32, n*f)
	}
	// Gather the rows column-major (g[c*n+k] is factor c of the k-th row),
	// once plain and once scaled by c_k − 1, so that each entry of
	// Yᵀ(C − I)Y is a vectorised dot product of length n, and row c of its
	// lower triangle is one DotBatch of dg's column c against g's columns
	// 0..c.
	g, dg := s.g[:n*f], s.dg[:n*f]
	for k, i := range idx {
		y := other[int(i)*f : int(i)*f+f]
		cw := s.alpha * float64(w[k])
		cw32 := float32(cw)
		for c, v := range y {
			g[c*n+k] = v
			dg[c*n+k] = cw32 * v
			s.b[c] += (1 + cw) * float64(v)
		}
	}
	for c := range f {
		tmp := s.row[:c+1]
		quant.DotBatch(dg[c*n:(c+1)*n], g[:(c+1)*n], tmp)
		for d, v := range tmp {
			s.a[c*f+d] += float64(v)
		}
	}
}

// alsObjective returns Σ_{u,i} c_ui (p_ui − x_u·y_i)² + λ(Σ‖x_u‖² + Σ‖y_i‖²)
// without visiting absent pairs: for each user, Σ_i (x·y_i)² over all items
// is xᵀ(YᵀY)x, and observed pairs add c(1 − s)² − s².
func alsObjective(ctx context.Context, train *Interactions, m *Model, gramY []float64,
	alpha, lambda float64, threads int) (float64, error) {
	f := m.Dim
	perUser := make([]float64, train.NumUsers())
	err := forChunks(ctx, train.NumUsers(), 64, threads, func(_, lo, hi int) {
		for u := lo; u < hi; u++ {
			x := m.UserRow(u)
			q := quadForm(gramY, x, f)
			items, ws := train.UserRow(u)
			for k, i := range items {
				s := dot64(x, m.ItemRow(int(i)))
				c := 1 + alpha*float64(ws[k])
				q += c*(1-s)*(1-s) - s*s
			}
			perUser[u] = q
		}
	})
	if err != nil {
		return 0, err
	}
	var loss, reg float64
	for _, q := range perUser {
		loss += q
	}
	for _, v := range m.UserFactors {
		reg += float64(v) * float64(v)
	}
	for _, v := range m.ItemFactors {
		reg += float64(v) * float64(v)
	}
	return loss + lambda*reg, nil
}
