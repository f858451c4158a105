package vecio

import (
	"bufio"
	"io"
	"strconv"

	"github.com/cockroachdb/errors"
)

// textReader reads "ID v1 ... vd" lines.
type textReader struct {
	base
	lines     lineReader
	headerDim int // D of a word2vec "N D" header, 0 if none
}

func newTextReader(br *bufio.Reader) *textReader {
	r := &textReader{lines: lineReader{br: br}}
	r.br = br
	return r
}

// Next implements Reader.
func (r *textReader) Next() bool {
	for !r.done {
		b, err := r.lines.next()
		if err != nil {
			if err == io.EOF {
				return r.finish()
			}
			return r.fail(err)
		}
		line := r.lines.line
		id, rest := nextField(b)
		if len(id) == 0 {
			continue // blank line
		}
		if line == 1 && r.isHeader(id, rest) {
			continue
		}
		v := r.rec.Vector[:0]
		for i := 0; ; i++ {
			var f []byte
			f, rest = nextField(rest)
			if len(f) == 0 {
				break
			}
			x, err := parseValue(f)
			if err != nil {
				return r.fail(errors.Wrapf(err, "line %d: value %d", line, i+1))
			}
			v = append(v, x)
		}
		r.rec.Vector = v
		if len(v) == 0 {
			return r.fail(errors.Newf("line %d: no values after the ID %q", line, truncateForMessage(id)))
		}
		if r.dim == 0 && r.headerDim != 0 && len(v) != r.headerDim {
			return r.fail(errors.Newf("line %d: %d values, but the header on line 1 says %d", line, len(v), r.headerDim))
		}
		if r.dim != 0 && len(v) != r.dim {
			return r.fail(errors.Newf("line %d: %d values, want %d (from the first record)", line, len(v), r.dim))
		}
		if err := r.checkDim("line", line, len(v)); err != nil {
			return r.fail(err)
		}
		r.rec = Record{Row: line, ID: string(id), Vector: v}
		return true
	}
	return false
}

// isHeader reports whether line 1, split into its first field and the rest,
// is a word2vec "N D" header, and remembers D.
func (r *textReader) isHeader(first, rest []byte) bool {
	second, rest := nextField(rest)
	if third, _ := nextField(rest); len(third) != 0 || len(second) == 0 {
		return false
	}
	if _, err := strconv.ParseUint(string(first), 10, 63); err != nil {
		return false
	}
	d, err := strconv.ParseUint(string(second), 10, 63)
	if err != nil {
		return false
	}
	if d >= 1 && d <= MaxDim {
		r.headerDim = int(d)
	}
	return true
}
