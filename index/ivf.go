package index

import (
	"context"
	"encoding/binary"
	"math"
	"sync"

	"github.com/cockroachdb/errors"

	"github.com/vecdb/vecdb/quant"
)

// IVF is an inverted-file index over quantised residuals: the coarse
// quantiser splits the space into NList cells (k-means centroids); each
// vector is stored in the list of its nearest centroid as the code of its
// residual (vector minus centroid) under the index's codec. A search
// probes the lists whose centroids are closest to the query and ranks
// their codes by the codec's distance estimates — an approximation that
// the caller re-ranks with raw vectors.
//
// With a PCA pre-transform, the index lives in the PCA's reduced space:
// every method that takes a raw vector (Search, Probe, Assign, Encode,
// an Encoder's batches, Train's sample) projects it
// first, and the centroids, codes and distance estimates are those of the
// projected vectors. Raw vectors (re-ranking) stay Dim-dimensional.
//
// An IVF is immutable once trained and goroutine-safe.
type IVF struct {
	// Dim is the dimension of the vectors the index takes (the
	// collection's), before any PCA.
	Dim       int
	Metric    quant.Metric
	NList     int
	Centroids []float32   // NList x SpaceDim()
	Codec     quant.Codec // trained on the residuals, SpaceDim() values
	// PCA, when not nil, projects vectors from Dim to PCA.Out dimensions
	// before the index sees them (BuildOptions.PCA): centred for L2,
	// uncentred (zero mean) for dot and cosine, so that inner products in
	// the kept subspace are preserved.
	PCA *quant.PCA

	cs *quant.CentroidSet // Centroids laid out for assignment

	// listTables are the lists' query-independent tables, for a codec
	// that splits L2 estimates so (see quant.ListL2Codec), made on first
	// use.
	listTablesOnce sync.Once
	listTables     []float32
	listTableLen   int

	// coarseCodes are the centroids' codes for an estimated coarse step
	// (see coarse.go), made on first use.
	coarseOnce  sync.Once
	coarseCodes *coarseCodes
}

// listL2 returns the codec as a quant.ListL2Codec for an L2 index whose
// codec splits its estimates, and the tables of its lists.
func (ivf *IVF) listL2() (quant.ListL2Codec, []float32) {
	lc, ok := ivf.Codec.(quant.ListL2Codec)
	if !ok || ivf.Metric != quant.L2 {
		return nil, nil
	}
	ivf.listTablesOnce.Do(func() {
		for l := range ivf.NList {
			ivf.listTables = lc.ListTable(ivf.centroid(l), ivf.listTables)
		}
		ivf.listTableLen = len(ivf.listTables) / ivf.NList
	})
	return lc, ivf.listTables
}

// TrainOptions configure Train. Zero fields take the defaults documented
// on each.
type TrainOptions struct {
	// NList is the number of lists (required).
	NList int
	// Codec is the residuals' codec (default quant.KindPQ8).
	Codec quant.CodecKind
	// M is the number of PQ sub-quantisers; Dim must be a multiple of M.
	// RaBitQ has none.
	M int
	// Bits is the bits per dimension of RaBitQ codes.
	Bits int
	// Seed drives k-means initialisation and sampling.
	Seed uint64
	// Threads bounds the goroutines used (0: GOMAXPROCS).
	Threads int
	// KMeansIters is the number of coarse k-means iterations (default 10:
	// the coarse quantiser only has to split the space evenly, and recall
	// comes from probing and re-ranking, so more iterations buy little).
	KMeansIters int
	// PQIters is the number of k-means iterations per sub-quantiser
	// (default 25).
	PQIters int
	// OPQ learns a rotation of the residuals before PQ (Ge et al. 2013).
	// It pays on data whose variance is uneven across dimensions; training
	// takes a few times longer.
	OPQ bool
	// PCA, when in [1, dim), fits a PCA to that many dimensions on the
	// sample (at most pcaFitMax of its rows) and trains the index in the
	// projected space (see IVF.PCA); M then divides PCA, not dim.
	PCA int
}

// pcaFitMax bounds the sample rows a PCA is fitted on (evenly strided): the
// covariance costs rows x dim² multiply-adds (16,384 rows of 784-d: 10^10,
// a few seconds on two cores), and the top components of a few hundred
// dimensions are stable long before that.
const pcaFitMax = 16384

