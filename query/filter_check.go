package query

import (
	"math"

	"github.com/cockroachdb/errors"
)

// CheckFilter resolves the fields of e against schema, checks the type of
// every literal against its field and returns the filter ready for
// evaluation. Errors are [*ParseError]s whose columns come from e (and are
// 0 for an expression built in code). A nil schema declares no fields.
func CheckFilter(e Expr, schema Schema) (*Filter, error) {
	return checkFilter(e, schema, "")
}

// CompileFilter parses s ([ParseFilter]) and checks it against schema
// ([CheckFilter]).
func CompileFilter(s string, schema Schema) (*Filter, error) {
	e, err := ParseFilter(s)
	if err != nil {
		return nil, err
	}
	return checkFilter(e, schema, s)
}

func checkFilter(e Expr, schema Schema, src string) (*Filter, error) {
	if e == nil {
		return nil, errors.AssertionFailedf("filter: nil expression")
	}
	c := filterChecker{schema: schema, src: src}
	root, err := c.check(e, 0)
	if err != nil {
		return nil, err
	}
	return &Filter{expr: e, root: root}, nil
}

type filterChecker struct {
	schema Schema
	src    string
}

func (c *filterChecker) errorf(col int, format string, args ...any) *ParseError {
	return newParseError(c.src, col, format, args...)
}

// check turns e into a simplified filterNode.
func (c *filterChecker) check(e Expr, depth int) (*filterNode, error) {
	if depth > MaxFilterDepth {
		return nil, c.errorf(0, "expression nested deeper than %d", MaxFilterDepth)
	}
	switch e := e.(type) {
	case *AndExpr, *OrExpr:
		terms, or := junctionTerms(e)
		if len(terms) == 0 {
			return nil, c.errorf(0, "empty AND or OR")
		}
		kids := make([]*filterNode, len(terms))
		for i, t := range terms {
			k, err := c.check(t, depth+1)
			if err != nil {
				return nil, err
			}
			kids[i] = k
		}
		if or {
			return orNode(kids...), nil
		}
		return andNode(kids...), nil
	case *NotExpr:
		x, err := c.check(e.X, depth+1)
		if err != nil {
			return nil, err
		}
		return notNode(x), nil
	case *CompareExpr:
		return c.checkCompare(e)
	case *InExpr:
		return c.checkIn(e)
	case *BetweenExpr:
		return c.checkBetween(e)
	case *ExistsExpr:
		f, err := c.field(e.Field)
		if err != nil {
			return nil, err
		}
		return &filterNode{kind: nodeExists, field: f}, nil
	}
	return nil, errors.AssertionFailedf("filter: unknown expression type %T", e)
}

func junctionTerms(e Expr) (terms []Expr, or bool) {
	if o, ok := e.(*OrExpr); ok {
		return o.Terms, true
	}
	return e.(*AndExpr).Terms, false
}

func (c *filterChecker) field(r FieldRef) (Field, error) {
	if c.schema != nil {
		if f, ok := c.schema.Field(r.Name); ok {
			return f, nil
		}
	}
	return Field{}, c.errorf(r.Col, "unknown field %s", truncateForError(quoteFilterString(r.Name)))
}

// numericField resolves r and requires an int or float field for what.
func (c *filterChecker) numericField(r FieldRef, what string) (Field, error) {
	f, err := c.field(r)
	if err == nil && f.Type != Int && f.Type != Float {
		err = c.errorf(r.Col, "field %s is %s; %s needs an int or float field",
			truncateForError(quoteFilterString(r.Name)), f.Type, what)
	}
	return f, err
}

func (c *filterChecker) mismatch(r FieldRef, f Field, l Literal) error {
	return c.errorf(r.Col, "field %s is %s, cannot compare with %s",
		truncateForError(quoteFilterString(r.Name)), f.Type, l.describe())
}

func (c *filterChecker) checkCompare(e *CompareExpr) (*filterNode, error) {
	switch e.Op {
	case OpEq, OpNe:
		f, err := c.field(e.Field)
		if err != nil {
			return nil, err
		}
		eq, err := c.equal(e.Field, f, e.Value)
		if err != nil {
			return nil, err
		}
		if e.Op == OpNe {
			return andNode(&filterNode{kind: nodeExists, field: f}, notNode(eq)), nil
		}
		return eq, nil
	case OpLt, OpLe, OpGt, OpGe:
		f, err := c.numericField(e.Field, `"`+e.Op.String()+`"`)
		if err != nil {
			return nil, err
		}
		return c.compareRange(e, f)
	}
	return nil, c.errorf(e.Field.Col, "unknown comparison operator %d", e.Op)
}

