package vecio

import (
	"io"

	"github.com/cockroachdb/errors"
)

// MetaReader reads a --meta file: line i (1-based) is the JSON metadata
// object of row i of the vector file it accompanies. Numbers are decoded as
// json.Number. Blank lines are errors, since they would shift every later
// row's metadata. A MetaReader is not safe for concurrent use.
type MetaReader struct {
	lines lineReader
	err   error
}

// NewMetaReader returns a MetaReader over r, which must already be
// decompressed (see [NewDecompressor]).
func NewMetaReader(r io.Reader) *MetaReader {
	return &MetaReader{lines: lineReader{br: bufferInput(r)}}
}

// Next returns the metadata object of the next row; the map belongs to the
// caller. It returns io.EOF after the last line, and otherwise keeps
// returning the first error, which names the line ("line 17: ...").
func (m *MetaReader) Next() (map[string]any, error) {
	if m.err != nil {
		return nil, m.err
	}
	b, err := m.lines.next()
	if err != nil {
		m.err = err
		return nil, err
	}
	if isBlank(b) {
		m.err = errors.Newf("line %d: blank line; want one JSON object per row", m.lines.line)
		return nil, m.err
	}
	obj, err := decodeJSONObject(b)
	if err != nil {
		m.err = errors.Wrapf(err, "line %d", m.lines.line)
		return nil, m.err
	}
	return obj, nil
}

// Line returns the number of the line that the last call to Next read.
func (m *MetaReader) Line() int { return m.lines.line }
