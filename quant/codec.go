package quant

import (
	"context"
	"strconv"
	"strings"

	"github.com/cockroachdb/errors"
)

// A Codec turns vectors into fixed-size codes and estimates distances
// from them without decoding. An index stores the codes of residuals
// (vectors minus their list's centroid); the codec knows nothing of lists.
//
// The distances an index needs decompose into terms a codec provides. For
// a query q, a centroid c and a code of residual r (decoded: r̂):
//
//	||q - (c + r̂)||² = ||q - c||² + (-2<q, r̂>) + (2<c, r̂> + ||r̂||²)
//	-<q, c + r̂>     = -<q, c>    + (-<q, r̂>)
//
// The first terms are the probe's centroid distances; the middle ones an
// [Estimator] set once per query (SetDot) scores for every list; the last,
// [Codec.Terms], depends on the code alone and is computed when the code
// is stored. An L2 list stored without terms is scored with an estimator
// set per list to the query's residual (SetL2).
//
// A Codec is immutable once trained or decoded, and goroutine-safe; its
// Estimators are not.
type Codec interface {
	// Kind names the codec and tags its encoding.
	Kind() CodecKind
	// Dim is the dimension of the vectors it encodes.
	Dim() int
	// CodeSize is the bytes per code.
	CodeSize() int
	// Encode appends the code of v (Dim values) to dst. scratch, when it
	// holds at least Dim values, is used as working memory (nil: Encode
	// allocates when it needs to).
	Encode(dst []byte, v, scratch []float32) []byte
	// Decode appends the reconstruction of code, Dim values, to dst.
	Decode(dst []float32, code []byte) []float32
	// Terms appends, for each code of codes (a whole number of them), its
	// query-independent L2 term 2<c, r̂> + ||r̂||² to dst.
	Terms(c []float32, codes []byte, dst []float32) []float32
	// NewEstimator returns working memory for scoring codes against one
	// query at a time.
	NewEstimator() Estimator
	// AppendBinary appends the codec's versioned encoding, without its
	// kind (see AppendCodec).
	AppendBinary(dst []byte) ([]byte, error)
}

// An Estimator scores codes against a query. It is per-query working
// memory: not goroutine-safe; reuse it for the next query.
type Estimator interface {
	// SetDot prepares Scan to estimate scale x <x, r̂> for each code.
	SetDot(x []float32, scale float32)
	// SetL2 prepares Scan to estimate ||x - r̂||² for each code.
	SetL2(x []float32)
	// Scan sets dst[i] to bias plus the estimate for code i of codes,
	// which holds len(dst) codes. It does not allocate.
	Scan(codes []byte, bias float32, dst []float32)
}

// CodecKind identifies a codec in its stored encoding. Values are
// persisted: never renumber them.
type CodecKind uint8

// The codecs.
const (
	// KindPQ8 is product quantisation with 256 centroids per
	// sub-quantiser (one byte each), optionally after an OPQ rotation:
	// [PQCodec].
	KindPQ8 CodecKind = 1
	// KindPQ4FS is 4-bit product quantisation scanned in blocks of 32
	// codes with 8-bit tables: [PQ4].
	KindPQ4FS CodecKind = 2
	// KindRaBitQ is RaBitQ: one bit per dimension after a random
	// rotation, with an error bound, or B bits per dimension: [RaBitQ].
	KindRaBitQ CodecKind = 3
)

// A BlockCodec stores a list's codes interleaved in blocks of BlockSize
// codes, so its estimator scores a block at a time (BlockEstimator). The
// per-code form (Encode, Decode, Terms) is still what writers produce and
// what storage keeps for codes added after a build; Pack turns codes into
// the layout a search scans.
type BlockCodec interface {
	Codec
	// BlockSize is the number of codes of a block.
	BlockSize() int
	// Pack appends the block layout of codes (a whole number of codes of
	// CodeSize bytes), padded to whole blocks.
	Pack(dst, codes []byte) []byte
	// Unpack appends the first n codes of a block layout, per code; it
	// returns an error when packed is too short.
	Unpack(dst, packed []byte, n int) ([]byte, error)
	// PackedSize is the bytes of the block layout of n codes.
	PackedSize(n int) int
}

// A BlockEstimator is the Estimator of a BlockCodec.
type BlockEstimator interface {
	Estimator
	// ScanBlocks sets dst[i] to bias plus the estimate for code i of the
	// block layout packed, which holds at least len(dst) codes (whole
	// blocks). It does not allocate.
	ScanBlocks(packed []byte, bias float32, dst []float32)
}

// A BoundedEstimator knows a bound on its first, cheap estimates and
// scores further only the codes that the bound says may still be among
// the best.
type BoundedEstimator interface {
	BlockEstimator
	// ScanBlocksBounded is ScanBlocks, except that a code whose estimate
	// is, with high probability, above worst may get +Inf instead, and so
	// may a code whose bit is clear in keep, when keep is not nil (one
	// mask per block, bit i for its code i: a filter's allowed codes).
	// errs, when not nil (len(dst) values), receives each estimate's error
	// bound: with high probability |estimate - exact| <= errs[i].
	ScanBlocksBounded(packed []byte, bias, worst float32, keep []uint32, dst, errs []float32)
}

// A ListL2Codec scores an L2 list's codes against the query's residual
// q - c without building a table from the residual: with r the residual
// of a code, ||q - c - r||² = ||q - c||² + (-2<q, r>) + (2<c, r> + ||r||²),
// where the middle table depends on the query alone and the last on the
// list alone (ListTable, computed once per list and kept by the index).
type ListL2Codec interface {
	BlockCodec
	// ListTable appends the query-independent table of the list with
	// centroid c.
	ListTable(c []float32, dst []float32) []float32
}

