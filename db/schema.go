package db

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/quant"
	"github.com/vecdb/vecdb/query"
)

// Limits, enforced with ErrInvalid errors.
const (
	// MaxDim is the largest vector dimension a collection may declare.
	MaxDim = 65536
	// MaxIDLen is the longest external record ID, in bytes.
	MaxIDLen = 1024
	// MaxFields is the most metadata fields a collection may declare.
	MaxFields = 256
	// MaxNameLen is the longest collection or field name, in bytes.
	MaxNameLen = 128
	// MaxKeywordLen is the longest keyword value, in bytes.
	MaxKeywordLen = 4096
	// MaxK is the largest k a search may ask for.
	MaxK = 100000
)

// Schema describes a collection: its vector dimension, metric and typed
// metadata fields.
type Schema struct {
	Name   string
	Dim    int
	Metric Metric
	Fields []Field
}

// Metric, Field and FieldType are re-exported so applications import only db.
type (
	Metric    = quant.Metric
	Field     = query.Field
	FieldType = query.FieldType
)

// Metric and field-type constants, re-exported from quant and query.
const (
	L2       = quant.L2
	Cosine   = quant.Cosine
	Dot      = quant.Dot
	Keyword  = query.Keyword
	Keywords = query.Keywords
	Int      = query.Int
	Float    = query.Float
	Bool     = query.Bool
)

