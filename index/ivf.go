package index

import (
	"context"
	"encoding/binary"
	"math"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/quant"
)

// IVF is an inverted-file index over product-quantised residuals: the
// coarse quantiser splits the space into NList cells (k-means centroids);
// each vector is stored in the list of its nearest centroid as the PQ code
// of its residual (vector minus centroid). A search probes the lists whose
// centroids are closest to the query and ranks their codes by asymmetric
// distance (ADC) — an approximation that the caller re-ranks with raw
// vectors.
//
// An IVF is immutable once trained and goroutine-safe.
type IVF struct {
	Dim       int
	Metric    quant.Metric
	NList     int
	Centroids []float32 // NList x Dim
	PQ        *quant.PQ // trained on (rotated) residuals
	// Rot, when not nil, is an OPQ rotation applied to residuals (and
	// queries) before PQ: it balances variance across sub-quantisers.
	Rot *quant.Rotation

	cs *quant.CentroidSet // Centroids laid out for assignment
}

// TrainOptions configure Train. Zero fields take the defaults documented
// on each.
type TrainOptions struct {
	// NList is the number of lists (required).
	NList int
	// M is the number of PQ sub-quantisers; Dim must be a multiple of M.
	M int
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
}

// opqSample bounds the residuals OPQ trains on: its Procrustes step costs
// n x dim^2, and 65,536 points estimate a dim x dim rotation well.
const opqSample = 65536

// Train learns the coarse centroids and the residual PQ from a sample of
// n = len(sample)/dim vectors (cosine vectors already normalised). It
// overwrites sample with the residuals the PQ trains on, so a build holds
// one copy of its sample, not two.
func Train(ctx context.Context, sample []float32, dim int, metric quant.Metric, opts TrainOptions) (*IVF, error) {
	if dim < 1 || len(sample)%dim != 0 {
		return nil, errors.Newf("index: sample of %d values is not a multiple of dimension %d", len(sample), dim)
	}
	n := len(sample) / dim
	switch {
	case !metric.Valid():
		return nil, errors.Newf("index: unknown metric %d", metric)
	case opts.NList < 1:
		return nil, errors.Newf("index: %d lists, want at least 1", opts.NList)
	case opts.M < 1 || dim%opts.M != 0:
		return nil, errors.Newf("index: M = %d does not divide dimension %d", opts.M, dim)
	case n < opts.NList || n < 256:
		return nil, errors.Newf("index: %d training vectors, need at least max(%d lists, 256)", n, opts.NList)
	}
	iters := opts.KMeansIters
	if iters == 0 {
		iters = 10
	}
	centroids, err := quant.KMeans(ctx, sample, dim, quant.KMeansOptions{K: opts.NList, Iters: iters, Seed: opts.Seed, Threads: opts.Threads})
	if err != nil {
		return nil, errors.Wrap(err, "training coarse centroids")
	}
	ivf := &IVF{Dim: dim, Metric: metric, NList: opts.NList, Centroids: centroids}
	if ivf.cs, err = quant.NewCentroidSet(centroids, dim); err != nil {
		return nil, err
	}
	assign := make([]int32, n)
	ivf.AssignBatch(sample, assign, nil, opts.Threads)
	residuals := sample
	for i := range n {
		r := residuals[i*dim : (i+1)*dim]
		ivf.residual(r, r, int(assign[i]))
	}
	pqIters := opts.PQIters
	if pqIters == 0 {
		pqIters = 25
	}
	if opts.OPQ {
		sub := residuals[:min(n, opqSample)*dim]
		if ivf.Rot, ivf.PQ, err = quant.TrainOPQ(ctx, sub, dim, opts.M, quant.OPQOptions{Seed: opts.Seed + 1, Threads: opts.Threads}); err != nil {
			return nil, errors.Wrap(err, "training the OPQ rotation")
		}
		return ivf, nil
	}
	if ivf.PQ, err = quant.TrainPQ(ctx, residuals, dim, opts.M, quant.PQOptions{Iters: pqIters, Seed: opts.Seed + 1, Threads: opts.Threads}); err != nil {
		return nil, errors.Wrap(err, "training the residual quantiser")
	}
	return ivf, nil
}

