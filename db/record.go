package db

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Meta is a record's metadata: declared field name -> value. Accepted Go
// values by field type: keyword: string; keywords: []string or []any of
// strings; int: any Go integer, an integral float64 or json.Number; float:
// any Go number or json.Number (not NaN or ±Inf); bool: bool. A nil value
// means the field is absent. Records read back carry string, []string,
// int64, float64 and bool.
type Meta map[string]any

// metaValue is one validated field value.
type metaValue struct {
	field int // index into Schema.Fields
	s     string
	ss    []string // keywords, sorted and deduplicated
	i     int64
	f     float64
	b     bool
}

// normalizeMeta validates m against the schema and returns its values
// ordered by field index.
func normalizeMeta(s *Schema, id string, m Meta) ([]metaValue, error) {
	if len(m) == 0 {
		return nil, nil
	}
	vals := make([]metaValue, 0, len(m))
	for name, v := range m {
		fi := s.fieldIndex(name)
		if fi < 0 {
			return nil, invalidf("record %q: unknown field %q (collection %q declares %s)", id, name, s.Name, fieldList(s))
		}
		if v == nil {
			continue
		}
		mv, ok, err := convertValue(s.Fields[fi], v)
		if err != nil {
			return nil, invalidf("record %q: field %q: %v", id, name, err)
		}
		if ok {
			mv.field = fi
			vals = append(vals, mv)
		}
	}
	slices.SortFunc(vals, func(a, b metaValue) int { return a.field - b.field })
	return vals, nil
}

func fieldList(s *Schema) string {
	if len(s.Fields) == 0 {
		return "no fields"
	}
	out := ""
	for i, f := range s.Fields {
		if i > 0 {
			out += ", "
		}
		out += f.Name + ":" + f.Type.String()
	}
	return out
}

type fieldError string

func (e fieldError) Error() string { return string(e) }

func typeErr(f Field, v any) error {
	return fieldError("want " + f.Type.String() + ", got " + describe(v))
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a value of Go type %T", v)
}

// convertValue checks v against f's type. ok is false for values that mean
// "absent" (an empty keywords list).
func convertValue(f Field, v any) (mv metaValue, ok bool, err error) {
	switch f.Type {
	case Keyword:
		s, isStr := v.(string)
		if !isStr {
			return mv, false, typeErr(f, v)
		}
		if err := checkKeyword(s); err != nil {
			return mv, false, err
		}
		mv.s = s
	case Keywords:
		var list []string
		switch x := v.(type) {
		case []string:
			list = slices.Clone(x)
		case []any:
			list = make([]string, 0, len(x))
			for _, e := range x {
				s, isStr := e.(string)
				if !isStr {
					return mv, false, fieldError("want a list of strings, found " + describe(e))
				}
				list = append(list, s)
			}
		case string:
			list = []string{x}
		default:
			return mv, false, typeErr(f, v)
		}
		for _, s := range list {
			if err := checkKeyword(s); err != nil {
				return mv, false, err
			}
		}
		slices.Sort(list)
		list = slices.Compact(list)
		if len(list) == 0 {
			return mv, false, nil
		}
		mv.ss = list
	case Int:
		i, err := toInt(v)
		if err != nil {
			return mv, false, err
		}
		mv.i = i
	case Float:
		x, err := toFloat(v)
		if err != nil {
			return mv, false, err
		}
		if x == 0 {
			x = 0 // fold -0
		}
		mv.f = x
	case Bool:
		b, isBool := v.(bool)
		if !isBool {
			return mv, false, typeErr(f, v)
		}
		mv.b = b
	}
	return mv, true, nil
}

func checkKeyword(s string) error {
	if len(s) > MaxKeywordLen {
		return fieldError("keyword of " + strconv.Itoa(len(s)) + " bytes, at most " + strconv.Itoa(MaxKeywordLen))
	}
	if !utf8.ValidString(s) {
		return fieldError("keyword is not valid UTF-8")
	}
	return nil
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, fieldError("integer " + strconv.FormatUint(uint64(x), 10) + " overflows int64")
		}
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fieldError("integer " + strconv.FormatUint(x, 10) + " overflows int64")
		}
		return int64(x), nil
	case float32:
		return floatToInt(float64(x))
	case float64:
		return floatToInt(x)
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return 0, fieldError("want int, got " + string(x))
		}
		return floatToInt(f)
	}
	return 0, fieldError("want int, got " + describe(v))
}

func floatToInt(f float64) (int64, error) {
	if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fieldError("want int, got " + strconv.FormatFloat(f, 'g', -1, 64))
	}
	if f < -(1<<63) || f >= 1<<63 {
		return 0, fieldError("integer " + strconv.FormatFloat(f, 'g', -1, 64) + " overflows int64")
	}
	return int64(f), nil
}

func toFloat(v any) (float64, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case json.Number:
		var err error
		f, err = strconv.ParseFloat(string(x), 64)
		if err != nil {
			return 0, fieldError("want float, got " + string(x))
		}
	default:
		i, err := toInt(v)
		if err != nil {
			return 0, fieldError("want float, got " + describe(v))
		}
		f = float64(i)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fieldError("want a finite float, got " + strconv.FormatFloat(f, 'g', -1, 64))
	}
	return f, nil
}

// valueKeys appends the bitmap keys (value tag) that a value sets.
func (mv *metaValue) valueKeys(s *Schema, coll uint32, keys [][]byte) [][]byte {
	f := s.Fields[mv.field]
	prefix := appendFieldPrefix(nil, coll, uint16(mv.field), tagValue)
	switch f.Type {
	case Keyword:
		keys = append(keys, append(prefix, mv.s...))
	case Keywords:
		for _, s := range mv.ss {
			keys = append(keys, append(slices.Clip(prefix), s...))
		}
	case Int:
		keys = append(keys, appendSortableInt(prefix, mv.i))
	case Float:
		keys = append(keys, appendSortableFloat(prefix, mv.f))
	case Bool:
		b := byte(0)
		if mv.b {
			b = 1
		}
		keys = append(keys, append(prefix, b))
	}
	return keys
}

