package vecio

import (
	"bufio"
	"bytes"
	"io"
	"strconv"

	"github.com/cockroachdb/errors"
)

// MaxLineBytes is the longest line of a text, jsonl or --meta file that a
// reader accepts.
const MaxLineBytes = 64 << 20

// lineReader splits a stream into lines ending in "\n" or "\r\n" and counts
// them. A UTF-8 byte order mark at the start of the stream is dropped.
type lineReader struct {
	br   *bufio.Reader
	line int    // number of the line last returned, 1-based
	long []byte // holds a line longer than br's buffer
}

// next returns the next line without its terminator. The slice is valid
// until the next call. At the end of the input it returns io.EOF; other
// errors are the input's, wrapped with the line number.
func (l *lineReader) next() ([]byte, error) {
	b, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(l.long) > MaxLineBytes {
				return nil, errors.Newf("line %d: longer than %d bytes", l.line+1, MaxLineBytes)
			}
			b, err = l.br.ReadSlice('\n')
			l.long = append(l.long, b...)
		}
		b = l.long
	}
	if err != nil && err != io.EOF {
		return nil, errors.Wrapf(err, "line %d", l.line+1)
	}
	if len(b) == 0 {
		return nil, io.EOF
	}
	l.line++
	if l.line == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return b, nil
}

// isBlank reports whether b holds only spaces, tabs and carriage returns.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// nextField returns the first field of b (fields are separated by runs of
// spaces and tabs) and the rest of b after it. field is empty when b holds
// no more fields.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' {
		j++
	}
	return b[i:j], b[j:]
}

// parseValue parses one vector value. "inf" and "nan" are accepted (the
// database validates finiteness); a malformed number or one that overflows
// float32 is an error describing the value, to be prefixed with where it is.
func parseValue[T ~string | ~[]byte](b T) (float32, error) {
	f, err := strconv.ParseFloat(string(b), 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errors.Newf("%q overflows float32", truncateForMessage(b))
		}
		return 0, errors.Newf("%q is not a number", truncateForMessage(b))
	}
	return float32(f), nil
}
