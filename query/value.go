package query

import (
	"strconv"

	"github.com/cockroachdb/errors"
)

// FieldType is the declared type of a metadata field.
type FieldType uint8

const (
	// Keyword is a single string value, matched exactly.
	Keyword FieldType = iota + 1
	// Keywords is a set of strings (multi-valued); "=" and IN match any member.
	Keywords
	// Int is a signed 64-bit integer.
	Int
	// Float is a 64-bit float (NaN is rejected).
	Float
	// Bool is true or false.
	Bool
)

// String returns the type's name as the CLI spells it.
func (t FieldType) String() string {
	switch t {
	case Keyword:
		return "keyword"
	case Keywords:
		return "keywords"
	case Int:
		return "int"
	case Float:
		return "float"
	case Bool:
		return "bool"
	}
	return "unknown(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is a defined field type.
func (t FieldType) Valid() bool { return t >= Keyword && t <= Bool }

// ParseFieldType parses keyword, keywords, int, float or bool.
func ParseFieldType(s string) (FieldType, error) {
	switch s {
	case "keyword":
		return Keyword, nil
	case "keywords":
		return Keywords, nil
	case "int":
		return Int, nil
	case "float":
		return Float, nil
	case "bool":
		return Bool, nil
	}
	return 0, errors.Newf("unknown field type %q (want keyword, keywords, int, float or bool)", s)
}

// Field is a declared metadata field of a collection.
type Field struct {
	Name string
	Type FieldType
}

// Schema resolves field names to their declared fields.
type Schema interface {
	// Field returns the field called name, or false when no such field is declared.
	Field(name string) (Field, bool)
}

// Fields is a Schema over a slice of fields.
type Fields []Field

// Field implements Schema.
func (fs Fields) Field(name string) (Field, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}
