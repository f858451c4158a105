package quant

import (
	"github.com/cockroachdb/errors"
)

// PQCodec is the 8-bit product-quantisation codec: M bytes a code, one
// centroid of 256 per sub-vector, optionally after an orthogonal (OPQ)
// rotation of the vectors. Its estimates are table look-ups (ADC): exact
// distances to the codes' reconstructions, up to float rounding.
type PQCodec struct {
	PQ *PQ
	// Rot, when not nil, rotates vectors (and queries) before PQ.
	Rot *Rotation
}

var _ Codec = (*PQCodec)(nil)

// Kind implements Codec.
func (c *PQCodec) Kind() CodecKind { return KindPQ8 }

// Dim implements Codec.
func (c *PQCodec) Dim() int { return c.PQ.Dim }

// CodeSize implements Codec.
func (c *PQCodec) CodeSize() int { return c.PQ.M }

// M returns the number of sub-quantisers.
func (c *PQCodec) M() int { return c.PQ.M }

// rotate returns x rotated into buf (with room for Dim values; allocated
// when it has none), or x itself without a rotation.
func (c *PQCodec) rotate(buf, x []float32) []float32 {
	if c.Rot == nil {
		return x
	}
	if cap(buf) < c.PQ.Dim {
		buf = make([]float32, 0, c.PQ.Dim)
	}
	return c.Rot.Apply(buf[:0], x)
}

// Encode implements Codec.
func (c *PQCodec) Encode(dst []byte, v, scratch []float32) []byte {
	return c.PQ.Encode(dst, c.rotate(scratch, v))
}

// Decode implements Codec. The reconstruction is in the rotated space
// (the space estimates are computed in): Terms and estimators rotate
// their inputs to match.
func (c *PQCodec) Decode(dst []float32, code []byte) []float32 {
	return c.PQ.Decode(dst, code)
}

// termsTableMin is the number of codes from which Terms builds an L2
// table (O(256 x dim)) rather than decode each code (O(dim) a code).
const termsTableMin = 256

// Terms implements Codec. With R the rotation (identity without one) and
// r̂ a code's reconstruction in rotated space, the term is
// 2<Rc, r̂> + ||r̂||², which per sub-quantiser m is
// ||-(Rc)_m - p||² - ||(Rc)_m||² for the code's centroid p: many codes
// take one ADC scan of the L2 table of -Rc with bias -||c||².
func (c *PQCodec) Terms(centroid []float32, codes []byte, dst []float32) []float32 {
	cs := c.CodeSize()
	if len(codes) == 0 {
		return dst
	}
	n := len(codes) / cs
	rc := c.rotate(nil, centroid)
	start := len(dst)
	dst = append(dst, make([]float32, n)...)
	if n < termsTableMin {
		r := make([]float32, c.PQ.Dim)
		for i := range n {
			r = c.PQ.Decode(r[:0], codes[i*cs:(i+1)*cs])
			dst[start+i] = Norm2(r) + 2*DotProduct(rc, r)
		}
		return dst
	}
	neg := make([]float32, c.PQ.Dim)
	for i, x := range rc {
		neg[i] = -x
	}
	table := make([]float32, c.PQ.M*PQCentroids)
	c.PQ.L2Table(neg, table)
	ADCScan(table, codes, -Norm2(neg), dst[start:])
	return dst
}

// NewEstimator implements Codec.
func (c *PQCodec) NewEstimator() Estimator {
	e := &pqEstimator{c: c, table: make([]float32, c.PQ.M*PQCentroids)}
	if c.Rot != nil {
		e.rot = make([]float32, 0, c.PQ.Dim)
	}
	return e
}

// pqEstimator is a PQCodec's per-query table.
type pqEstimator struct {
	c     *PQCodec
	table []float32
	rot   []float32
}

func (e *pqEstimator) SetDot(x []float32, scale float32) {
	e.c.PQ.DotTable(e.c.rotate(e.rot, x), e.table)
	if scale != 1 {
		for i, t := range e.table {
			e.table[i] = scale * t
		}
	}
}

func (e *pqEstimator) SetL2(x []float32) {
	e.c.PQ.L2Table(e.c.rotate(e.rot, x), e.table)
}

func (e *pqEstimator) Scan(codes []byte, bias float32, dst []float32) {
	ADCScan(e.table, codes, bias, dst)
}

// Stored PQCodec:
//
//	+---------+-------+---------------+-------------------------------+
//	| version | flags | PQ (AppendPQ) | rotation (flags & 1; opq.go)  |
//	+---------+-------+---------------+-------------------------------+
const (
	pqCodecVersion byte = 1
	pqCodecRotated byte = 1
)

// AppendBinary implements Codec.
func (c *PQCodec) AppendBinary(dst []byte) ([]byte, error) {
	flags := byte(0)
	if c.Rot != nil {
		flags |= pqCodecRotated
	}
	dst, err := c.PQ.AppendBinary(append(dst, pqCodecVersion, flags))
	if err != nil || c.Rot == nil {
		return dst, err
	}
	return c.Rot.AppendBinary(dst)
}

// DecodePQCodec decodes a PQCodec's AppendBinary encoding.
func DecodePQCodec(b []byte) (*PQCodec, error) {
	if len(b) < 2 || b[0] != pqCodecVersion || b[1]&^pqCodecRotated != 0 {
		return nil, errors.New("quant: bad PQ codec header")
	}
	rotated := b[1]&pqCodecRotated != 0
	return DecodePQParts(b[2:], rotated)
}

// DecodePQParts decodes a PQ followed, when rotated, by an OPQ rotation:
// the body of a PQCodec's encoding, and the layout of stored indexes that
// predate it.
func DecodePQParts(b []byte, rotated bool) (*PQCodec, error) {
	var rot []byte
	if rotated {
		n, err := PQEncodedLen(b)
		if err != nil || n > len(b) {
			return nil, errors.New("quant: bad quantiser length")
		}
		b, rot = b[:n], b[n:]
	}
	pq, err := DecodePQ(b)
	if err != nil {
		return nil, errors.Wrap(err, "decoding the quantiser")
	}
	c := &PQCodec{PQ: pq}
	if rotated {
		if c.Rot, err = DecodeRotation(rot); err != nil {
			return nil, errors.Wrap(err, "decoding the OPQ rotation")
		}
		if c.Rot.Dim != pq.Dim {
			return nil, errors.Newf("quant: rotation dimension %d, quantiser dimension %d", c.Rot.Dim, pq.Dim)
		}
	}
	return c, nil
}
