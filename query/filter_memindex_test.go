package query

import (
	"math"
	"math/big"
	"slices"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
)

// filterDoc is a document's metadata: string (keyword), []string (keywords),
// int64, float64 or bool per field; a missing key is a missing value.
type filterDoc map[string]any

// filterMemIndex is an in-memory Index over memDocs. Like a real store it keeps
// deleted documents in its per-value answers (only All leaves them out),
// and it returns nil for empty results, so both cases get exercised. It
// reports broken Index contracts (lo > hi, NaN bounds, wrong value types)
// as errors.
type filterMemIndex struct {
	schema Fields
	docs   map[uint32]filterDoc // live and deleted
	live   *roaring.Bitmap
	calls  int // index look-ups other than All
}

func newFilterMemIndex(schema Fields) *filterMemIndex {
	return &filterMemIndex{schema: schema, docs: map[uint32]filterDoc{}, live: roaring.New()}
}

func (m *filterMemIndex) add(id uint32, d filterDoc, live bool) {
	m.docs[id] = d
	if live {
		m.live.Add(id)
	} else {
		m.live.Remove(id)
	}
}

func (m *filterMemIndex) All() (*roaring.Bitmap, error) { return m.live.Clone(), nil }

func (m *filterMemIndex) checkField(f Field, types ...FieldType) error {
	m.calls++
	if sf, ok := m.schema.Field(f.Name); !ok || sf != f {
		return errors.Newf("filterMemIndex: field %+v is not in the schema", f)
	}
	if !slices.Contains(types, f.Type) {
		return errors.Newf("filterMemIndex: look-up on %s field %q", f.Type, f.Name)
	}
	return nil
}

// scan returns the documents whose value for name satisfies match, or nil.
func (m *filterMemIndex) scan(name string, match func(v any) bool) *roaring.Bitmap {
	b := roaring.New()
	for id, d := range m.docs {
		if v, ok := d[name]; ok && match(v) {
			b.Add(id)
		}
	}
	if b.IsEmpty() {
		return nil
	}
	return b
}

func (m *filterMemIndex) Equal(f Field, v Value) (*roaring.Bitmap, error) {
	if err := m.checkField(f, Keyword, Keywords, Bool); err != nil {
		return nil, err
	}
	if v.Type != f.Type {
		return nil, errors.Newf("filterMemIndex: %s value for %s field", v.Type, f.Type)
	}
	return m.scan(f.Name, func(x any) bool {
		switch x := x.(type) {
		case string:
			return x == v.Str
		case []string:
			return slices.Contains(x, v.Str)
		case bool:
			return x == v.Bool
		}
		return false
	}), nil
}

func (m *filterMemIndex) IntRange(f Field, lo, hi int64) (*roaring.Bitmap, error) {
	if err := m.checkField(f, Int); err != nil {
		return nil, err
	}
	if lo > hi {
		return nil, errors.Newf("filterMemIndex: IntRange(%d, %d) with lo > hi", lo, hi)
	}
	return m.scan(f.Name, func(x any) bool { return lo <= x.(int64) && x.(int64) <= hi }), nil
}

func (m *filterMemIndex) FloatRange(f Field, lo, hi float64, loIncl, hiIncl bool) (*roaring.Bitmap, error) {
	if err := m.checkField(f, Float); err != nil {
		return nil, err
	}
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return nil, errors.Newf("filterMemIndex: FloatRange with a NaN bound")
	}
	return m.scan(f.Name, func(x any) bool {
		v := x.(float64)
		return (lo < v || loIncl && lo == v) && (v < hi || hiIncl && v == hi)
	}), nil
}

func (m *filterMemIndex) Exists(f Field) (*roaring.Bitmap, error) {
	if err := m.checkField(f, Keyword, Keywords, Int, Float, Bool); err != nil {
		return nil, err
	}
	return m.scan(f.Name, func(x any) bool {
		if s, ok := x.([]string); ok {
			return len(s) > 0
		}
		return true
	}), nil
}

// refEval evaluates a checked expression over the live documents one by
// one, straight from the language's definition. It shares no code with the
// compiled evaluation: numbers compare as exact rationals for int fields.
func (m *filterMemIndex) refEval(e Expr) *roaring.Bitmap {
	b := roaring.New()
	for id, d := range m.docs {
		if m.live.Contains(id) && filterRefMatch(e, d, m.schema) {
			b.Add(id)
		}
	}
	return b
}

// filterRefMatch reports whether document d matches e.
func filterRefMatch(e Expr, d filterDoc, schema Fields) bool {
	switch e := e.(type) {
	case *AndExpr:
		for _, t := range e.Terms {
			if !filterRefMatch(t, d, schema) {
				return false
			}
		}
		return true
	case *OrExpr:
		for _, t := range e.Terms {
			if filterRefMatch(t, d, schema) {
				return true
			}
		}
		return false
	case *NotExpr:
		return !filterRefMatch(e.X, d, schema)
	case *ExistsExpr:
		_, ok := filterRefValue(d, e.Field.Name)
		return ok
	case *CompareExpr:
		v, ok := filterRefValue(d, e.Field.Name)
		if !ok {
			return false
		}
		if e.Op == OpEq || e.Op == OpNe {
			return filterRefEqual(v, e.Value) == (e.Op == OpEq)
		}
		c := filterRefCompare(v, e.Value)
		switch e.Op {
		case OpLt:
			return c < 0
		case OpLe:
			return c <= 0
		case OpGt:
			return c > 0
		}
		return c >= 0
	case *InExpr:
		v, ok := filterRefValue(d, e.Field.Name)
		if !ok {
			return false
		}
		in := slices.ContainsFunc(e.Values, func(l Literal) bool { return filterRefEqual(v, l) })
		return in != e.Not
	case *BetweenExpr:
		v, ok := filterRefValue(d, e.Field.Name)
		return ok && filterRefCompare(v, e.Lo) >= 0 && filterRefCompare(v, e.Hi) <= 0
	}
	panic(errors.AssertionFailedf("filterRefMatch: %T", e))
}

// filterRefValue returns d's value for name; an empty keyword set is no value.
func filterRefValue(d filterDoc, name string) (any, bool) {
	v, ok := d[name]
	if s, isSet := v.([]string); isSet && len(s) == 0 {
		return nil, false
	}
	return v, ok
}

func filterRefEqual(v any, l Literal) bool {
	switch v := v.(type) {
	case string:
		return v == l.Text
	case []string:
		return slices.Contains(v, l.Text)
	case bool:
		return v == l.Bool
	}
	return filterRefCompare(v, l) == 0
}

// filterRefCompare compares a numeric value with a number literal: exactly for
// int64, with the nearest float64 for float64.
func filterRefCompare(v any, l Literal) int {
	switch v := v.(type) {
	case int64:
		r, ok := new(big.Rat).SetString(l.Text)
		if !ok {
			panic(errors.AssertionFailedf("filterRefCompare: bad number %q", l.Text))
		}
		return new(big.Rat).SetInt64(v).Cmp(r)
	case float64:
		f, err := strconv.ParseFloat(l.Text, 64)
		if err != nil {
			panic(errors.AssertionFailedf("filterRefCompare: bad number %q", l.Text))
		}
		switch {
		case v < f:
			return -1
		case v > f:
			return 1
		}
		return 0
	}
	panic(errors.AssertionFailedf("filterRefCompare: %T", v))
}
