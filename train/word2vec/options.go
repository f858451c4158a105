package word2vec

import (
	"runtime"
	"time"

	"github.com/cockroachdb/errors"
)

// Arch is the word2vec architecture.
type Arch int

const (
	// SkipGram predicts each context word from the centre word. It is
	// slower than CBOW per word but better on rare words, and is the
	// default.
	SkipGram Arch = iota
	// CBOW predicts the centre word from the mean of its context vectors
	// (word2vec's -cbow 1 with gensim's cbow_mean=1).
	CBOW
)

// String returns "sg" or "cbow".
func (a Arch) String() string {
	switch a {
	case SkipGram:
		return "sg"
	case CBOW:
		return "cbow"
	}
	return "unknown"
}

// ParseArch parses "sg" (or "skipgram") and "cbow".
func ParseArch(s string) (Arch, error) {
	switch s {
	case "sg", "skipgram", "skip-gram":
		return SkipGram, nil
	case "cbow":
		return CBOW, nil
	}
	return 0, errors.Newf("word2vec: unknown model %q (want sg or cbow)", s)
}

// Options configure [Train]. Start from [DefaultOptions]: the zero values
// of Dim, Window, Negative and Epochs are errors, not defaults, since a
// forgotten field would otherwise train something nobody asked for.
type Options struct {
	// Dim is the vector length (default 100, word2vec's and gensim's).
	Dim int
	// Window is the largest distance between a centre word and a context
	// word (default 5). For every centre word a shrink b is drawn
	// uniformly from [0, Window) and the window used is Window-b, as in
	// word2vec, so near words weigh more.
	Window int
	// Negative is the number of negative samples per positive example
	// (default 5). Negatives are drawn from the unigram distribution
	// raised to the power 0.75. There is no hierarchical softmax, so it
	// must be at least 1.
	Negative int
	// Sample is the frequent-word subsampling threshold (default 1e-3, the
	// word2vec and gensim default; 1e-4 or 1e-5 suit large corpora better
	// and also train faster). An occurrence of a word with count f in a
	// corpus of total words is kept with probability
	// (sqrt(f/(Sample*total)) + 1) * Sample*total/f. Zero disables it.
	Sample float64
	// Epochs is the number of passes over the input (default 5).
	Epochs int
	// Arch selects skip-gram (the default) or CBOW.
	Arch Arch
	// Alpha is the starting learning rate; zero means 0.025 for skip-gram
	// and 0.05 for CBOW, word2vec's defaults. It decays linearly to
	// MinAlpha over Epochs times the total word count.
	Alpha float64
	// MinAlpha is the final learning rate (0.0001 in DefaultOptions, as in
	// gensim; zero decays to zero). It must not exceed Alpha.
	MinAlpha float64
	// Threads is the number of training goroutines; zero means
	// runtime.GOMAXPROCS(0). One more goroutine reads the input. Only one
	// thread gives results that are reproducible run to run.
	Threads int
	// Seed seeds the initial vectors and every worker's random numbers
	// (window shrinks, subsampling, negatives).
	Seed int64
	// Subword, when not nil, trains fastText-style vectors: a word's
	// input vector is the mean of its own row and the rows of its
	// character n-grams, so words outside the vocabulary get vectors
	// too. It needs Words.
	Subword *SubwordOptions
	// Words optionally names the ids: Words[id] is the word with that id.
	// Subword needs it to spell the words, and [Model.Vector] looks words
	// up by it. [TrainCorpus] sets it to the vocabulary.
	Words []string
	// Progress, when set, is called about every ProgressInterval and once
	// at the end, from one goroutine at a time. It must not block for
	// long: training goes on meanwhile but the next report waits.
	Progress func(Progress)
	// ProgressInterval is the time between Progress calls (default 1s).
	ProgressInterval time.Duration
}

// SubwordOptions configure fastText-style subword vectors.
type SubwordOptions struct {
	// MinN and MaxN bound the length, in runes, of the character n-grams
	// of "<word>" (defaults 3 and 6, fastText's). Zero means the default.
	MinN, MaxN int
	// Buckets is the number of hash buckets the n-grams share (default
	// 2,000,000, fastText's). Each bucket is a row of Dim float32s, so the
	// buckets take Buckets*Dim*4 bytes: 800 MB at the defaults, during
	// training and in the Model. Smaller values save memory at the cost
	// of more collisions; 100,000-500,000 suit corpora of a few million
	// words.
	Buckets int
}

