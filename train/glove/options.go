package glove

import (
	"math"
	"os"
	"runtime"
	"time"

	"github.com/cockroachdb/errors"
)

// Defaults and limits of [Options].
const (
	// DefaultDim is the default vector length: 100, a common size for a
	// corpus of tens of millions of tokens and the length of the reference
	// glove.6B.100d vectors.
	DefaultDim = 100
	// DefaultWindow is the default context window: 10 words on each side,
	// as in GloVe's demo script.
	DefaultWindow = 10
	// MaxWindow bounds Window. Counts are kept exactly as integers in units
	// of 1/lcm(1..Window) (so that 1/d weights add up in any order to the
	// same sum), and lcm(1..20) = 232,792,560 still leaves room in a uint64
	// for a pair weight of 7.9e10.
	MaxWindow = 20
	// DefaultXMax and DefaultAlpha are the weighting function's cut-off and
	// exponent from the paper: f(x) = (x/100)^0.75, capped at 1.
	DefaultXMax  = 100
	DefaultAlpha = 0.75
	// DefaultLearningRate is GloVe's initial AdaGrad learning rate.
	DefaultLearningRate = 0.05
	// DefaultEpochs is the default number of passes over the
	// co-occurrence records: 25, GloVe's default, on which the cost of a
	// 15M-token corpus has flattened out (see the package benchmarks).
	DefaultEpochs = 25
	// DefaultMemoryBytes is the default counting budget, 512 MiB.
	DefaultMemoryBytes = 512 << 20
	// MinMemoryBytes is the smallest accepted budget. It is tiny on purpose,
	// so that tests can force many spill files.
	MinMemoryBytes = 4 << 10
	// maxDim bounds Dim, to keep Vocab*Dim far from overflowing.
	maxDim = 1 << 16
)

// Per-entry memory costs charged against [Options.MemoryBytes].
const (
	// denseCellBytes is the cost of one cell of the dense table of
	// frequent pairs (a uint64 count), allocated up front.
	denseCellBytes = 8
	// sparseRecordBytes is the cost of one buffered (pair key, count)
	// record of the spill buffer.
	sparseRecordBytes = 16
	// trainRecordBytes is the cost of one training record (two uint32
	// word ids and a float32 log count), in memory and on disk.
	trainRecordBytes = 12
)

// Options configure [Count] and [Train]. The zero value of a field means its
// default; [DefaultOptions] returns all of them filled in. Train and Count
// copy the options they are given and never modify the caller's value.
type Options struct {
	// Dim is the vector length (default 100, see [DefaultDim]).
	Dim int
	// Window is the number of words on each side of a word that count as
	// its context (default 10, as in GloVe's demo; at most [MaxWindow]).
	// A context word d positions away adds 1/d to the pair's count, the
	// window is symmetric, and it never crosses the end of a line.
	Window int
	// XMax and Alpha shape the weighting function f(x) = (x/XMax)^Alpha,
	// capped at 1 (defaults 100 and 0.75, the paper's values).
	XMax, Alpha float64
	// LearningRate is AdaGrad's initial learning rate (default 0.05, as in
	// GloVe).
	LearningRate float64
	// Epochs is the number of passes over the co-occurrence records
	// (default 25, GloVe's default).
	Epochs int
	// Threads is the number of training goroutines (default
	// runtime.GOMAXPROCS(0)). With more than one, updates are lock-free
	// (Hogwild) and the result depends on scheduling; with one it is a
	// function of the corpus, the options and Seed (on a given machine:
	// the dot product kernel rounds differently with and without FMA).
	Threads int
	// Seed seeds the initial vectors and the shuffle of the records. Every
	// value, 0 included, is a valid seed.
	Seed uint64
	// MemoryBytes is the budget in bytes for the co-occurrence counts
	// (default 512 MiB, [DefaultMemoryBytes]; at least [MinMemoryBytes]).
	// Half goes to a dense table of the most frequent pairs at 8 bytes a
	// cell, allocated up front, and half to a buffer of other pairs at 16
	// bytes a record, which is sorted and compacted when full and written
	// to a sorted run file in TempDir when compacting no longer frees
	// enough. Training then holds its records (12 bytes for each non-zero
	// X_ij, both (i, j) and (j, i)) in memory if they fit in the same
	// budget, and otherwise streams them from a shuffled file each epoch.
	// The model (four Vocab x (Dim+1) float32 matrices) and about 256 KiB
	// of read buffer per open run file come on top.
	MemoryBytes int64
	// TempDir is where spill files go (default os.TempDir()). Each Count
	// makes its own subdirectory there and removes it when done, on errors
	// and cancellation too.
	TempDir string
	// Progress, when set, is called after each counted chunk of the corpus,
	// after merging, and after each epoch. It is called from one goroutine
	// at a time and should return quickly.
	Progress func(Progress)
}