// A ListL2Estimator is the estimator of a ListL2Codec.
type ListL2Estimator interface {
	BlockEstimator
	// SetQueryL2 prepares for SetListL2 with query q.
	SetQueryL2(q []float32)
	// SetListL2 prepares ScanBlocks to estimate ||q - c - r||² - ||q - c||²
	// for the codes of the list whose ListTable is given (add the
	// centroid distance as the bias).
	SetListL2(listTable []float32)
}

// FastScanBlock is the number of codes of a fast-scan block.
const FastScanBlock = 32

// String returns the codec's name as the CLI spells it.
func (k CodecKind) String() string {
	switch k {
	case KindPQ8:
		return "pq8"
	case KindPQ4FS:
		return "pq4fs"
	case KindRaBitQ:
		return "rabitq"
	}
	return "codec(" + strconv.Itoa(int(k)) + ")"
}

// ParseCodecKind parses a codec name as String spells it.
func ParseCodecKind(s string) (CodecKind, error) {
	switch s {
	case "pq8", "pq":
		return KindPQ8, nil
	case "pq4fs", "pq4":
		return KindPQ4FS, nil
	case "rabitq":
		return KindRaBitQ, nil
	}
	return 0, errors.Newf("quant: unknown codec %q (known: pq8, pq4fs, rabitq)", s)
}

// ParseCodecSpec parses a codec as the CLI's --codec takes it: a name,
// with, for rabitq, an optional ":BITS" (1 to 8). bits is 0 when not
// given.
func ParseCodecSpec(s string) (kind CodecKind, bits int, err error) {
	name, b, hasBits := strings.Cut(s, ":")
	kind, err = ParseCodecKind(name)
	if err != nil || !hasBits {
		return kind, 0, err
	}
	if kind != KindRaBitQ {
		return 0, 0, errors.Newf("quant: codec %q takes no bits (only rabitq:BITS does)", s)
	}
	bits, err = strconv.Atoi(b)
	if err != nil || bits < 1 || bits > 8 {
		return 0, 0, errors.Newf("quant: codec %q: BITS must be 1 to 8", s)
	}
	return kind, bits, nil
}

// CodecOptions configure [TrainCodec]. Zero fields take the defaults
// documented on each.
type CodecOptions struct {
	// Kind is the codec to train (default KindPQ8).
	Kind CodecKind
	// M is the number of sub-quantisers of a PQ (required; it must divide
	// the dimension, and for KindPQ4FS be at most 256).
	M int
	// OPQ learns a rotation before PQ ([TrainOPQ]) on at most OPQSample
	// of the vectors.
	OPQ bool
	// Bits is the bits per dimension of KindRaBitQ (1 to 8; default
	// DefaultRaBitQBits).
	Bits int
	// Iters is the k-means iterations per sub-quantiser (default 25).
	Iters int
	// Seed drives every random choice.
	Seed uint64
	// Threads bounds the goroutines used (0: GOMAXPROCS).
	Threads int
}

// OPQSample bounds the vectors OPQ trains on: its Procrustes step costs
// n x dim², and 65,536 points estimate a dim x dim rotation well.
const OPQSample = 65536

// TrainCodec trains a codec on the n = len(data)/dim vectors of data. It
// does not modify data.
func TrainCodec(ctx context.Context, data []float32, dim int, opts CodecOptions) (Codec, error) {
	kind := opts.Kind
	if kind == 0 {
		kind = KindPQ8
	}
	switch kind {
	case KindPQ8:
		if opts.OPQ {
			sub := data[:min(len(data)/max(dim, 1), OPQSample)*dim]
			rot, pq, err := TrainOPQ(ctx, sub, dim, opts.M, OPQOptions{Seed: opts.Seed, Threads: opts.Threads})
			if err != nil {
				return nil, err
			}
			return &PQCodec{PQ: pq, Rot: rot}, nil
		}
		pq, err := TrainPQ(ctx, data, dim, opts.M, PQOptions{Iters: opts.Iters, Seed: opts.Seed, Threads: opts.Threads})
		if err != nil {
			return nil, err
		}
		return &PQCodec{PQ: pq}, nil
	case KindPQ4FS:
		if opts.OPQ {
			return nil, errors.New("quant: OPQ is not supported with 4-bit fast-scan codes")
		}
		return TrainPQ4(ctx, data, dim, opts.M, PQOptions{Iters: opts.Iters, Seed: opts.Seed, Threads: opts.Threads})
	case KindRaBitQ:
		if opts.OPQ {
			return nil, errors.New("quant: OPQ is not supported with RaBitQ codes (they are rotated already)")
		}
		bits := opts.Bits
		if bits == 0 {
			bits = DefaultRaBitQBits
		}
		return NewRaBitQ(dim, bits, opts.Seed)
	}
	return nil, errors.Newf("quant: cannot train codec %v", kind)
}

// AppendCodec appends c's kind and encoding: the form DecodeCodec reads.
func AppendCodec(dst []byte, c Codec) ([]byte, error) {
	return c.AppendBinary(append(dst, byte(c.Kind())))
}

// DecodeCodec decodes a codec written by AppendCodec, checking every
// length before allocating.
func DecodeCodec(b []byte) (Codec, error) {
	if len(b) < 1 {
		return nil, errors.New("quant: empty codec encoding")
	}
	switch CodecKind(b[0]) {
	case KindPQ8:
		return DecodePQCodec(b[1:])
	case KindPQ4FS:
		return DecodePQ4(b[1:])
	case KindRaBitQ:
		return DecodeRaBitQ(b[1:])
	}
	return nil, errors.Newf("quant: unknown codec kind %d", b[0])
}