// Progress is a snapshot of a running [Train].
type Progress struct {
	// Epoch is the epoch being trained, from 1.
	Epoch int
	// Words counts the input words processed so far, over all epochs, as
	// they come from the source (before subsampling).
	Words int64
	// TotalWords is Epochs times the sum of the counts.
	TotalWords int64
	// WordsPerSec is Words divided by Elapsed: all threads together.
	WordsPerSec float64
	// Alpha is the current learning rate.
	Alpha float64
	// Loss is the mean negative-sampling loss per positive example since
	// the previous report (the previous value when no example finished
	// since, zero before the first): -log sigmoid(s+) - sum log sigmoid(-s-) over
	// the positive score s+ and the negative scores s-, read from a table
	// like the sigmoid. It falls as training proceeds; its absolute value
	// depends on Negative.
	Loss float64
	// Elapsed is the time since training started.
	Elapsed time.Duration
}

// DefaultOptions returns the default options: skip-gram, 100 dimensions,
// window 5, 5 negatives, sample 1e-3, 5 epochs, every core.
func DefaultOptions() Options {
	return Options{
		Dim:              100,
		Window:           5,
		Negative:         5,
		Sample:           1e-3,
		Epochs:           5,
		Arch:             SkipGram,
		MinAlpha:         0.0001,
		ProgressInterval: time.Second,
	}
}

// maxDim bounds Dim; far past any useful size, it keeps the matrix sizes
// well inside int.
const maxDim = 1 << 16

// withDefaults fills in the fields whose zero value means "default".
func (o Options) withDefaults() Options {
	if o.Alpha == 0 {
		o.Alpha = 0.025
		if o.Arch == CBOW {
			o.Alpha = 0.05
		}
	}
	if o.Threads == 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = time.Second
	}
	if o.Subword != nil {
		s := *o.Subword
		if s.MinN == 0 {
			s.MinN = 3
		}
		if s.MaxN == 0 {
			s.MaxN = 6
		}
		if s.Buckets == 0 {
			s.Buckets = 2_000_000
		}
		o.Subword = &s
	}
	return o
}

// Validate reports the first invalid field of o, after the defaults of
// fields whose zero value means "default" are applied.
func (o Options) Validate() error {
	o = o.withDefaults()
	switch {
	case o.Dim < 1 || o.Dim > maxDim:
		return errors.Newf("word2vec: Dim %d out of range [1, %d] (start from DefaultOptions)", o.Dim, maxDim)
	case o.Window < 1:
		return errors.Newf("word2vec: Window %d must be at least 1", o.Window)
	case o.Negative < 1:
		return errors.Newf("word2vec: Negative %d must be at least 1 (there is no hierarchical softmax)", o.Negative)
	case !(o.Sample >= 0):
		return errors.Newf("word2vec: Sample %g must be non-negative", o.Sample)
	case o.Epochs < 1:
		return errors.Newf("word2vec: Epochs %d must be at least 1", o.Epochs)
	case o.Arch != SkipGram && o.Arch != CBOW:
		return errors.Newf("word2vec: unknown Arch %d", o.Arch)
	case !(o.Alpha > 0) || o.Alpha > 10:
		return errors.Newf("word2vec: Alpha %g out of range (0, 10]", o.Alpha)
	case !(o.MinAlpha >= 0) || o.MinAlpha > o.Alpha:
		return errors.Newf("word2vec: MinAlpha %g out of range [0, Alpha=%g]", o.MinAlpha, o.Alpha)
	case o.Threads < 1:
		return errors.Newf("word2vec: Threads %d must be positive", o.Threads)
	}
	if s := o.Subword; s != nil {
		switch {
		case s.MinN < 1 || s.MaxN < s.MinN:
			return errors.Newf("word2vec: subword n-gram lengths [%d, %d] invalid", s.MinN, s.MaxN)
		case s.Buckets < 1 || s.Buckets > 1<<30:
			return errors.Newf("word2vec: subword Buckets %d out of range [1, 2^30]", s.Buckets)
		case o.Words == nil:
			return errors.New("word2vec: subword vectors need Options.Words to spell the ids")
		}
	}
	return nil
}
