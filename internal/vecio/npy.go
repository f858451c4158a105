package vecio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strconv"

	"github.com/cockroachdb/errors"
)

// The .npy layout (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//
//	+-------------+-------+-------+--------------------------+------------------+------+
//	| \x93NUMPY   | major | minor | header length: uint16 LE | header: a Python | data |
//	| (6 bytes)   | 1|2|3 | 0     | (v1) or uint32 LE (v2/3) | dict literal     |      |
//	+-------------+-------+-------+--------------------------+------------------+------+
//
// The header is {'descr': '<f4', 'fortran_order': False, 'shape': (rows, dim), }
// padded with spaces and a newline. The data is rows*dim items in C order.

const (
	npyMagic = "\x93NUMPY"
	// maxNpyHeader bounds the header length a file may declare. NumPy's
	// own reader refuses headers over 10,000 bytes by default.
	maxNpyHeader = 64 << 10
	// maxNpyRows bounds the declared row count, so rows*dim*itemsize
	// cannot overflow.
	maxNpyRows = 1 << 40
)

// npyDtype describes a supported element type.
type npyDtype struct {
	size   int
	decode func(v []float32, b []byte)
}

var npyDtypes = map[string]npyDtype{
	"<f4": {4, decodeFloat32s},
	"<f8": {8, func(v []float32, b []byte) {
		for i := range v {
			v[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
	}},
	"<f2": {2, func(v []float32, b []byte) {
		for i := range v {
			v[i] = float16to32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	}},
	"|u1": {1, decodeUint8s},
	"|i1": {1, func(v []float32, b []byte) {
		for i := range v {
			v[i] = float32(int8(b[i]))
		}
	}},
}

// npyReader reads a 2-D .npy array row by row.
type npyReader struct {
	base
	rows  int64 // declared
	row   int   // rows read so far
	dtype npyDtype
	buf   []byte
	ids   rowIDs
}

func newNpyReader(br *bufio.Reader) (*npyReader, error) {
	h, err := readNpyHeader(br)
	if err != nil {
		return nil, errors.Wrap(err, "npy header")
	}
	r := &npyReader{rows: h.rows, dtype: h.dtype}
	r.br = br
	r.dim = h.cols
	return r, nil
}

// Next implements Reader.
func (r *npyReader) Next() bool {
	if r.done {
		return false
	}
	row := r.row + 1
	if int64(r.row) == r.rows {
		// All declared rows read: the data must end here.
		if n, _ := r.br.Discard(1); n > 0 {
			return r.fail(errors.Newf("row %d: data continues after the %d rows the header declares", row, r.rows))
		}
		return r.finish()
	}
	want := r.dim * r.dtype.size
	var err error
	r.buf, err = readFullGrow(r.br, r.buf, want)
	if err != nil {
		return r.fail(ioErr("row", row, err, len(r.buf), want))
	}
	v := resize(r.rec.Vector, r.dim)
	r.dtype.decode(v, r.buf)
	r.row = row
	r.rec = Record{Row: row, ID: r.ids.id(row - 1), Vector: v}
	return true
}

// npyHeader is what a .npy header says about the array.
type npyHeader struct {
	rows  int64
	cols  int
	dtype npyDtype
}

// readNpyHeader reads and checks the magic, version and header dict.
func readNpyHeader(br *bufio.Reader) (npyHeader, error) {
	var pre [12]byte
	if n, err := io.ReadFull(br, pre[:8]); err != nil {
		if n == 0 {
			return npyHeader{}, errors.New("empty input, not an npy file")
		}
		return npyHeader{}, errors.Newf("truncated (%d bytes)", n)
	}
	if string(pre[:6]) != npyMagic {
		return npyHeader{}, errors.Newf("bad magic %q, not an npy file", pre[:6])
	}
	lenBytes := 4
	switch pre[6] {
	case 1:
		lenBytes = 2
	case 2, 3:
	default:
		return npyHeader{}, errors.Newf("unsupported version %d.%d (want 1.0, 2.0 or 3.0)", pre[6], pre[7])
	}
	if n, err := io.ReadFull(br, pre[8:8+lenBytes]); err != nil {
		return npyHeader{}, errors.Newf("truncated (%d bytes)", 8+n)
	}
	hlen := uint64(binary.LittleEndian.Uint16(pre[8:10]))
	if lenBytes == 4 {
		hlen = uint64(binary.LittleEndian.Uint32(pre[8:12]))
	}
	if hlen > maxNpyHeader {
		return npyHeader{}, errors.Newf("header length %d exceeds %d", hlen, maxNpyHeader)
	}
	text, err := readFullGrow(br, nil, int(hlen))
	if err != nil {
		return npyHeader{}, errors.Newf("truncated (%d of %d header bytes)", len(text), hlen)
	}
	return parseNpyHeader(text)
}

// parseNpyHeader parses the header dict and checks that it describes a
// little-endian, C-order, 2-D array of a supported dtype.
func parseNpyHeader(text []byte) (npyHeader, error) {
	var h npyHeader
	text = bytes.TrimSpace(text)
	d, err := parsePyDict(text)
	if err != nil {
		return h, errors.Wrapf(err, "parsing %q", truncateForMessage(text))
	}
	descr, ok := d["descr"].(string)
	if !ok {
		return h, errors.Newf("no 'descr' string in %q", truncateForMessage(text))
	}
	if h.dtype, ok = npyDtypes[descr]; !ok {
		if descr == "<u1" || descr == "=u1" {
			h.dtype = npyDtypes["|u1"]
		} else {
			return h, errors.Newf("unsupported dtype %q (want '<f4', '<f2', '<f8', '|u1' or '|i1'; big-endian and structured dtypes are not supported)", descr)
		}
	}
	fortran, ok := d["fortran_order"].(bool)
	if !ok {
		return h, errors.Newf("no 'fortran_order' bool in %q", truncateForMessage(text))
	}
	if fortran {
		return h, errors.New("fortran_order True is not supported; save a C-order array (numpy.ascontiguousarray)")
	}
	shape, ok := d["shape"].([]int64)
	if !ok {
		return h, errors.Newf("no 'shape' tuple in %q", truncateForMessage(text))
	}
	if len(shape) != 2 {
		return h, errors.Newf("shape has %d dimensions, want a 2-D (rows, dim) array", len(shape))
	}
	if shape[0] > maxNpyRows {
		return h, errors.Newf("shape declares %d rows, more than %d", shape[0], int64(maxNpyRows))
	}
	if shape[1] < 1 || shape[1] > MaxDim {
		return h, errors.Newf("dimension %d out of range [1, %d]", shape[1], MaxDim)
	}
	h.rows, h.cols = shape[0], int(shape[1])
	return h, nil
}

// parsePyDict parses the Python dict literal of an npy header. Values may be
// strings, True/False, or tuples of non-negative integers (returned as
// string, bool and []int64).
func parsePyDict(s []byte) (map[string]any, error) {
	p := pyParser{s: s}
	d := map[string]any{}
	if !p.eat('{') {
		return nil, p.errorf("want '{'")
	}
	for !p.eat('}') {
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if !p.eat(':') {
			return nil, p.errorf("want ':'")
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		d[key] = v
		if !p.eat(',') {
			if !p.eat('}') {
				return nil, p.errorf("want ',' or '}'")
			}
			break
		}
	}
	if len(bytes.TrimSpace(s[p.i:])) != 0 {
		return nil, p.errorf("unexpected text after '}'")
	}
	return d, nil
}

// pyParser is a cursor over a Python literal.
type pyParser struct {
	s []byte
	i int
}

func (p *pyParser) errorf(msg string) error {
	return errors.Newf("offset %d: %s", p.i, msg)
}

func (p *pyParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// eat skips spaces and then c, reporting whether c was there.
func (p *pyParser) eat(c byte) bool {
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) str() (string, error) {
	p.skipSpace()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.errorf("want a quoted string")
	}
	q := p.s[p.i]
	end := bytes.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	v := string(p.s[p.i+1 : p.i+1+end])
	p.i += end + 2
	return v, nil
}

func (p *pyParser) value() (any, error) {
	p.skipSpace()
	switch {
	case p.i >= len(p.s):
		return nil, p.errorf("want a value")
	case p.s[p.i] == '\'' || p.s[p.i] == '"':
		return p.str()
	case bytes.HasPrefix(p.s[p.i:], []byte("True")):
		p.i += 4
		return true, nil
	case bytes.HasPrefix(p.s[p.i:], []byte("False")):
		p.i += 5
		return false, nil
	case p.s[p.i] == '(':
		p.i++
		return p.tuple()
	}
	return nil, p.errorf("want a string, True, False or a tuple")
}

// tuple parses the rest of a tuple of integers after its '('.
func (p *pyParser) tuple() ([]int64, error) {
	var t []int64
	for !p.eat(')') {
		if len(t) > 32 {
			return nil, p.errorf("tuple too long")
		}
		p.skipSpace()
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		n, err := strconv.ParseInt(string(p.s[start:p.i]), 10, 64)
		if err != nil {
			return nil, p.errorf("want a non-negative integer")
		}
		if p.i < len(p.s) && p.s[p.i] == 'L' { // Python 2 long
			p.i++
		}
		t = append(t, n)
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, p.errorf("want ',' or ')'")
			}
			break
		}
	}
	return t, nil
}

// float16to32 converts an IEEE 754 half-precision value to float32.
func float16to32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	case frac == 0: // ±0
		return math.Float32frombits(sign)
	}
	// Subnormal: frac * 2^-24, exactly representable in float32.
	f := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}

// truncateForMessage shortens b for an error message.
func truncateForMessage[T ~string | ~[]byte](b T) string {
	const limit = 80
	if len(b) > limit {
		return string(b[:limit]) + "..."
	}
	return string(b)
}
