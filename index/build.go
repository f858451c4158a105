package index

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"golang.org/x/sync/errgroup"

	"github.com/vecdb/vecdb/quant"
)

// A build, in the order it runs: BuildOptions.Fill and Validate settle the
// knobs for n records; SampleDocs picks the training sample; Train learns
// the centroids and the codec; an Encoder assigns and encodes the records
// in batches, into DocCodes (a whole build, grouped by list with ByList at
// the end) or straight into Lists (a write's few records). The caller
// reads the rows and stores what comes out: index does no I/O.

// DefaultCodec is the codec a build uses unless told otherwise: 8-bit PQ.
// 4-bit fast-scan PQ is 1.5-2.5x faster at recall@10 >= 0.95 on
// glove-100k, fashion-mnist and the generated 1M x 128 set
// (bench/vs-hnsw.sh), and RaBitQ up to 3.2x, but their coarser estimates
// make filtered searches re-rank deeper to keep their recall: on
// bench/filtered.sh's set pq8 answered the anti-correlated 50% filter at
// 781 q/s, pq4fs at 250 and rabitq at 404 (all 0.999-1.000), and the 10%
// filter at 2,350, 1,543 and 694 (rabitq 1,225 once its filtered probe
// stopped scoring refused codes). Filtered kNN is what vecdb is for, so
// pq8 stays the default.
const DefaultCodec = quant.KindPQ8

// BuildOptions are the knobs of a build. Zero fields take the defaults
// Fill documents.
type BuildOptions struct {
	// Codec is the residuals' codec (default DefaultCodec).
	Codec quant.CodecKind
	// Lists is the number of lists. Default: the power of two nearest
	// 4·√N, within [16, 65536] — FAISS's guidance of 4–16·√N at its low
	// end, which keeps lists long enough that probing a few of them finds
	// the neighbours, and training affordable on two cores. For pq4fs,
	// √N: a fast-scanned code costs a tenth of a pq8 one, so longer lists
	// and fewer centroids to rank pay (at recall@10 0.95, glove-100k:
	// 256 lists 1.3x the q/s of 1,024; fashion-mnist: 256 lists 1.6x).
	Lists int
	// M is the number of PQ sub-quantisers (bytes per code for pq8, half
	// that for pq4fs, whose default is quant.DefaultPQ4M). pq8's default:
	// dimension / 4 up to 128 dimensions, dimension / 8 above (or / 2, / 1,
	// the first that divides it): sub-vectors of 4-8 values give codes
	// accurate enough to pick the candidates re-ranking orders exactly.
	M int
	// NBits is the bits per sub-quantiser code: 8 for pq8, 4 for pq4fs
	// (the default follows the codec).
	NBits int
	// Sample is the number of records trained on. Default:
	// min(N, max(32·Lists, 20000), 262144) — k-means needs a few dozen
	// points per centroid, and training time grows linearly with it.
	Sample int
	// OPQ learns a rotation before PQ.
	OPQ bool
	// PCA, when set, is the dimension D' (1 <= D' < dim) of a PCA
	// pre-transform (like FAISS's "PCA64,IVF..."): the build fits it on the
	// sample, and the centroids, codes and coarse step live in D'
	// dimensions (see IVF.PCA); M's default and its divisibility follow
	// D'. 0 is off. L2 fits a centred PCA; dot and cosine an uncentred one
	// (see quant.FitPCA), since centring would add a per-vector term to
	// inner products that a projection cannot carry.
	PCA int
	// NProbe and Refine are the search defaults stored with the index.
	// Defaults: NProbe = Lists/16 for pq8, Lists/8 for pq4fs (at least 8),
	// Refine = 10.
	NProbe, Refine int
	// Seed drives sampling and training.
	Seed uint64
	// Threads bounds the goroutines used (default GOMAXPROCS).
	Threads int
}

// DefaultBuildOptions returns the knobs of a build of n records of
// dimension dim.
func DefaultBuildOptions(n, dim int) BuildOptions {
	var o BuildOptions
	o.Fill(n, dim)
	return o
}

