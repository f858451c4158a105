package cnn

import (
	"math"
	"runtime"

	"github.com/cockroachdb/errors"
)

// Defaults of [Options], measured on Fashion-MNIST (60,000 28×28 grey
// images, 10 classes) on a shared 2-core VM; see the package doc.
const (
	DefaultDim          = 64
	DefaultEpochs       = 3
	DefaultBatchSize    = 64
	DefaultLearningRate = 2e-3
	DefaultConv1        = 32
	DefaultConv2        = 64
	DefaultSeed         = 1
)

// MinDefaultSteps is the fewest batches (Adam steps) that the default
// number of epochs trains for: on a small set, the default Epochs rises
// above [DefaultEpochs] to reach it. 100 steps take 4 planted shapes in
// 12×12 images from 0.87 (6 steps on 100 images) to 0.95 held-out 5-NN
// vote accuracy, and 100 images at the default sizes about a second.
const MinDefaultSteps = 100

// headScale is [Config.Scale] for trained nets: the head sees the unit
// embedding times 16, so that training shapes the directions that cosine
// retrieval compares, and 16 leaves the softmax room to be confident.
const headScale = 16

// Options configures [Train]. The zero value of a field means its default.
type Options struct {
	// Dim is the embedding dimension. Default 64.
	Dim int
	// Epochs is the number of passes over the images. Default 3, or on a
	// small set as many as make at least [MinDefaultSteps] batches (Adam
	// steps) in all: on Fashion-MNIST 3 epochs reach 0.914 10-NN vote
	// accuracy (the goal was 0.90) in under 5 minutes on 2 busy cores,
	// about 90 s per epoch, but 3 epochs of 100 images are 6 steps, too
	// few to learn anything.
	Epochs int
	// BatchSize is the number of images per Adam step. Default 64.
	BatchSize int
	// LearningRate is Adam's initial step size; it decays to zero over the
	// run along a half cosine. Default 2e-3.
	LearningRate float32
	// Conv1 and Conv2 are the filter counts of the two convolutions.
	// Defaults 32 and 64, the classic small network for 28×28 images; the
	// second convolution is about 90% of the work.
	Conv1, Conv2 int
	// Threads is the number of goroutines computing gradients, each on its
	// share of every batch; zero means GOMAXPROCS. Results are
	// bit-identical for a Seed and a number of threads, on one kind of
	// machine.
	Threads int
	// Seed seeds the weight initialisation and the order of the images.
	// Zero means 1.
	Seed uint64
	// Progress, when set, is called every 100 batches and at the end of
	// every epoch, from Train's goroutine.
	Progress func(Progress)
}

// Progress is a snapshot of a running [Train].
type Progress struct {
	// Epoch (1-based) and Epochs are the current epoch and their number.
	Epoch, Epochs int
	// Batch (1-based) and Batches are the last finished batch of the epoch
	// and the number of batches per epoch.
	Batch, Batches int
	// Loss and Accuracy are the mean cross-entropy and the share of images
	// whose top class was their label, over the epoch's batches so far
	// (measured as each batch was trained on).
	Loss, Accuracy float64
	// ImagesPerSec is the training speed over the epoch so far.
	ImagesPerSec float64
}

// Stats summarises a finished [Train].
type Stats struct {
	// Epochs is the number of epochs run.
	Epochs int
	// Loss and TrainAccuracy are the last epoch's mean loss and accuracy,
	// as in [Progress].
	Loss, TrainAccuracy float64
	// Seconds is the wall time of the training.
	Seconds float64
}

// ensureDefaults replaces zero fields with their defaults for a training
// set of n images.
func (o *Options) ensureDefaults(n int) {
	bs := o.BatchSize
	if bs == 0 {
		bs = DefaultBatchSize
	}
	if o.Epochs == 0 && bs > 0 && n > 0 { // else validate or checkData reports it
		batches := (n + bs - 1) / bs
		o.Epochs = max(DefaultEpochs, (MinDefaultSteps+batches-1)/batches)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Dim, DefaultDim)
	def(&o.Epochs, DefaultEpochs)
	def(&o.BatchSize, DefaultBatchSize)
	def(&o.Conv1, DefaultConv1)
	def(&o.Conv2, DefaultConv2)
	def(&o.Threads, runtime.GOMAXPROCS(0))
	if o.LearningRate == 0 {
		o.LearningRate = DefaultLearningRate
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
}

// validate reports options out of range (after ensureDefaults).
func (o *Options) validate() error {
	switch {
	case o.Dim < 1 || o.Dim > maxSide:
		return errors.Newf("cnn: Dim %d, want 1 to %d", o.Dim, maxSide)
	case o.Epochs < 1:
		return errors.Newf("cnn: Epochs %d, want at least 1", o.Epochs)
	case o.BatchSize < 1:
		return errors.Newf("cnn: BatchSize %d, want at least 1", o.BatchSize)
	case !(o.LearningRate > 0) || math.IsInf(float64(o.LearningRate), 0):
		return errors.Newf("cnn: LearningRate %v, want a finite positive number", o.LearningRate)
	case o.Threads < 1:
		return errors.Newf("cnn: Threads %d, want 0 (all cores) or more", o.Threads)
	}
	return nil
}
