package query

import (
	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
)

// Filter is a metadata filter that was parsed and checked against a
// collection's schema ([CompileFilter], [CheckFilter]). [Filter.Eval] turns
// it into the bitmap of matching documents. A Filter is immutable and
// goroutine-safe; a nil *Filter matches every live document.
//
// The language, in the order of precedence (loosest first):
//
//	expr    := and { OR and }
//	and     := unary { AND unary }
//	unary   := NOT unary | '(' expr ')' | pred
//	pred    := field op literal
//	         | field [NOT] IN '(' literal { ',' literal } ')'
//	         | field BETWEEN literal AND literal
//	         | EXISTS field | field EXISTS
//	op      := = | == | != | <> | < | <= | > | >=
//	literal := "string" | 'string' | number | TRUE | FALSE
//	field   := [A-Za-z_][A-Za-z0-9_.-]* | `any name`
//
// Keywords (AND OR NOT IN BETWEEN EXISTS TRUE FALSE) are case-insensitive,
// so a field named like one must be backquoted; a backquote inside
// backquotes is doubled. Strings take the escapes \" \' \\ \n \t and \uXXXX
// (a UTF-16 surrogate pair makes one character). Numbers are decimal with
// an optional sign, fraction and exponent: 3, -2.5, 1e6, .5. Example:
//
//	genre = "comedy" AND year >= 1990 AND NOT tags IN ("a", "b")
//
// Types. A keyword field compares with strings; a keywords field (a set of
// strings) too, and "=" and IN match when any member matches. Int and float
// fields compare with numbers, bool fields with TRUE and FALSE. Anything else
// is an error naming the field and its type, as is an unknown field. <, <=,
// >, >= and BETWEEN need an int or float field.
//
// Numbers. An int field compares with the exact value of the literal,
// without rounding through float64: year >= 1990.5 is year >= 1991,
// year = 3.5 matches nothing, and a literal beyond the int64 range is
// simply larger or smaller than every value. A float field compares exactly
// with the float64 nearest to the literal; a literal beyond the float64
// range is an error.
//
// Missing values. A predicate on field f matches only documents that have
// a value for f (for keywords: a non-empty set):
//   - f != v matches the documents that have f and whose value is not v
//     (for keywords: whose set does not contain v);
//   - f NOT IN (a, b) matches the documents that have f and none of the
//     values, that is f != a AND f != b;
//   - f BETWEEN a AND b includes both bounds, and matches nothing when a > b;
//   - EXISTS f matches the documents that have f.
//
// NOT p matches every live document that p does not match, so it includes
// the documents without the field: NOT genre = "x" differs from
// genre != "x" exactly by the documents that have no genre.
//
// The result of an evaluation only ever holds live documents. Filters are
// limited to [MaxFilterPredicates] predicates and a nesting of
// [MaxFilterDepth] parentheses and NOTs.
type Filter struct {
	expr Expr
	root *filterNode
}

// String returns the canonical form of the filter ([Expr.String]), which
// [CompileFilter] reads back to the same filter; "" for a nil Filter.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.expr.String()
}

// Expr returns the syntax tree the filter was checked from. The caller must
// not modify it.
func (f *Filter) Expr() Expr {
	if f == nil {
		return nil
	}
	return f.expr
}

// Eval returns the live documents that match the filter, as a bitmap that
// belongs to the caller. It calls ix.All once and the other methods of ix
// once per predicate left after simplification (an IN list asks Equal once
// per distinct value).
func (f *Filter) Eval(ix Index) (*roaring.Bitmap, error) {
	all, err := ix.All()
	if err != nil {
		return nil, errors.Wrap(err, "evaluating filter: reading live documents")
	}
	all = bitmapOrEmpty(all)
	if f == nil || f.root.kind == nodeAll {
		return all, nil
	}
	ev := filterEval{ix: ix, all: all}
	b, err := ev.eval(f.root)
	if err != nil {
		return nil, errors.Wrap(err, "evaluating filter")
	}
	if f.root.kind != nodeNot && f.root.kind != nodeNone {
		b.And(all)
	}
	return b, nil
}
