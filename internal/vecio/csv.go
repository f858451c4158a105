package vecio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"strings"

	"github.com/cockroachdb/errors"
)

// csvReader reads "ID,v1,...,vd" records.
type csvReader struct {
	base
	cr      *csv.Reader
	records int // records read so far, the header included
}

func newCSVReader(br *bufio.Reader) *csvReader {
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3) // cannot fail: the bytes are buffered
	}
	cr := csv.NewReader(&lineLimit{r: br, line: 1})
	cr.FieldsPerRecord = -1 // checked here, with a clearer message
	cr.ReuseRecord = true
	r := &csvReader{cr: cr}
	r.br = br
	return r
}

// lineLimit passes reads through, failing once a line exceeds
// MaxLineBytes: encoding/csv holds a whole record in memory, and a 300 MB
// line took 1.5 GB.
type lineLimit struct {
	r    io.Reader
	line int // of the next byte
	run  int // bytes of that line so far
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for b := p[:n]; ; {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.run += len(b)
		} else {
			l.run += i
		}
		if l.run > MaxLineBytes {
			return 0, errors.Newf("line %d: longer than %d bytes", l.line, MaxLineBytes)
		}
		if i < 0 {
			break
		}
		l.line, l.run, b = l.line+1, 0, b[i+1:]
	}
	return n, err
}

// Next implements Reader.
func (r *csvReader) Next() bool {
	for !r.done {
		rec, err := r.cr.Read()
		if err != nil {
			return r.fail(r.readErr(err))
		}
		r.records++
		line, _ := r.cr.FieldPos(0)
		if r.records == 1 && strings.EqualFold(strings.TrimSpace(rec[0]), "id") {
			continue // header
		}
		if len(rec) < 2 {
			return r.fail(errors.Newf("line %d: no values after the ID %q", line, truncateForMessage(rec[0])))
		}
		if rec[0] == "" {
			return r.fail(errors.Newf("line %d: empty ID", line))
		}
		if r.dim != 0 && len(rec)-1 != r.dim {
			return r.fail(errors.Newf("line %d: %d values, want %d (from the first record)", line, len(rec)-1, r.dim))
		}
		if err := r.checkDim("line", line, len(rec)-1); err != nil {
			return r.fail(err)
		}
		v := resize(r.rec.Vector, len(rec)-1)
		for i, f := range rec[1:] {
			x, err := parseValue(strings.TrimSpace(f))
			if err != nil {
				return r.fail(errors.Wrapf(err, "line %d: value %d", line, i+1))
			}
			v[i] = x
		}
		// Clone the ID: encoding/csv slices every field of a record out of
		// one string, so keeping the ID would keep the whole line alive.
		r.rec = Record{Row: line, ID: strings.Clone(rec[0]), Vector: v}
		return true
	}
	return false
}

// readErr translates an error from encoding/csv.
func (r *csvReader) readErr(err error) error {
	if err == io.EOF {
		r.done = true
		return nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return errors.Wrapf(pe.Err, "line %d, column %d", pe.Line, pe.Column)
	}
	return errors.Wrapf(err, "after record %d", r.records)
}