// SpaceDim returns the dimension the index's centroids and codes live in:
// PCA.Out with a PCA, Dim otherwise.
func (ivf *IVF) SpaceDim() int {
	if ivf.PCA != nil {
		return ivf.PCA.Out
	}
	return ivf.Dim
}

// project returns v in the index's space: v itself without a PCA, else its
// projection written into buf (at least SpaceDim() values).
func (ivf *IVF) project(buf, v []float32) []float32 {
	if ivf.PCA == nil {
		return v
	}
	return ivf.PCA.Apply(buf, v)
}

// fitPCA fits the PCA of a build on up to pcaFitMax rows of the n of
// sample (centred for L2 only: see IVF.PCA) and returns it with the
// projected sample.
func fitPCA(ctx context.Context, sample []float32, n, dim, out int, metric quant.Metric, threads int) (*quant.PCA, []float32, error) {
	fit := sample
	if rows := min(n, pcaFitMax); rows < n {
		fit = make([]float32, 0, rows*dim)
		for i := range rows {
			r := i * n / rows
			fit = append(fit, sample[r*dim:(r+1)*dim]...)
		}
	}
	p, err := quant.TrainPCA(ctx, fit, len(fit)/dim, dim, out, metric == quant.L2)
	if err != nil {
		return nil, nil, errors.Wrap(err, "fitting the PCA pre-transform")
	}
	projected := make([]float32, n*out)
	p.ApplyBatch(projected, sample, threads)
	return p, projected, nil
}

// Train learns the coarse centroids and the residual codec from a sample of
// n = len(sample)/dim vectors (cosine vectors already normalised), after
// fitting and applying a PCA when opts.PCA is set. Without a PCA it
// overwrites sample with the residuals the codec trains on, so a build
// holds one copy of its sample, not two; with one it leaves sample as it
// is and trains on its projection.
func Train(ctx context.Context, sample []float32, dim int, metric quant.Metric, opts TrainOptions) (*IVF, error) {
	if dim < 1 || len(sample)%dim != 0 {
		return nil, errors.Newf("index: sample of %d values is not a multiple of dimension %d", len(sample), dim)
	}
	n := len(sample) / dim
	space := dim
	if opts.PCA != 0 {
		space = opts.PCA
	}
	switch {
	case !metric.Valid():
		return nil, errors.Newf("index: unknown metric %d", metric)
	case opts.NList < 1:
		return nil, errors.Newf("index: %d lists, want at least 1", opts.NList)
	case opts.PCA < 0 || opts.PCA >= dim:
		return nil, errors.Newf("index: PCA to %d dimensions; want 1 to %d (below the dimension)", opts.PCA, dim-1)
	case opts.Codec != quant.KindRaBitQ && (opts.M < 1 || space%opts.M != 0):
		return nil, errors.Newf("index: M = %d does not divide dimension %d", opts.M, space)
	case n < opts.NList || n < 256:
		return nil, errors.Newf("index: %d training vectors, need at least max(%d lists, 256)", n, opts.NList)
	}
	var pca *quant.PCA
	if opts.PCA != 0 {
		var err error
		if pca, sample, err = fitPCA(ctx, sample, n, dim, opts.PCA, metric, opts.Threads); err != nil {
			return nil, err
		}
	}
	raw := dim
	dim = space
	iters := opts.KMeansIters
	if iters == 0 {
		iters = 10
	}
	centroids, err := quant.KMeans(ctx, sample, dim, quant.KMeansOptions{K: opts.NList, Iters: iters, Seed: opts.Seed, Threads: opts.Threads})
	if err != nil {
		return nil, errors.Wrap(err, "training coarse centroids")
	}
	ivf := &IVF{Dim: raw, Metric: metric, NList: opts.NList, Centroids: centroids, PCA: pca}
	if ivf.cs, err = quant.NewCentroidSet(centroids, dim); err != nil {
		return nil, err
	}
	assign := make([]int32, n)
	ivf.cs.Nearest(sample, assign, nil, opts.Threads)
	residuals := sample
	for i := range n {
		r := residuals[i*dim : (i+1)*dim]
		ivf.residual(r, r, int(assign[i]))
	}
	ivf.Codec, err = quant.TrainCodec(ctx, residuals, dim, quant.CodecOptions{
		Kind: opts.Codec, M: opts.M, Bits: opts.Bits, OPQ: opts.OPQ, Iters: opts.PQIters, Seed: opts.Seed + 1, Threads: opts.Threads,
	})
	if err != nil {
		return nil, errors.Wrap(err, "training the residual codec")
	}
	return ivf, nil
}