// DefaultOptions returns the default options.
func DefaultOptions() Options {
	var o Options
	o.EnsureDefaults()
	return o
}

// EnsureDefaults fills in zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	setDefault(&o.Dim, DefaultDim)
	setDefault(&o.Window, DefaultWindow)
	setDefault(&o.XMax, DefaultXMax)
	setDefault(&o.Alpha, DefaultAlpha)
	setDefault(&o.LearningRate, DefaultLearningRate)
	setDefault(&o.Epochs, DefaultEpochs)
	setDefault(&o.Threads, runtime.GOMAXPROCS(0))
	setDefault(&o.MemoryBytes, DefaultMemoryBytes)
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
}

func setDefault[T int | int64 | float64](p *T, def T) {
	if *p == 0 {
		*p = def
	}
}

// Validate reports the first invalid field. It expects defaults to have
// been filled in.
func (o *Options) Validate() error {
	switch {
	case o.Dim < 1 || o.Dim > maxDim:
		return errors.Newf("glove: Dim %d out of range [1, %d]", o.Dim, maxDim)
	case o.Window < 1 || o.Window > MaxWindow:
		return errors.Newf("glove: Window %d out of range [1, %d]", o.Window, MaxWindow)
	case !(o.XMax > 0) || math.IsInf(o.XMax, 0):
		return errors.Newf("glove: XMax %v must be positive and finite", o.XMax)
	case !(o.Alpha >= 0) || math.IsInf(o.Alpha, 0):
		return errors.Newf("glove: Alpha %v must be non-negative and finite", o.Alpha)
	case !(o.LearningRate > 0) || math.IsInf(o.LearningRate, 0):
		return errors.Newf("glove: LearningRate %v must be positive and finite", o.LearningRate)
	case o.Epochs < 1:
		return errors.Newf("glove: Epochs %d must be positive", o.Epochs)
	case o.Threads < 1:
		return errors.Newf("glove: Threads %d must be positive", o.Threads)
	case o.MemoryBytes < MinMemoryBytes:
		return errors.Newf("glove: MemoryBytes %d below the minimum %d", o.MemoryBytes, MinMemoryBytes)
	}
	return nil
}

// prepare copies opts, fills in the defaults and validates the result.
func prepare(opts Options) (Options, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return opts, err
	}
	return opts, nil
}

// Stage names a phase of training in a [Progress] report.
type Stage string

// The stages of [Train], in order.
const (
	// StageCount is the pass over the corpus that counts co-occurrences.
	StageCount Stage = "count"
	// StageMerge merges the counts and shuffles the training records.
	StageMerge Stage = "merge"
	// StageTrain is one epoch of AdaGrad.
	StageTrain Stage = "train"
)

// Progress reports how far [Count] or [Train] has got.
type Progress struct {
	Stage Stage
	// Epoch is the epoch just finished (1-based) and Epochs the total, in
	// StageTrain.
	Epoch, Epochs int
	// Cost is the mean weighted squared error of the epoch just finished,
	// sum f(X_ij) (w_i·w̃_j + b_i + b̃_j − log X_ij)² / Records, as
	// accumulated during the epoch (GloVe prints half of it).
	Cost float64
	// Tokens is the number of corpus tokens read so far (StageCount).
	Tokens int64
	// Records is the number of pair updates counted so far in StageCount
	// (each (i, j) pair within the window once), and the number of
	// training records (non-zero X_ij, both orders) in StageMerge and
	// StageTrain.
	Records int64
	// Runs is the number of sorted run files spilled so far.
	Runs int
	// Elapsed is the time since the call started.
	Elapsed time.Duration
}

func (o *Options) report(p Progress) {
	if o.Progress != nil {
		o.Progress(p)
	}
}