// centroid returns list l's centroid.
func (ivf *IVF) centroid(l int) []float32 { return ivf.Centroids[l*ivf.Dim : (l+1)*ivf.Dim] }

// residual writes v - centroid(l) into dst.
func (ivf *IVF) residual(dst, v []float32, l int) {
	c := ivf.centroid(l)
	for i := range dst {
		dst[i] = v[i] - c[i]
	}
}

// Assign returns the list of v: its nearest centroid under squared L2, the
// cell whose residual is smallest (also for inner-product metrics), and
// that squared distance. It ranks exactly like AssignBatch.
func (ivf *IVF) Assign(v []float32) (int, float32) { return ivf.cs.NearestOne(v) }

// AssignBatch assigns n = len(data)/Dim vectors, using all cores when
// threads <= 0; residual norms (squared), when not nil, receive each
// vector's squared distance to its centroid.
func (ivf *IVF) AssignBatch(data []float32, lists []int32, residualNorms []float32, threads int) {
	ivf.cs.Nearest(data, lists, residualNorms, threads)
}

// Encode appends the PQ code of v's residual in list l. scratch holds at
// least 2 x Dim values.
func (ivf *IVF) Encode(dst []byte, v []float32, l int, scratch []float32) []byte {
	r := scratch[:ivf.Dim]
	ivf.residual(r, v, l)
	return ivf.PQ.Encode(dst, ivf.rotate(scratch[ivf.Dim:ivf.Dim], r))
}

// rotate returns x rotated by Rot into buf (buf[:0] with room for Dim
// values), or x itself when there is no rotation.
func (ivf *IVF) rotate(buf, x []float32) []float32 {
	if ivf.Rot == nil {
		return x
	}
	return ivf.Rot.Apply(buf[:0], x)
}

// CodeSize returns the bytes per code.
func (ivf *IVF) CodeSize() int { return ivf.PQ.CodeSize() }

// CodeTerms appends to dst, for an L2 index, the query-independent term
// of each code of list l, and returns dst unchanged (nil) otherwise. With
// c the list's centroid, R the rotation (identity without OPQ) and r the
// code's decoded residual in rotated space,
//
//	||q - (c + Rᵀr)||² = ||q - c||² - 2<Rq, r> + (2<Rc, r> + ||r||²)
//
// The first term is the probe's centroid distance, the second an
// inner-product table shared by every list, and the third, this one,
// depends on the code alone: per sub-quantiser m it is
// ||-(Rc)_m - p||² - ||(Rc)_m||² for the code's centroid p, so many codes
// take an ADC scan of the L2 table of -Rc with bias -||c||², and a few
// are decoded one by one. Computing it once per code saves a search the
// L2 table it would build per probed list. Not goroutine-safe for the
// same dst.
func (ivf *IVF) CodeTerms(l int, codes []byte, dst []float32) []float32 {
	if ivf.Metric != quant.L2 || len(codes) == 0 {
		return dst
	}
	n := len(codes) / ivf.CodeSize()
	rc := ivf.rotate(make([]float32, 0, ivf.Dim), ivf.centroid(l))
	start := len(dst)
	dst = append(dst, make([]float32, n)...)
	if n < 256 {
		// A few codes (a write's appends): decode each, O(dim) a code,
		// rather than build the table, O(256 x dim).
		r := make([]float32, ivf.Dim)
		for i := range n {
			r = ivf.PQ.Decode(r[:0], codes[i*ivf.CodeSize():(i+1)*ivf.CodeSize()])
			dst[start+i] = quant.Norm2(r) + 2*quant.DotProduct(rc, r)
		}
		return dst
	}
	neg := make([]float32, ivf.Dim)
	for i, x := range rc {
		neg[i] = -x
	}
	table := make([]float32, ivf.PQ.M*256)
	ivf.PQ.L2Table(neg, table)
	quant.ADCScan(table, codes, -quant.Norm2(neg), dst[start:])
	return dst
}