// centroid returns list l's centroid.
func (ivf *IVF) centroid(l int) []float32 {
	d := ivf.SpaceDim()
	return ivf.Centroids[l*d : (l+1)*d]
}

// residual writes v - centroid(l) into dst.
func (ivf *IVF) residual(dst, v []float32, l int) {
	c := ivf.centroid(l)
	for i := range dst {
		dst[i] = v[i] - c[i]
	}
}

// Assign returns the list of v (Dim values): its nearest centroid under
// squared L2, the cell whose residual is smallest (also for inner-product
// metrics), and that squared distance (in the index's space). It ranks
// exactly like an Encoder's batches.
func (ivf *IVF) Assign(v []float32) (int, float32) {
	if ivf.PCA == nil {
		return ivf.cs.NearestOne(v)
	}
	s := ivf.getScratch()
	defer scratchPool.Put(s)
	return ivf.cs.NearestOne(ivf.project(s.q, v))
}

// Encode appends the code of v's residual in list l; v has Dim values.
// scratch holds at least 2 x Dim values.
func (ivf *IVF) Encode(dst []byte, v []float32, l int, scratch []float32) []byte {
	return ivf.encodeSpace(dst, ivf.project(scratch, v), l, scratch)
}

// encodeSpace is Encode of a vector already in the index's space (which
// may be scratch[:SpaceDim()]).
func (ivf *IVF) encodeSpace(dst []byte, v []float32, l int, scratch []float32) []byte {
	d := ivf.SpaceDim()
	r := scratch[:d]
	ivf.residual(r, v, l)
	return ivf.Codec.Encode(dst, r, scratch[d:2*d])
}

// CodeSize returns the bytes per code.
func (ivf *IVF) CodeSize() int { return ivf.Codec.CodeSize() }

// SubQuantisers returns the number of sub-quantisers of a product
// quantiser codec (0 for other codecs).
func (ivf *IVF) SubQuantisers() int {
	if pq, ok := ivf.Codec.(interface{ M() int }); ok {
		return pq.M()
	}
	return 0
}

// CodeBits returns the bits per dimension of a RaBitQ codec (0 for
// other codecs).
func (ivf *IVF) CodeBits() int {
	if rq, ok := ivf.Codec.(*quant.RaBitQ); ok {
		return rq.Bits()
	}
	return 0
}

// HasTerms says whether the index's lists carry code terms: L2 indexes
// whose codec scores codes one by one. A block codec's lists are scored
// with a table set per list from the query's residual instead (see
// quant.PQ4.Terms).
func (ivf *IVF) HasTerms() bool { return ivf.Metric == quant.L2 && ivf.Blocked() == nil }

// CodeTerms appends to dst, for an L2 index, the query-independent term
// of each code of list l (see [quant.Codec]), and returns dst unchanged
// otherwise: a search then scores every list with one estimator set once
// per query, where it would set one per probed list. Not goroutine-safe
// for the same dst.
func (ivf *IVF) CodeTerms(l int, codes []byte, dst []float32) []float32 {
	if !ivf.HasTerms() || len(codes) == 0 {
		return dst
	}
	return ivf.Codec.Terms(ivf.centroid(l), codes, dst)
}

// Stored IVF:
//
//	+---------+---------+--------+-----------+--------------------------+------------------------------+
//	| version | dim u32 | metric | nlist u32 | centroids nlist*dim f32  | codec                        |
//	+---------+---------+--------+-----------+--------------------------+------------------------------+
//
// The codec of version 1 is a quant.PQ; of version 2 a quant.PQ and a
// quant.Rotation (the 8-bit PQ codec, written so by every release); of
// version 3 any codec, as quant.AppendCodec writes it. Version 4 (an index
// with a PCA pre-transform) has the PCA between the header and the
// centroids, which are then of the PCA's output dimension, and a tagged
// codec:
//
//	+---------+---------+--------+-----------+----------------------+-------------------------------+-------+
//	| 4       | dim u32 | metric | nlist u32 | quant.PCA (dim -> d) | centroids nlist*d f32         | codec |
//	+---------+---------+--------+-----------+----------------------+-------------------------------+-------+
const (
	ivfVersion       byte = 1
	ivfVersionOPQ    byte = 2
	ivfVersionTagged byte = 3
	ivfVersionPCA    byte = 4
)

