package cnn

import (
	"math"
	"runtime"
	"sync"

	"github.com/cockroachdb/errors"
)

// ConfigVersion is the version of [Config] and of the parameter order of
// [Net.Params] that this package writes and reads.
const ConfigVersion = 1

// Shape is the shape of an image: H rows of W pixels of C channels, stored
// row-major with the channels last (pixel (y, x) channel c is at index
// (y*W+x)*C+c).
type Shape struct {
	H int `json:"h"`
	W int `json:"w"`
	C int `json:"c"`
}

// Size returns H*W*C, the number of float32s of one image.
func (s Shape) Size() int { return s.H * s.W * s.C }

// Config describes a network's architecture; with [Net.Params] it is all
// that [New] needs to rebuild a trained net. It is JSON-serialisable.
type Config struct {
	// Version is [ConfigVersion].
	Version int `json:"version"`
	// Shape is the shape of the input images.
	Shape Shape `json:"shape"`
	// Conv1 and Conv2 are the filter counts of the two 3×3 convolutions.
	Conv1 int `json:"conv1"`
	Conv2 int `json:"conv2"`
	// Dim is the embedding dimension.
	Dim int `json:"dim"`
	// Classes is the number of classes of the training head.
	Classes int `json:"classes"`
	// Scale multiplies the L2-normalised embedding before the classification
	// head during training (a cosine-softmax temperature). It changes only
	// the head's loss, not [Net.Embed].
	Scale float32 `json:"scale"`
}

// maxSide bounds every dimension of a Config so that sizes fit in int32
// and a corrupt config cannot ask for absurd allocations.
const maxSide = 1 << 12

// Validate reports a config that New cannot build.
func (c Config) Validate() error {
	switch {
	case c.Version != ConfigVersion:
		return errors.Newf("cnn: config version %d, want %d", c.Version, ConfigVersion)
	case c.Shape.H < 4 || c.Shape.W < 4 || c.Shape.H > maxSide || c.Shape.W > maxSide:
		return errors.Newf("cnn: image shape %dx%d, want each side in [4, %d]", c.Shape.H, c.Shape.W, maxSide)
	case c.Shape.C < 1 || c.Shape.C > 64:
		return errors.Newf("cnn: %d channels, want 1 to 64", c.Shape.C)
	case c.Conv1 < 1 || c.Conv1 > 1024 || c.Conv2 < 1 || c.Conv2 > 1024:
		return errors.Newf("cnn: filters %d and %d, want 1 to 1024", c.Conv1, c.Conv2)
	case c.Dim < 1 || c.Dim > maxSide:
		return errors.Newf("cnn: dim %d, want 1 to %d", c.Dim, maxSide)
	case c.Classes < 2 || c.Classes > 1<<16:
		return errors.Newf("cnn: %d classes, want 2 to %d", c.Classes, 1<<16)
	case !(c.Scale >= 0) || math.IsInf(float64(c.Scale), 0):
		return errors.Newf("cnn: scale %v, want a finite number ≥ 0", c.Scale)
	}
	if n := c.layout().total; n > 1<<30 {
		return errors.Newf("cnn: %d parameters, want at most %d", n, 1<<30)
	}
	return nil
}

// layout holds the sizes of the layers and the offsets of their
// parameters in the flat parameter vector.
type layout struct {
	h, w, c        int // input
	ph, pw         int // after the first pooling
	qh, qw         int // after the second pooling
	f1, f2, k1, k2 int // filters and im2col row lengths (9*channels in)
	flat           int // h3*w3*f2, the input of the embedding layer
	dim, classes   int
	// Offsets into the parameters, in Params order.
	w1, b1, w2, b2, we, be, wh, bh, total int
}

func (c Config) layout() layout {
	l := layout{h: c.Shape.H, w: c.Shape.W, c: c.Shape.C, f1: c.Conv1, f2: c.Conv2, dim: c.Dim, classes: c.Classes}
	l.ph, l.pw = l.h/2, l.w/2
	l.qh, l.qw = l.ph/2, l.pw/2
	l.k1, l.k2 = 9*l.c, 9*l.f1
	l.flat = l.qh * l.qw * l.f2
	off := 0
	next := func(n int) int { o := off; off += n; return o }
	l.w1, l.b1 = next(l.f1*l.k1), next(l.f1)
	l.w2, l.b2 = next(l.f2*l.k2), next(l.f2)
	l.we, l.be = next(l.dim*l.flat), next(l.dim)
	l.wh, l.bh = next(l.classes*l.dim), next(l.classes)
	l.total = off
	return l
}