// equal returns the documents whose field f equals (for keywords: contains)
// the literal l.
func (c *filterChecker) equal(r FieldRef, f Field, l Literal) (*filterNode, error) {
	switch {
	case (f.Type == Keyword || f.Type == Keywords) && l.Kind == StringLiteral:
		return &filterNode{kind: nodeEqual, field: f, val: Value{Type: f.Type, Str: l.Text}}, nil
	case f.Type == Bool && l.Kind == BoolLiteral:
		return &filterNode{kind: nodeEqual, field: f, val: Value{Type: Bool, Bool: l.Bool}}, nil
	case f.Type == Int && l.Kind == NumberLiteral:
		n, err := c.intLiteral(l)
		if err != nil || !n.exact {
			return filterNone, err // a fraction or a huge number equals no int
		}
		return intRangeNode(f, n.floor, n.ceil), nil
	case f.Type == Float && l.Kind == NumberLiteral:
		v, err := c.floatLiteral(r, l)
		if err != nil {
			return nil, err
		}
		return floatRangeNode(f, v, v, true, true), nil
	}
	return nil, c.mismatch(r, f, l)
}

// compareRange handles <, <=, > and >= on a numeric field.
func (c *filterChecker) compareRange(e *CompareExpr, f Field) (*filterNode, error) {
	if e.Value.Kind != NumberLiteral {
		return nil, c.mismatch(e.Field, f, e.Value)
	}
	if f.Type == Int {
		n, err := c.intLiteral(e.Value)
		if err != nil {
			return nil, err
		}
		lo, hi := satInt{over: -1}, satInt{over: 1}
		switch e.Op {
		case OpLt:
			hi = n.ceil.addOne(-1)
		case OpLe:
			hi = n.floor
		case OpGt:
			lo = n.floor.addOne(1)
		case OpGe:
			lo = n.ceil
		}
		return intRangeNode(f, lo, hi), nil
	}
	v, err := c.floatLiteral(e.Field, e.Value)
	if err != nil {
		return nil, err
	}
	switch e.Op {
	case OpLt, OpLe:
		return floatRangeNode(f, math.Inf(-1), v, true, e.Op == OpLe), nil
	default:
		return floatRangeNode(f, v, math.Inf(1), e.Op == OpGe, true), nil
	}
}

func (c *filterChecker) checkIn(e *InExpr) (*filterNode, error) {
	f, err := c.field(e.Field)
	if err != nil {
		return nil, err
	}
	if len(e.Values) == 0 {
		return nil, c.errorf(e.Field.Col, "empty IN list")
	}
	kids := make([]*filterNode, 0, len(e.Values))
	seen := make(map[Value]bool, len(e.Values))
	for _, l := range e.Values {
		k, err := c.equal(e.Field, f, l)
		if err != nil {
			return nil, err
		}
		if k.kind == nodeEqual {
			if seen[k.val] {
				continue
			}
			seen[k.val] = true
		}
		kids = append(kids, k)
	}
	in := orNode(kids...) // one value: just that Equal
	if e.Not {
		return andNode(&filterNode{kind: nodeExists, field: f}, notNode(in)), nil
	}
	return in, nil
}

func (c *filterChecker) checkBetween(e *BetweenExpr) (*filterNode, error) {
	f, err := c.numericField(e.Field, "BETWEEN")
	if err != nil {
		return nil, err
	}
	for _, l := range []Literal{e.Lo, e.Hi} {
		if l.Kind != NumberLiteral {
			return nil, c.mismatch(e.Field, f, l)
		}
	}
	if f.Type == Int {
		lo, err := c.intLiteral(e.Lo)
		if err != nil {
			return nil, err
		}
		hi, err := c.intLiteral(e.Hi)
		if err != nil {
			return nil, err
		}
		return intRangeNode(f, lo.ceil, hi.floor), nil
	}
	lo, err := c.floatLiteral(e.Field, e.Lo)
	if err != nil {
		return nil, err
	}
	hi, err := c.floatLiteral(e.Field, e.Hi)
	if err != nil {
		return nil, err
	}
	return floatRangeNode(f, lo, hi, true, true), nil
}

func (c *filterChecker) intLiteral(l Literal) (intLiteral, error) {
	n, ok := parseIntLiteral(l.Text)
	if !ok {
		return n, c.errorf(l.Col, "malformed number %q", truncateForError(l.Text))
	}
	return n, nil
}

func (c *filterChecker) floatLiteral(r FieldRef, l Literal) (float64, error) {
	if _, _, _, _, ok := splitDecimal(l.Text); !ok {
		return 0, c.errorf(l.Col, "malformed number %q", truncateForError(l.Text))
	}
	v, ok := parseFloatLiteral(l.Text)
	if !ok {
		return 0, c.errorf(l.Col, "number %s is out of range for float field %s",
			truncateForError(l.Text), truncateForError(quoteFilterString(r.Name)))
	}
	return v, nil
}