// validName reports whether s is a valid collection or field name: 1 to
// MaxNameLen bytes of letters, digits, '_', '-' and '.', not starting with
// '-' or '.'.
func validName(s string) bool {
	if len(s) == 0 || len(s) > MaxNameLen || s[0] == '-' || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// InternalName returns the name of a collection that a component keeps
// for its own use beside collection coll, in the role given (a trainer's
// "staging" collection, a subword model's "ngrams"): "~role~coll". User
// names cannot contain '~', so no user collection is ever taken for one.
// Internal collections are left out of Collections, are dropped with
// coll, and staging ones left by a killed process are dropped at the next
// writable open. role is 1 to 16 lower-case letters.
func InternalName(role, coll string) string { return "~" + role + "~" + coll }

// internalBase returns the role and owner of an internal name (see
// InternalName; the owner may itself be internal), and whether s is one.
func internalBase(s string) (role, base string, ok bool) {
	if len(s) < 3 || s[0] != '~' || len(s) > MaxNameLen+64 {
		return "", "", false
	}
	role, base, found := strings.Cut(s[1:], "~")
	if !found || len(role) == 0 || len(role) > 16 {
		return "", "", false
	}
	for i := 0; i < len(role); i++ {
		if role[i] < 'a' || role[i] > 'z' {
			return "", "", false
		}
	}
	if _, _, inner := internalBase(base); !inner && !validName(base) {
		return "", "", false
	}
	return role, base, true
}

// validCollName reports whether s names a collection: a user name
// (validName) or an internal one.
func validCollName(s string) bool {
	_, _, internal := internalBase(s)
	return internal || validName(s)
}

// Validate reports the first problem with the schema.
func (s *Schema) Validate() error {
	if !validCollName(s.Name) {
		return invalidf("collection name %q: want 1-%d letters, digits, '_', '-' or '.', not starting with '-' or '.'", s.Name, MaxNameLen)
	}
	if s.Dim < 1 || s.Dim > MaxDim {
		return invalidf("collection %q: dimension %d outside [1, %d]", s.Name, s.Dim, MaxDim)
	}
	if !s.Metric.Valid() {
		return invalidf("collection %q: unknown metric %d", s.Name, s.Metric)
	}
	if len(s.Fields) > MaxFields {
		return invalidf("collection %q: %d fields, at most %d", s.Name, len(s.Fields), MaxFields)
	}
	seen := make(map[string]bool, len(s.Fields))
	for _, f := range s.Fields {
		if !validName(f.Name) {
			return invalidf("collection %q: field name %q: want 1-%d letters, digits, '_', '-' or '.'", s.Name, f.Name, MaxNameLen)
		}
		if !f.Type.Valid() {
			return invalidf("collection %q: field %q: unknown type %d", s.Name, f.Name, f.Type)
		}
		if seen[f.Name] {
			return invalidf("collection %q: field %q declared twice", s.Name, f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// fieldIndex returns the position of the named field, or -1.
func (s *Schema) fieldIndex(name string) int {
	for i, f := range s.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Field implements query.Schema.
func (s *Schema) Field(name string) (Field, bool) {
	if i := s.fieldIndex(name); i >= 0 {
		return s.Fields[i], true
	}
	return Field{}, false
}

// Stored catalog entry:
//
//	+---------+-----------+-----------+--------+-----------------+----------------------------+
//	| version | coll u32  | dim u32   | metric | nfields uvarint | {type byte, len uvarint, name} |
//	+---------+-----------+-----------+--------+-----------------+----------------------------+
const schemaVersion byte = 1

type catalogEntry struct {
	id     uint32
	schema Schema
}

func (e *catalogEntry) encode() []byte {
	b := []byte{schemaVersion}
	b = binary.LittleEndian.AppendUint32(b, e.id)
	b = binary.LittleEndian.AppendUint32(b, uint32(e.schema.Dim))
	b = append(b, byte(e.schema.Metric))
	b = appendUvarint(b, uint64(len(e.schema.Fields)))
	for _, f := range e.schema.Fields {
		b = append(b, byte(f.Type))
		b = appendUvarint(b, uint64(len(f.Name)))
		b = append(b, f.Name...)
	}
	return b
}

func decodeCatalogEntry(name string, b []byte) (*catalogEntry, error) {
	if len(b) < 10 {
		return nil, corruptionf("collection %q: schema of %d bytes", name, len(b))
	}
	if b[0] != schemaVersion {
		return nil, corruptionf("collection %q: unknown schema version %d", name, b[0])
	}
	e := &catalogEntry{id: binary.LittleEndian.Uint32(b[1:])}
	dim := binary.LittleEndian.Uint32(b[5:])
	if dim > math.MaxInt32 {
		return nil, corruptionf("collection %q: dimension %d", name, dim)
	}
	e.schema = Schema{Name: name, Dim: int(dim), Metric: Metric(b[9])}
	b = b[10:]
	n, k := uvarint(b)
	if k <= 0 || n > MaxFields {
		return nil, corruptionf("collection %q: bad field count", name)
	}
	b = b[k:]
	for i := uint64(0); i < n; i++ {
		if len(b) < 1 {
			return nil, corruptionf("collection %q: truncated field %d", name, i)
		}
		t := FieldType(b[0])
		l, k := uvarint(b[1:])
		if k <= 0 || l > uint64(len(b)-1-k) {
			return nil, corruptionf("collection %q: truncated field %d", name, i)
		}
		start := 1 + k
		e.schema.Fields = append(e.schema.Fields, Field{Name: string(b[start : start+int(l)]), Type: t})
		b = b[start+int(l):]
	}
	if len(b) != 0 {
		return nil, corruptionf("collection %q: %d trailing schema bytes", name, len(b))
	}
	if err := e.schema.Validate(); err != nil {
		return nil, corruptionf("collection %q: stored schema invalid: %v", name, err)
	}
	return e, nil
}

// ParseMetric parses "l2", "cosine" or "dot".
func ParseMetric(s string) (Metric, error) { return quant.ParseMetric(s) }

// ParseFieldType parses keyword, keywords, int, float or bool.
func ParseFieldType(s string) (FieldType, error) { return query.ParseFieldType(s) }

// ParseField parses a "NAME:TYPE" field declaration, e.g. "year:int".
func ParseField(s string) (Field, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return Field{}, invalidf("field %q: want NAME:TYPE, e.g. year:int", s)
	}
	t, err := ParseFieldType(s[i+1:])
	if err != nil {
		return Field{}, sentinel.Mark(errors.Wrapf(err, "field %q", s), ErrInvalid)
	}
	return Field{Name: s[:i], Type: t}, nil
}
