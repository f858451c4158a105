package vecio

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
	"os"

	"github.com/cockroachdb/errors"
)

// The TEXMEX layouts (fvecs, bvecs, ivecs), one row after another, with no
// file header:
//
//	+-----------------+---------------------------------------------+
//	| d: int32 LE     | d values: float32 LE (fvecs), uint8 (bvecs), |
//	| (1 <= d <= 2^20)|           int32 LE (ivecs)                  |
//	+-----------------+---------------------------------------------+
//
// Every row of a file has the same d.

// texmexReader reads fvecs, bvecs and ivecs.
type texmexReader struct {
	base
	format Format
	elem   int // bytes per value
	row    int // rows read so far
	hdr    [4]byte
	buf    []byte // the current row's value bytes
	ids    rowIDs
}

func newTexmexReader(br *bufio.Reader, f Format) *texmexReader {
	r := &texmexReader{format: f, elem: 4}
	r.br = br
	if f == Bvecs {
		r.elem = 1
	}
	return r
}

// next reads the next row's values into r.buf without decoding them.
func (r *texmexReader) next() bool {
	if r.done {
		return false
	}
	row := r.row + 1
	n, err := io.ReadFull(r.br, r.hdr[:])
	if err != nil {
		if err == io.EOF {
			return r.finish()
		}
		return r.fail(ioErr("row", row, err, n, len(r.hdr)))
	}
	d := int(int32(binary.LittleEndian.Uint32(r.hdr[:])))
	if err := r.checkDim("row", row, d); err != nil {
		return r.fail(err)
	}
	r.buf, err = readFullGrow(r.br, r.buf, d*r.elem)
	if err != nil {
		return r.fail(ioErr("row", row, err, len(r.hdr)+len(r.buf), len(r.hdr)+d*r.elem))
	}
	r.row = row
	return true
}

// Next implements Reader.
func (r *texmexReader) Next() bool {
	if !r.next() {
		return false
	}
	b := r.buf
	v := resize(r.rec.Vector, r.dim)
	switch r.format {
	case Fvecs:
		decodeFloat32s(v, b)
	case Bvecs:
		decodeUint8s(v, b)
	case Ivecs:
		for i := range v {
			v[i] = float32(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
	}
	r.rec = Record{Row: r.row, ID: r.ids.id(r.row - 1), Vector: v}
	return true
}

// decodeFloat32s decodes len(v) little-endian float32 values from b.
func decodeFloat32s(v []float32, b []byte) {
	b = b[:4*len(v)]
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// uint8ToFloat32 maps a byte to its value as float32. A table look-up is
// several times faster than the integer-to-float conversion the compiler
// emits for a loop.
var uint8ToFloat32 = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i)
	}
	return t
}()

// decodeUint8s converts len(v) bytes of b to float32.
func decodeUint8s(v []float32, b []byte) {
	b = b[:len(v)]
	for i, c := range b {
		v[i] = uint8ToFloat32[c]
	}
}

// ReadIvecs reads a whole TEXMEX ivecs file (gzip or zstd allowed), such as
// a ground-truth file of neighbour row numbers. Every row must have the same
// dimension. The rows belong to the caller.
func ReadIvecs(path string) ([][]int32, error) {
	var out [][]int32
	var chunk []int32
	err := readTexmexFile(path, Ivecs, func(b []byte, d int) {
		if len(chunk) < d {
			chunk = make([]int32, max(d, 64<<10))
		}
		row := chunk[:d:d]
		chunk = chunk[d:]
		for i := range row {
			row[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
		out = append(out, row)
	})
	return out, err
}

// ReadFvecsAll reads a whole fvecs file (gzip or zstd allowed). Every row
// must have the same dimension. The rows belong to the caller.
func ReadFvecsAll(path string) ([][]float32, error) {
	var out [][]float32
	var chunk []float32
	err := readTexmexFile(path, Fvecs, func(b []byte, d int) {
		if len(chunk) < d {
			chunk = make([]float32, max(d, 64<<10))
		}
		row := chunk[:d:d]
		chunk = chunk[d:]
		decodeFloat32s(row, b)
		out = append(out, row)
	})
	return out, err
}

// readTexmexFile calls fn with the value bytes and the dimension of each row
// of the file at path.
func readTexmexFile(path string, f Format, fn func(b []byte, d int)) error {
	rc, err := Open(path)
	if err != nil {
		return err
	}
	r := newTexmexReader(bufferInput(rc), f)
	for r.next() {
		fn(r.buf, r.dim)
	}
	err = r.Err()
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return errors.Wrapf(err, "reading %s", path)
}

// AppendFvecs appends v as one fvecs row (an int32 dimension, then the
// float32 values, little-endian) to dst and returns the extended slice.
func AppendFvecs(dst []byte, v []float32) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v)))
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
	}
	return dst
}

// AppendIvecs appends v as one ivecs row to dst and returns the extended
// slice.
func AppendIvecs(dst []byte, v []int32) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v)))
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(x))
	}
	return dst
}

// AppendBvecs appends v as one bvecs row (an int32 dimension, then the
// bytes) to dst and returns the extended slice.
func AppendBvecs(dst []byte, v []uint8) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v)))
	return append(dst, v...)
}

// WriteFvecsFile writes vecs to path as fvecs, compressed when path ends in
// .gz or .zst (see [NewCompressor]). It is meant for tests and exports.
func WriteFvecsFile(path string, vecs [][]float32) error {
	return writeRowsFile(path, len(vecs), func(dst []byte, i int) []byte {
		return AppendFvecs(dst, vecs[i])
	})
}

// WriteIvecsFile writes rows to path as ivecs, compressed when path ends in
// .gz or .zst (see [NewCompressor]).
func WriteIvecsFile(path string, rows [][]int32) error {
	return writeRowsFile(path, len(rows), func(dst []byte, i int) []byte {
		return AppendIvecs(dst, rows[i])
	})
}

// writeRowsFile creates path and writes n rows encoded by appendRow to it.
func writeRowsFile(path string, n int, appendRow func(dst []byte, i int) []byte) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	cw, err := NewCompressor(f, path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(cw, 1<<20)
	var buf []byte
	for i := range n {
		buf = appendRow(buf[:0], i)
		if _, err := bw.Write(buf); err != nil {
			return errors.Wrapf(err, "writing %s", path)
		}
	}
	if err := bw.Flush(); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	return errors.Wrapf(cw.Close(), "writing %s", path)
}