// Fill sets every zero field to its default for n records of dimension
// dim.
func (o *BuildOptions) Fill(n, dim int) {
	if o.PCA > 0 && o.PCA < dim {
		dim = o.PCA // the codes' dimension
	}
	if o.Codec == 0 {
		o.Codec = DefaultCodec
		if o.OPQ {
			o.Codec = quant.KindPQ8 // the codec OPQ rotates for
		}
	}
	if o.Lists == 0 {
		target := 4 * math.Sqrt(float64(n))
		if o.Codec == quant.KindPQ4FS || o.Codec == quant.KindRaBitQ {
			target /= 4
		}
		p := 1 << bits.Len(uint(target))
		if float64(p)-target > target-float64(p/2) {
			p /= 2
		}
		o.Lists = min(max(p, 16), 65536)
	}
	if o.M == 0 && o.Codec == quant.KindPQ4FS {
		o.M = quant.DefaultPQ4M(dim)
	}
	if o.M == 0 && o.Codec != quant.KindRaBitQ {
		subs := []int{8, 4, 2, 1}
		if dim <= 128 {
			subs = subs[1:]
		}
		for _, sub := range subs {
			if dim%sub == 0 {
				o.M = dim / sub
				break
			}
		}
	}
	if o.NBits == 0 {
		switch o.Codec {
		case quant.KindPQ4FS:
			o.NBits = 4
		case quant.KindRaBitQ:
			o.NBits = quant.DefaultRaBitQBits
		default:
			o.NBits = 8
		}
	}
	if o.Sample == 0 {
		o.Sample = min(n, max(32*o.Lists, 20000), 262144)
	}
	if o.NProbe == 0 {
		o.NProbe = max(o.Lists/16, 8)
		if o.Codec == quant.KindPQ4FS || o.Codec == quant.KindRaBitQ {
			// A sixteenth of √N lists left sift-small at recall@10
			// 0.942; an eighth costs little with fast codes. A build
			// with TargetRecall measures the right one instead.
			o.NProbe = max(o.Lists/8, 8)
		}
	}
	if o.Refine == 0 {
		o.Refine = 10
	}
	if o.Threads <= 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
}

// Validate checks filled options against n records of dimension dim.
func (o *BuildOptions) Validate(n, dim int) error {
	if o.PCA < 0 || o.PCA >= dim {
		return errors.Newf("PCA to %d dimensions: want 1 to %d (below the dimension %d), or 0 for none", o.PCA, dim-1, dim)
	}
	if o.PCA > 0 {
		dim = o.PCA // the codes' dimension
	}
	switch {
	case o.Codec != quant.KindPQ8 && o.Codec != quant.KindPQ4FS && o.Codec != quant.KindRaBitQ:
		return errors.Newf("codec %v cannot be built", o.Codec)
	case o.Codec == quant.KindRaBitQ && (o.NBits < 1 || o.NBits > 8):
		return errors.Newf("%d-bit codes with codec rabitq (1 to 8 bits per dimension)", o.NBits)
	case o.Codec == quant.KindRaBitQ && dim > quant.MaxRaBitQDim:
		return errors.Newf("dimension %d: rabitq codes support at most %d", dim, quant.MaxRaBitQDim)
	case o.Codec == quant.KindRaBitQ && o.M != 0:
		return errors.Newf("M = %d: rabitq codes have no sub-quantisers", o.M)
	case o.Codec == quant.KindRaBitQ && o.OPQ:
		return errors.New("OPQ is not supported with rabitq codes (they are rotated already)")
	case o.Codec == quant.KindPQ8 && o.NBits != 8:
		return errors.Newf("%d-bit codes with codec pq8 (8 bits)", o.NBits)
	case o.Codec == quant.KindPQ4FS && o.NBits != 4:
		return errors.Newf("%d-bit codes with codec pq4fs (4 bits)", o.NBits)
	case o.Codec != quant.KindRaBitQ && (o.M < 1 || dim%o.M != 0):
		return errors.Newf("M = %d does not divide the dimension %d", o.M, dim)
	case o.Codec == quant.KindPQ4FS && o.M > 256:
		return errors.Newf("M = %d: 4-bit fast-scan codes take at most 256 sub-quantisers", o.M)
	case o.Codec == quant.KindPQ4FS && o.OPQ:
		return errors.New("OPQ is not supported with pq4fs codes")
	case o.Lists < 1 || o.Lists > 65536:
		return errors.Newf("%d lists outside [1, 65536]", o.Lists)
	case n < 256 || n < o.Lists:
		return errors.Newf("%d records are too few to train %d lists (need at least max(256, lists)); exact search is fast at this size", n, o.Lists)
	case o.Sample < o.Lists || o.Sample < 256 || o.Sample > n:
		return errors.Newf("sample of %d outside [max(256, lists), records = %d]", o.Sample, n)
	case o.NProbe < 1 || o.Refine < 1:
		return errors.Newf("nprobe %d and refine %d must be at least 1", o.NProbe, o.Refine)
	}
	return nil
}