// Net is a trained convolutional embedding network:
//
//	conv3x3(Conv1)-ReLU-maxpool2 → conv3x3(Conv2)-ReLU-maxpool2 → dense(Dim) → L2 normalisation
//
// plus the classification head dense(Classes) it was trained with. A Net
// is goroutine-safe: its parameters are never modified after [Train] or
// [New] returns it, and each call to [Net.Embed] takes its scratch space
// from a pool.
type Net struct {
	cfg    Config
	l      layout
	params []float32
	// wk1 and wk2 are the convolution weights transposed to input-major,
	// for the forward pass; see transpose.
	wk1, wk2 []float32
	pool     sync.Pool // of *scratch
}

// New rebuilds a net from its config and parameters (as [Net.Config] and
// [Net.Params] return them). It copies params and returns an error when the
// config is invalid, the number of parameters does not match it or a
// parameter is not finite.
func New(cfg Config, params []float32) (*Net, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := cfg.layout()
	if len(params) != l.total {
		return nil, errors.Newf("cnn: %d parameters, want %d for this config", len(params), l.total)
	}
	for i, v := range params {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, errors.Newf("cnn: parameter %d is %v", i, v)
		}
	}
	return newNet(cfg, append([]float32(nil), params...)), nil
}

// newNet wraps params, which it keeps, in a Net.
func newNet(cfg Config, params []float32) *Net {
	n := &Net{cfg: cfg, l: cfg.layout(), params: params}
	n.wk1, n.wk2 = make([]float32, n.l.b1-n.l.w1), make([]float32, n.l.b2-n.l.w2)
	n.transpose()
	n.pool.New = func() any { return newScratch(&n.l, false) }
	return n
}

// transpose refreshes wk1 and wk2 from the parameters.
func (n *Net) transpose() {
	l := &n.l
	transpose(n.wk1, n.params[l.w1:l.b1], l.f1, l.k1)
	transpose(n.wk2, n.params[l.w2:l.b2], l.f2, l.k2)
}

// Config returns the net's architecture.
func (n *Net) Config() Config { return n.cfg }

// Params returns a copy of every parameter, in this order: the first
// convolution's weights (Conv1 rows of 9*C, each in (ky, kx, c) order) and
// biases, the second's (Conv2 rows of 9*Conv1) and biases, the embedding
// layer's weights (Dim rows, one weight per value of the last pooled map
// in (y, x, c) order) and biases, then the head's weights (Classes rows of
// Dim) and biases. All are finite. The caller owns the slice.
func (n *Net) Params() []float32 { return append([]float32(nil), n.params...) }

// InDim returns the number of float32s of an input image, H*W*C.
func (n *Net) InDim() int { return n.cfg.Shape.Size() }

// OutDim returns the embedding dimension.
func (n *Net) OutDim() int { return n.cfg.Dim }

// Embed writes the L2-normalised embedding of img (H*W*C pixels, scaled to
// [0, 1] as for training) into dst, of length [Net.OutDim]. An embedding
// of norm zero stays zero. It panics if either length is wrong; it is
// goroutine-safe.
func (n *Net) Embed(dst, img []float32) {
	if len(img) != n.InDim() || len(dst) != n.OutDim() {
		panic(errors.AssertionFailedf("cnn: Embed: image of %d values and dst of %d, want %d and %d",
			len(img), len(dst), n.InDim(), n.OutDim()))
	}
	s := n.pool.Get().(*scratch)
	n.forward(s, img)
	copy(dst, s.unit)
	n.pool.Put(s)
}

// EmbedBatch embeds the images of imgs (consecutive InDim-long images)
// into dst (consecutive OutDim-long embeddings) on threads goroutines
// (0: GOMAXPROCS). It panics if the lengths do not agree.
func (n *Net) EmbedBatch(dst, imgs []float32, threads int) {
	in, out := n.InDim(), n.OutDim()
	cnt := len(imgs) / in
	if len(imgs) != cnt*in || len(dst) != cnt*out {
		panic(errors.AssertionFailedf("cnn: EmbedBatch: %d pixels and dst of %d for images of %d and embeddings of %d",
			len(imgs), len(dst), in, out))
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = min(threads, cnt)
	var wg sync.WaitGroup
	for t := range threads {
		lo, hi := cnt*t/threads, cnt*(t+1)/threads
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				n.Embed(dst[i*out:(i+1)*out], imgs[i*in:(i+1)*in])
			}
		})
	}
	wg.Wait()
}