// maxNList bounds the lists a stored IVF may declare.
const maxNList = 1 << 20

// AppendBinary appends the IVF's encoding.
func (ivf *IVF) AppendBinary(dst []byte) ([]byte, error) {
	pqc, isPQ := ivf.Codec.(*quant.PQCodec)
	return ivf.appendBinary(dst, !isPQ || ivf.PCA != nil, pqc)
}

func (ivf *IVF) appendBinary(dst []byte, tagged bool, pqc *quant.PQCodec) ([]byte, error) {
	v := ivfVersionTagged
	switch {
	case ivf.PCA != nil:
		v = ivfVersionPCA
	case tagged:
	case pqc.Rot != nil:
		v = ivfVersionOPQ
	default:
		v = ivfVersion
	}
	dst = append(dst, v)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(ivf.Dim))
	dst = append(dst, byte(ivf.Metric))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(ivf.NList))
	if ivf.PCA != nil {
		var err error
		if dst, err = ivf.PCA.AppendBinary(dst); err != nil {
			return dst, err
		}
	}
	for _, x := range ivf.Centroids {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
	}
	if tagged {
		return quant.AppendCodec(dst, ivf.Codec)
	}
	dst, err := pqc.PQ.AppendBinary(dst)
	if err != nil || pqc.Rot == nil {
		return dst, err
	}
	return pqc.Rot.AppendBinary(dst)
}

// DecodeIVF decodes an IVF, checking every length before allocating.
func DecodeIVF(b []byte) (*IVF, error) {
	if len(b) < 10 || b[0] < ivfVersion || b[0] > ivfVersionPCA {
		return nil, errors.Newf("index: bad IVF header")
	}
	version := b[0]
	dim := binary.LittleEndian.Uint32(b[1:])
	metric := quant.Metric(b[5])
	nlist := binary.LittleEndian.Uint32(b[6:])
	b = b[10:]
	if dim == 0 || dim > 1<<16 || nlist == 0 || nlist > maxNList || !metric.Valid() {
		return nil, errors.Newf("index: bad IVF shape (dim %d, lists %d, metric %d)", dim, nlist, metric)
	}
	ivf := &IVF{Dim: int(dim), Metric: metric, NList: int(nlist)}
	space := dim
	if version == ivfVersionPCA {
		pca, used, err := quant.DecodePCA(b)
		if err != nil {
			return nil, errors.Wrap(err, "index: decoding the PCA pre-transform")
		}
		if pca.In != int(dim) || pca.Out >= pca.In {
			return nil, errors.Newf("index: PCA from %d to %d dimensions in an IVF of dimension %d", pca.In, pca.Out, dim)
		}
		ivf.PCA, space, b = pca, uint32(pca.Out), b[used:]
	}
	need := uint64(space) * uint64(nlist) * 4
	if need > uint64(len(b)) {
		return nil, errors.Newf("index: IVF of %d bytes cannot hold %d centroids of dimension %d", len(b), nlist, space)
	}
	ivf.Centroids = make([]float32, space*nlist)
	for i := range ivf.Centroids {
		ivf.Centroids[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	rest := b[need:]
	var err error
	if version >= ivfVersionTagged {
		ivf.Codec, err = quant.DecodeCodec(rest)
	} else {
		ivf.Codec, err = quant.DecodePQParts(rest, version == ivfVersionOPQ)
	}
	if err != nil {
		return nil, errors.Wrap(err, "index: decoding the residual codec")
	}
	if ivf.Codec.Dim() != int(space) {
		return nil, errors.Newf("index: codec dimension %d, IVF dimension %d", ivf.Codec.Dim(), space)
	}
	if ivf.cs, err = quant.NewCentroidSet(ivf.Centroids, int(space)); err != nil {
		return nil, errors.Wrap(err, "index: laying out centroids")
	}
	return ivf, nil
}