// Stored doc record (family famDoc):
//
//	+---------+----------------+-----+-----------------+-------------------------------+
//	| version | idlen uvarint  | id  | nvals uvarint   | {field uvarint, value by type} |
//	+---------+----------------+-----+-----------------+-------------------------------+
//
// value: keyword = len uvarint + bytes; keywords = count uvarint + keywords;
// int = zig-zag varint; float = 8 bytes LE; bool = 1 byte.
const docVersion byte = 1

func encodeDoc(dst []byte, s *Schema, id string, vals []metaValue) []byte {
	dst = append(dst, docVersion)
	dst = appendUvarint(dst, uint64(len(id)))
	dst = append(dst, id...)
	dst = appendUvarint(dst, uint64(len(vals)))
	for i := range vals {
		mv := &vals[i]
		dst = appendUvarint(dst, uint64(mv.field))
		switch s.Fields[mv.field].Type {
		case Keyword:
			dst = appendUvarint(dst, uint64(len(mv.s)))
			dst = append(dst, mv.s...)
		case Keywords:
			dst = appendUvarint(dst, uint64(len(mv.ss)))
			for _, k := range mv.ss {
				dst = appendUvarint(dst, uint64(len(k)))
				dst = append(dst, k...)
			}
		case Int:
			dst = binary.AppendVarint(dst, mv.i)
		case Float:
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(mv.f))
		case Bool:
			if mv.b {
				dst = append(dst, 1)
			} else {
				dst = append(dst, 0)
			}
		}
	}
	return dst
}

// docReader decodes a stored doc record; errors are marked ErrCorruption.
type docReader struct {
	b   []byte
	err error
}

func (r *docReader) fail(what string) {
	if r.err == nil {
		r.err = corruptionf("doc record: %s", what)
	}
}

func (r *docReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, k := uvarint(r.b)
	if k <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *docReader) bytes() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.fail("length exceeds record")
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// decodeDocID decodes only the record ID of a stored doc record.
func decodeDocID(b []byte) (string, error) {
	if len(b) < 1 || b[0] != docVersion {
		return "", corruptionf("doc record: bad version")
	}
	r := docReader{b: b[1:]}
	id := r.bytes()
	return id, r.err
}

func decodeDoc(s *Schema, b []byte) (id string, vals []metaValue, err error) {
	if len(b) < 1 || b[0] != docVersion {
		return "", nil, corruptionf("doc record: bad version")
	}
	r := docReader{b: b[1:]}
	id = r.bytes()
	n := r.uvarint()
	if n > uint64(len(s.Fields)) {
		r.fail("more values than fields")
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		fi := r.uvarint()
		if r.err != nil {
			break
		}
		if fi >= uint64(len(s.Fields)) {
			r.fail("field index out of range")
			break
		}
		mv := metaValue{field: int(fi)}
		switch s.Fields[fi].Type {
		case Keyword:
			mv.s = r.bytes()
		case Keywords:
			c := r.uvarint()
			if c > uint64(len(r.b)) {
				r.fail("keyword count exceeds record")
				break
			}
			mv.ss = make([]string, 0, c)
			for j := uint64(0); j < c && r.err == nil; j++ {
				mv.ss = append(mv.ss, r.bytes())
			}
		case Int:
			v, k := binary.Varint(r.b)
			if k <= 0 {
				r.fail("bad int")
				break
			}
			mv.i, r.b = v, r.b[k:]
		case Float:
			if len(r.b) < 8 {
				r.fail("truncated float")
				break
			}
			mv.f, r.b = math.Float64frombits(binary.LittleEndian.Uint64(r.b)), r.b[8:]
		case Bool:
			if len(r.b) < 1 || r.b[0] > 1 {
				r.fail("bad bool")
				break
			}
			mv.b, r.b = r.b[0] == 1, r.b[1:]
		}
		vals = append(vals, mv)
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("trailing bytes")
	}
	if r.err != nil {
		return "", nil, r.err
	}
	return id, vals, nil
}

// toMeta converts decoded values to the user-facing map.
func toMeta(s *Schema, vals []metaValue) Meta {
	if len(vals) == 0 {
		return nil
	}
	m := make(Meta, len(vals))
	for i := range vals {
		mv := &vals[i]
		f := s.Fields[mv.field]
		switch f.Type {
		case Keyword:
			m[f.Name] = mv.s
		case Keywords:
			m[f.Name] = slices.Clone(mv.ss)
		case Int:
			m[f.Name] = mv.i
		case Float:
			m[f.Name] = mv.f
		case Bool:
			m[f.Name] = mv.b
		}
	}
	return m
}

func sameMeta(a, b []metaValue) bool {
	return slices.EqualFunc(a, b, func(x, y metaValue) bool {
		return x.field == y.field && x.s == y.s && slices.Equal(x.ss, y.ss) && x.i == y.i &&
			math.Float64bits(x.f) == math.Float64bits(y.f) && x.b == y.b
	})
}

// sortable returns the sortable encoding of a numeric value and whether
// the value is numeric.
func (mv *metaValue) sortable(s *Schema) (uint64, bool) {
	switch s.Fields[mv.field].Type {
	case Int:
		return sortableInt(mv.i), true
	case Float:
		return sortableFloat(mv.f), true
	}
	return 0, false
}