// TrainOptions returns the options Train takes for this build.
func (o *BuildOptions) TrainOptions() TrainOptions {
	return TrainOptions{Codec: o.Codec, NList: o.Lists, M: o.M, Bits: o.NBits, Seed: o.Seed, Threads: o.Threads, OPQ: o.OPQ, PCA: o.PCA}
}

// SampleDocs returns size docs of live, chosen by seed, ascending (sorted
// reads are cheapest). size must not exceed live's cardinality.
func SampleDocs(live *roaring.Bitmap, size int, seed uint64) []uint32 {
	n := int(live.GetCardinality())
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	picks := r.Perm(n)[:size]
	slices.Sort(picks)
	docs := make([]uint32, 0, size)
	it := live.Iterator()
	pos := 0
	for _, p := range picks {
		var doc uint32
		for ; pos <= p; pos++ {
			doc = it.Next()
		}
		docs = append(docs, doc)
	}
	return docs
}

// Encoder assigns and encodes batches of vectors on all cores. Not
// goroutine-safe: one per build or write.
type Encoder struct {
	ivf     *IVF
	threads int
	assign  []int32
	dists   []float32
	codes   []byte
	// projected holds a batch projected by the index's PCA.
	projected []float32
}

// NewEncoder returns an encoder for batches of about batch vectors on
// threads goroutines (at least 1).
func (ivf *IVF) NewEncoder(batch, threads int) *Encoder {
	return &Encoder{ivf: ivf, threads: max(threads, 1), assign: make([]int32, batch), dists: make([]float32, batch), codes: make([]byte, batch*ivf.CodeSize())}
}