// Stored IVF:
//
//	+---------+---------+--------+-----------+--------------------------+----------------+--------------------+
//	| version | dim u32 | metric | nlist u32 | centroids nlist*dim f32  | PQ (quant.PQ)  | rotation (v2 only) |
//	+---------+---------+--------+-----------+--------------------------+----------------+--------------------+
//
// Version 1 has no rotation; version 2 appends a quant.Rotation.
const (
	ivfVersion    byte = 1
	ivfVersionOPQ byte = 2
)

// maxNList bounds the lists a stored IVF may declare.
const maxNList = 1 << 20

// AppendBinary appends the IVF's encoding.
func (ivf *IVF) AppendBinary(dst []byte) ([]byte, error) {
	v := ivfVersion
	if ivf.Rot != nil {
		v = ivfVersionOPQ
	}
	dst = append(dst, v)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(ivf.Dim))
	dst = append(dst, byte(ivf.Metric))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(ivf.NList))
	for _, x := range ivf.Centroids {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
	}
	dst, err := ivf.PQ.AppendBinary(dst)
	if err != nil || ivf.Rot == nil {
		return dst, err
	}
	return ivf.Rot.AppendBinary(dst)
}

// DecodeIVF decodes an IVF, checking every length before allocating.
func DecodeIVF(b []byte) (*IVF, error) {
	if len(b) < 10 || (b[0] != ivfVersion && b[0] != ivfVersionOPQ) {
		return nil, errors.Newf("index: bad IVF header")
	}
	withRot := b[0] == ivfVersionOPQ
	dim := binary.LittleEndian.Uint32(b[1:])
	metric := quant.Metric(b[5])
	nlist := binary.LittleEndian.Uint32(b[6:])
	b = b[10:]
	if dim == 0 || dim > 1<<16 || nlist == 0 || nlist > maxNList || !metric.Valid() {
		return nil, errors.Newf("index: bad IVF shape (dim %d, lists %d, metric %d)", dim, nlist, metric)
	}
	need := uint64(dim) * uint64(nlist) * 4
	if need > uint64(len(b)) {
		return nil, errors.Newf("index: IVF of %d bytes cannot hold %d centroids of dimension %d", len(b), nlist, dim)
	}
	ivf := &IVF{Dim: int(dim), Metric: metric, NList: int(nlist), Centroids: make([]float32, dim*nlist)}
	for i := range ivf.Centroids {
		ivf.Centroids[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	rest := b[need:]
	var rot []byte
	if withRot {
		// A PQ encoding has a fixed size given its header; the rotation
		// follows it.
		pqLen, err := quant.PQEncodedLen(rest)
		if err != nil || pqLen > len(rest) {
			return nil, errors.Newf("index: bad quantiser length")
		}
		rest, rot = rest[:pqLen], rest[pqLen:]
	}
	pq, err := quant.DecodePQ(rest)
	if err != nil {
		return nil, errors.Wrap(err, "index: decoding the residual quantiser")
	}
	if withRot {
		r, err := quant.DecodeRotation(rot)
		if err != nil {
			return nil, errors.Wrap(err, "index: decoding the OPQ rotation")
		}
		if r.Dim != int(dim) {
			return nil, errors.Newf("index: rotation dimension %d, IVF dimension %d", r.Dim, dim)
		}
		ivf.Rot = r
	}
	if pq.Dim != ivf.Dim {
		return nil, errors.Newf("index: quantiser dimension %d, IVF dimension %d", pq.Dim, ivf.Dim)
	}
	ivf.PQ = pq
	if ivf.cs, err = quant.NewCentroidSet(ivf.Centroids, ivf.Dim); err != nil {
		return nil, errors.Wrap(err, "index: laying out centroids")
	}
	return ivf, nil
}
