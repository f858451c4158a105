package vecio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/errors"
)

// jsonlLine holds the members of one jsonl object, undecoded.
type jsonlLine struct {
	ID     json.RawMessage `json:"id"`
	Vector json.RawMessage `json:"vector"`
	Meta   json.RawMessage `json:"meta"`
}

// jsonlReader reads {"id":..,"vector":[..],"meta":{..}} lines.
type jsonlReader struct {
	base
	lines lineReader
	obj   jsonlLine
}

func newJSONLReader(br *bufio.Reader) *jsonlReader {
	r := &jsonlReader{lines: lineReader{br: br}}
	r.br = br
	return r
}

// Next implements Reader.
func (r *jsonlReader) Next() bool {
	for !r.done {
		b, err := r.lines.next()
		if err != nil {
			if err == io.EOF {
				return r.finish()
			}
			return r.fail(err)
		}
		if isBlank(b) {
			continue
		}
		line := r.lines.line
		if err := r.parse(b); err != nil {
			return r.fail(errors.Wrapf(err, "line %d", line))
		}
		if r.dim != 0 && len(r.rec.Vector) != r.dim {
			return r.fail(errors.Newf("line %d: vector has %d values, want %d (from the first record)", line, len(r.rec.Vector), r.dim))
		}
		if err := r.checkDim("line", line, len(r.rec.Vector)); err != nil {
			return r.fail(err)
		}
		r.rec.Row = line
		return true
	}
	return false
}

// parse decodes one line into r.rec.
func (r *jsonlReader) parse(b []byte) error {
	if b = bytes.TrimLeft(b, " \t\r"); b[0] != '{' {
		return errors.New("not a JSON object")
	}
	r.obj = jsonlLine{ID: r.obj.ID[:0], Vector: r.obj.Vector[:0], Meta: r.obj.Meta[:0]}
	// Unknown keys are refused: a misspelt "meta" would otherwise import
	// the record without its metadata, silently.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r.obj); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			return errors.Newf("unknown key %s (a record has \"id\", \"vector\" and \"meta\")", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return errors.Wrap(err, "invalid JSON")
	}
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		return errors.New("invalid JSON: data after the object")
	}
	id, err := parseJSONID(r.obj.ID)
	if err != nil {
		return err
	}
	if len(r.obj.Vector) == 0 || string(r.obj.Vector) == "null" {
		return errors.New("missing \"vector\"")
	}
	v, err := parseJSONVector(r.rec.Vector[:0], r.obj.Vector)
	r.rec.Vector = v
	if err != nil {
		return err
	}
	meta, err := parseJSONMeta(r.obj.Meta)
	if err != nil {
		return errors.Wrap(err, "meta")
	}
	r.rec.ID, r.rec.Meta = id, meta
	return nil
}

// parseJSONID returns the ID of a jsonl record: a JSON string, or an integer
// formatted in decimal.
func parseJSONID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", errors.New("missing \"id\"")
	}
	var id string
	switch c := raw[0]; {
	case c == '"':
		if err := json.Unmarshal(raw, &id); err != nil {
			return "", errors.Wrap(err, "id")
		}
	case c == '-' || (c >= '0' && c <= '9'):
		if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return strconv.FormatInt(n, 10), nil
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return "", errors.Newf("id %s is not an integer", truncateForMessage(raw))
		}
		return strconv.FormatInt(int64(f), 10), nil
	default:
		return "", errors.Newf("id %s is not a string or an integer", truncateForMessage(raw))
	}
	if id == "" {
		return "", errors.New("empty id")
	}
	return id, nil
}

// parseJSONVector appends the numbers of the JSON array b (already checked
// to be valid JSON) to dst.
func parseJSONVector(dst []float32, b []byte) ([]float32, error) {
	i := skipJSONSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return dst, errors.New("vector is not an array")
	}
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return dst, nil
	}
	for k := 0; ; k++ {
		j := i
		for j < len(b) && isJSONNumberByte(b[j]) {
			j++
		}
		if j == i {
			return dst, errors.Newf("vector[%d] is not a number", k)
		}
		x, err := parseValue(b[i:j])
		if err != nil {
			return dst, errors.Wrapf(err, "vector[%d]", k)
		}
		dst = append(dst, x)
		i = skipJSONSpace(b, j)
		if i < len(b) && b[i] == ']' {
			return dst, nil
		}
		if i >= len(b) || b[i] != ',' {
			return dst, errors.Newf("vector[%d] is not a number", k)
		}
		i = skipJSONSpace(b, i+1)
	}
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func isJSONNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// parseJSONMeta decodes a "meta" member: nil when absent or null, else it
// must be an object.
func parseJSONMeta(raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	return decodeJSONObject(raw)
}

// decodeJSONObject decodes b, which must hold exactly one JSON object, with
// numbers as json.Number.
func decodeJSONObject(b []byte) (map[string]any, error) {
	if b = bytes.TrimLeft(b, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, errors.Wrap(err, "invalid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: text after the object")
	}
	return m, nil
}

// JSONLWriter writes records as JSON lines that the jsonl reader reads back
// exactly: {"id":"..","vector":[..],"meta":{..}}. Values are written with
// the shortest decimal form that round-trips through float32. It buffers;
// call Flush at the end. It is not safe for concurrent use.
type JSONLWriter struct {
	bw  *bufio.Writer
	buf []byte
}

// NewJSONLWriter returns a JSONLWriter that writes to w.
func NewJSONLWriter(w io.Writer) *JSONLWriter {
	return &JSONLWriter{bw: bufio.NewWriterSize(w, 256<<10)}
}

// Write writes one record. meta is omitted when nil. An ID that is not valid
// UTF-8, or a NaN or infinite value (which JSON cannot represent), is an
// error and nothing is written.
func (w *JSONLWriter) Write(id string, vec []float32, meta map[string]any) error {
	if !utf8.ValidString(id) {
		return errors.Newf("id %q is not valid UTF-8", id)
	}
	b := append(w.buf[:0], `{"id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"vector":[`...)
	for i, x := range vec {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errors.Newf("id %q: vector[%d] is %v, which JSON cannot represent", id, i, x)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	b = append(b, ']')
	if meta != nil {
		m, err := json.Marshal(meta)
		if err != nil {
			return errors.Wrapf(err, "id %q: encoding meta", id)
		}
		b = append(append(b, `,"meta":`...), m...)
	}
	b = append(b, "}\n"...)
	w.buf = b
	_, err := w.bw.Write(b)
	return err
}

// Flush writes any buffered data to the underlying writer.
func (w *JSONLWriter) Flush() error {
	return w.bw.Flush()
}

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