// assignEncode assigns and encodes the n vectors of vecs into e's
// buffers; it returns their squared residual norms' sum.
func (e *Encoder) assignEncode(vecs []float32, n int) float64 {
	ivf, dim, cs := e.ivf, e.ivf.SpaceDim(), e.ivf.CodeSize()
	if cap(e.assign) < n {
		e.assign, e.dists, e.codes = make([]int32, n), make([]float32, n), make([]byte, n*cs)
	}
	assign, dists, codes := e.assign[:n], e.dists[:n], e.codes[:n*cs]
	if ivf.PCA != nil {
		if cap(e.projected) < n*dim {
			e.projected = make([]float32, n*dim)
		}
		e.projected = e.projected[:n*dim]
		ivf.PCA.ApplyBatch(e.projected, vecs[:n*ivf.Dim], e.threads)
		vecs = e.projected
	}
	ivf.cs.Nearest(vecs[:n*dim], assign, dists, e.threads)
	g := errgroup.Group{}
	per := (n + e.threads - 1) / e.threads
	for t := 0; t < n; t += per {
		g.Go(func() error {
			resid := make([]float32, 2*dim)
			for i := t; i < min(t+per, n); i++ {
				ivf.encodeSpace(codes[i*cs:i*cs:(i+1)*cs], vecs[i*dim:(i+1)*dim], int(assign[i]), resid)
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines return no errors
	var total float64
	for _, d := range dists {
		total += float64(d)
	}
	return total
}

// EncodeToLists encodes the vectors of docs (vecs, one row per doc) and
// appends them to their lists, keeping doc order within each list; it
// returns their squared residual norms' sum.
func (e *Encoder) EncodeToLists(vecs []float32, docs []uint32, lists *Lists) float64 {
	n := len(docs)
	total := e.assignEncode(vecs, n)
	cs := e.ivf.CodeSize()
	assign, codes := e.assign[:n], e.codes[:n*cs]
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(assign[a]) - int(assign[b]) })
	var runDocs []uint32
	var runCodes []byte
	for i := 0; i < n; {
		l := assign[order[i]]
		runDocs, runCodes = runDocs[:0], runCodes[:0]
		for ; i < n && assign[order[i]] == l; i++ {
			j := order[i]
			runDocs = append(runDocs, docs[j])
			runCodes = append(runCodes, codes[j*cs:(j+1)*cs]...)
		}
		lists.Append(int(l), runDocs, runCodes)
	}
	return total
}

// EncodeTo encodes the vectors of docs (ascending, past those already in
// codes) into codes; it returns their squared residual norms' sum.
func (e *Encoder) EncodeTo(vecs []float32, docs []uint32, codes *DocCodes) (float64, error) {
	n := len(docs)
	if n > codes.Room() {
		return 0, errors.Newf("index: %d codes for %d free slots", n, codes.Room())
	}
	total := e.assignEncode(vecs, n)
	codes.add(docs, e.assign[:n], e.codes[:n*e.ivf.CodeSize()])
	return total, nil
}

// DocCodes holds a build's codes in doc order, in arrays sized once (the
// number of records is known before a build encodes): 8 + CodeSize bytes
// a record, where lists grown by appending pass through twice that.
// ByList groups them by list. Not goroutine-safe.
type DocCodes struct {
	cs     int
	n      int
	docs   []uint32
	assign []int32
	codes  []byte
}

// NewDocCodes returns room for capacity codes of ivf.
func (ivf *IVF) NewDocCodes(capacity int) *DocCodes {
	cs := ivf.CodeSize()
	return &DocCodes{cs: cs, docs: make([]uint32, capacity), assign: make([]int32, capacity), codes: make([]byte, capacity*cs)}
}

// Len returns the number of codes held.
func (dc *DocCodes) Len() int { return dc.n }

// Room returns the number of codes that still fit.
func (dc *DocCodes) Room() int { return len(dc.docs) - dc.n }

func (dc *DocCodes) add(docs []uint32, assign []int32, codes []byte) {
	copy(dc.docs[dc.n:], docs)
	copy(dc.assign[dc.n:], assign)
	copy(dc.codes[dc.n*dc.cs:], codes)
	dc.n += len(docs)
}

// ByList returns a function handing out each list of ivf in turn: its
// docs (doc order), codes (in the index's layout: packed into blocks for
// a block codec) and L2 terms, in buffers reused from one call
// to the next. It is a counting sort of the codes by list. progress,
// when not nil, hears how many entries were handed out, every 256 lists.
func (dc *DocCodes) ByList(ivf *IVF, progress func(written int)) func(l int) ([]uint32, []byte, []float32) {
	start := make([]int, ivf.NList+1)
	for _, l := range dc.assign[:dc.n] {
		start[l+1]++
	}
	for l := range ivf.NList {
		start[l+1] += start[l]
	}
	order := make([]int32, dc.n)
	next := slices.Clone(start[:ivf.NList])
	for i, l := range dc.assign[:dc.n] {
		order[next[l]] = int32(i)
		next[l]++
	}
	var docs []uint32
	var codes, packed []byte
	var terms []float32
	return func(l int) ([]uint32, []byte, []float32) {
		docs, codes = docs[:0], codes[:0]
		for _, i := range order[start[l]:start[l+1]] {
			docs = append(docs, dc.docs[i])
			codes = append(codes, dc.codes[int(i)*dc.cs:(int(i)+1)*dc.cs]...)
		}
		out := codes
		if bc := ivf.Blocked(); bc != nil {
			// packed is its own buffer: Pack must not read the codes
			// from memory it writes.
			packed = bc.Pack(packed[:0], codes)
			out = packed
		} else {
			terms = ivf.CodeTerms(l, codes, terms[:0])
		}
		if progress != nil && (l%256 == 255 || l == ivf.NList-1) {
			progress(start[l+1])
		}
		return docs, out, terms
	}
}
