package query

import (
	"strconv"
	"strings"
)

// Value is a typed value handed to an [Index]: the literal of a filter
// predicate after it was checked against its field. Type is the field's type
// and says which of the other fields is meaningful: Str for [Keyword] and
// [Keywords], Int for [Int], Float for [Float] and Bool for [Bool].
//
// Value is comparable, so it may be used as a map key.
type Value struct {
	Type  FieldType
	Str   string
	Int   int64
	Float float64
	Bool  bool
}

// String formats v as a filter literal: a double-quoted string, a number,
// TRUE or FALSE (a float ±Inf prints as +Inf or -Inf, which is no literal).
func (v Value) String() string {
	switch v.Type {
	case Keyword, Keywords:
		return quoteFilterString(v.Str)
	case Int:
		return strconv.FormatInt(v.Int, 10)
	case Float:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	case Bool:
		if v.Bool {
			return "TRUE"
		}
		return "FALSE"
	}
	return "<invalid " + v.Type.String() + " value>"
}

// quoteFilterString renders s as a double-quoted filter string literal that
// the lexer reads back as s. Only the escapes the lexer accepts are used;
// bytes that are not valid UTF-8 are copied as they are.
func quoteFilterString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			const hex = "0123456789abcdef"
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
