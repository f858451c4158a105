package vecio

import (
	"bufio"
	"bytes"
	"io"
	"strconv"

	"github.com/cockroachdb/errors"
)

// The word2vec C tool's binary layout:
//
//	"N D\n"                                   header: word count, dimension
//	word ' ' D x float32 LE ['\n']            N times
//
// Words are the bytes up to the space; newlines before a word are skipped.

// maxWordBytes bounds a w2vbin word.
const maxWordBytes = 64 << 10

// w2vReader reads the word2vec binary format.
type w2vReader struct {
	base
	words int // declared N
	row   int // words read so far
	buf   []byte
}

func newW2VReader(br *bufio.Reader) (*w2vReader, error) {
	line, err := br.ReadSlice('\n')
	if err != nil && !(err == io.EOF && len(line) > 0) {
		if err == io.EOF {
			return nil, errors.New("w2vbin: empty input, want a \"N D\" header line")
		}
		return nil, errors.Wrap(err, "w2vbin: reading the header line")
	}
	n, d, ok := parseW2VHeader(line)
	if !ok {
		return nil, errors.Newf("w2vbin: header line %q is not \"N D\"", truncateForMessage(bytes.TrimRight(line, "\r\n")))
	}
	if d < 1 || d > MaxDim {
		return nil, errors.Newf("w2vbin header: dimension %d out of range [1, %d]", d, MaxDim)
	}
	r := &w2vReader{words: n}
	r.br = br
	r.dim = d
	return r, nil
}

// parseW2VHeader parses "N D" with N >= 0 and D >= 0.
func parseW2VHeader(line []byte) (n, d int, ok bool) {
	f1, rest := nextField(bytes.TrimRight(line, "\r\n"))
	f2, rest := nextField(rest)
	if f3, _ := nextField(rest); len(f3) != 0 {
		return 0, 0, false
	}
	un, err1 := strconv.ParseUint(string(f1), 10, 31)
	ud, err2 := strconv.ParseUint(string(f2), 10, 31)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return int(un), int(ud), true
}

// Next implements Reader.
func (r *w2vReader) Next() bool {
	if r.done {
		return false
	}
	row := r.row + 1
	if err := r.skipNewlines(); err != nil {
		if err != io.EOF {
			return r.fail(errors.Wrapf(err, "row %d", row))
		}
		if r.row < r.words {
			return r.fail(errors.Newf("row %d: truncated (the header says %d words)", row, r.words))
		}
		return r.finish()
	}
	if r.row == r.words {
		return r.fail(errors.Newf("row %d: data continues after the %d words the header declares", row, r.words))
	}
	word, err := r.br.ReadSlice(' ')
	switch {
	case err == bufio.ErrBufferFull || len(word) > maxWordBytes:
		return r.fail(errors.Newf("row %d: word longer than %d bytes", row, maxWordBytes))
	case err == io.EOF:
		return r.fail(errors.Newf("row %d: truncated in the word %q", row, truncateForMessage(word)))
	case err != nil:
		return r.fail(errors.Wrapf(err, "row %d", row))
	case len(word) == 1:
		return r.fail(errors.Newf("row %d: empty word", row))
	}
	id := string(word[:len(word)-1])
	want := 4 * r.dim
	r.buf, err = readFullGrow(r.br, r.buf, want)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return r.fail(errors.Newf("row %d: word %q: truncated (%d of %d vector bytes)", row, truncateForMessage([]byte(id)), len(r.buf), want))
		}
		return r.fail(errors.Wrapf(err, "row %d", row))
	}
	v := resize(r.rec.Vector, r.dim)
	decodeFloat32s(v, r.buf)
	r.row = row
	r.rec = Record{Row: row, ID: id, Vector: v}
	return true
}

// skipNewlines skips the newlines that end the previous vector (and any
// stray whitespace) and returns io.EOF at the end of the input.
func (r *w2vReader) skipNewlines() error {
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			return err
		}
		if c != '\n' && c != '\r' && (r.row < r.words || (c != ' ' && c != '\t')) {
			return r.br.UnreadByte()
		}
	}
}
