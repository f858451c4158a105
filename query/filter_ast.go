package query

import (
	"strings"
)

// Expr is a node of a parsed filter expression: one of [*OrExpr], [*AndExpr],
// [*NotExpr], [*CompareExpr], [*InExpr], [*BetweenExpr] and [*ExistsExpr].
// The parser returns a tree whose AND and OR nodes are flattened: no term of
// an [*AndExpr] is an [*AndExpr] and no term of an [*OrExpr] is an [*OrExpr].
//
// An Expr is not checked against any schema; see [CheckFilter]. Expressions
// are plain values: they are goroutine-safe as long as no one modifies them.
type Expr interface {
	// String returns the canonical form of the expression: upper-case
	// keywords, "=" and "!=" for equality, double-quoted strings, numbers as
	// written, and parentheses only where precedence needs them.
	// [ParseFilter] reads it back to an expression with the same String.
	String() string

	format(b *strings.Builder)
}

// CompareOp is a comparison operator of a [CompareExpr].
type CompareOp uint8

const (
	// OpEq is "=" (also written "==").
	OpEq CompareOp = iota + 1
	// OpNe is "!=" (also written "<>").
	OpNe
	// OpLt is "<".
	OpLt
	// OpLe is "<=".
	OpLe
	// OpGt is ">".
	OpGt
	// OpGe is ">=".
	OpGe
)

// String returns the operator's canonical spelling.
func (op CompareOp) String() string {
	switch op {
	case OpEq:
		return "="
	case OpNe:
		return "!="
	case OpLt:
		return "<"
	case OpLe:
		return "<="
	case OpGt:
		return ">"
	case OpGe:
		return ">="
	}
	return "?op?"
}

// LiteralKind says which kind of literal a [Literal] is.
type LiteralKind uint8

const (
	// StringLiteral is a quoted string; Literal.Text holds its value.
	StringLiteral LiteralKind = iota + 1
	// NumberLiteral is a number; Literal.Text holds it as written, which
	// keeps integers exact whatever their size.
	NumberLiteral
	// BoolLiteral is TRUE or FALSE; Literal.Bool holds it.
	BoolLiteral
)

// Literal is a constant in a filter expression.
type Literal struct {
	Kind LiteralKind
	// Text is the value of a string, or a number as written.
	Text string
	// Bool is the value of a bool literal.
	Bool bool
	// Col is the 1-based column where the literal starts, or 0 when the
	// literal was not parsed from text.
	Col int
}

// String renders the literal in canonical form.
func (l Literal) String() string {
	switch l.Kind {
	case StringLiteral:
		return quoteFilterString(l.Text)
	case NumberLiteral:
		return l.Text
	case BoolLiteral:
		if l.Bool {
			return "TRUE"
		}
		return "FALSE"
	}
	return "?literal?"
}

// describe names the literal for error messages: `string "x"`, `number 3`.
func (l Literal) describe() string {
	switch l.Kind {
	case StringLiteral:
		return "string " + truncateForError(quoteFilterString(l.Text))
	case NumberLiteral:
		return "number " + truncateForError(l.Text)
	case BoolLiteral:
		return "bool " + l.String()
	}
	return l.String()
}

// FieldRef names a field in a filter expression.
type FieldRef struct {
	Name string
	// Col is the 1-based column where the name starts, or 0.
	Col int
}

// String renders the name bare when it is an identifier that is not a
// keyword, and backquoted (with backquotes doubled) otherwise.
func (r FieldRef) String() string { return formatFilterIdent(r.Name) }

// OrExpr is Terms[0] OR Terms[1] OR ...
type OrExpr struct{ Terms []Expr }

// AndExpr is Terms[0] AND Terms[1] AND ...
type AndExpr struct{ Terms []Expr }

// NotExpr is NOT X.
type NotExpr struct {
	X Expr
	// Col is the 1-based column of the NOT keyword, or 0.
	Col int
}

// CompareExpr is Field Op Value.
type CompareExpr struct {
	Field FieldRef
	Op    CompareOp
	Value Literal
}

// InExpr is Field IN (Values...), or Field NOT IN (Values...) when Not is set.
type InExpr struct {
	Field  FieldRef
	Not    bool
	Values []Literal
}

// BetweenExpr is Field BETWEEN Lo AND Hi (both bounds inclusive).
type BetweenExpr struct {
	Field  FieldRef
	Lo, Hi Literal
}

// ExistsExpr is EXISTS Field (also written Field EXISTS).
type ExistsExpr struct {
	Field FieldRef
}

func (e *OrExpr) String() string      { return exprString(e) }
func (e *AndExpr) String() string     { return exprString(e) }
func (e *NotExpr) String() string     { return exprString(e) }
func (e *CompareExpr) String() string { return exprString(e) }
func (e *InExpr) String() string      { return exprString(e) }
func (e *BetweenExpr) String() string { return exprString(e) }
func (e *ExistsExpr) String() string  { return exprString(e) }

func exprString(e Expr) string {
	var b strings.Builder
	e.format(&b)
	return b.String()
}

// formatOperand writes e, in parentheses when it is an AND or OR (or when
// an OR nests in an OR, which only code-built trees have).
func formatOperand(b *strings.Builder, e Expr) {
	switch e.(type) {
	case *AndExpr, *OrExpr:
		b.WriteByte('(')
		e.format(b)
		b.WriteByte(')')
	default:
		e.format(b)
	}
}

func (e *OrExpr) format(b *strings.Builder) {
	for i, t := range e.Terms {
		if i > 0 {
			b.WriteString(" OR ")
		}
		if _, ok := t.(*OrExpr); ok {
			formatOperand(b, t)
		} else {
			t.format(b)
		}
	}
}

func (e *AndExpr) format(b *strings.Builder) {
	for i, t := range e.Terms {
		if i > 0 {
			b.WriteString(" AND ")
		}
		formatOperand(b, t)
	}
}

func (e *NotExpr) format(b *strings.Builder) {
	b.WriteString("NOT ")
	formatOperand(b, e.X)
}

func (e *CompareExpr) format(b *strings.Builder) {
	b.WriteString(e.Field.String())
	b.WriteByte(' ')
	b.WriteString(e.Op.String())
	b.WriteByte(' ')
	b.WriteString(e.Value.String())
}

func (e *InExpr) format(b *strings.Builder) {
	b.WriteString(e.Field.String())
	if e.Not {
		b.WriteString(" NOT")
	}
	b.WriteString(" IN (")
	for i, v := range e.Values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.String())
	}
	b.WriteByte(')')
}

func (e *BetweenExpr) format(b *strings.Builder) {
	b.WriteString(e.Field.String())
	b.WriteString(" BETWEEN ")
	b.WriteString(e.Lo.String())
	b.WriteString(" AND ")
	b.WriteString(e.Hi.String())
}

func (e *ExistsExpr) format(b *strings.Builder) {
	b.WriteString("EXISTS ")
	b.WriteString(e.Field.String())
}

// formatFilterIdent renders a field name so that the lexer reads it back.
func formatFilterIdent(name string) string {
	if isBareFilterIdent(name) {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// isBareFilterIdent reports whether name matches [A-Za-z_][A-Za-z0-9_.-]*
// and is not a keyword.
func isBareFilterIdent(name string) bool {
	if name == "" || !isFilterIdentStart(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if !isFilterIdentChar(name[i]) {
			return false
		}
	}
	_, kw := lookupFilterKeyword(name)
	return !kw
}

func isFilterIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isFilterIdentChar(c byte) bool {
	return isFilterIdentStart(c) || ('0' <= c && c <= '9') || c == '.' || c == '-'
}

// truncateForError shortens s for an error message, keeping whole runes.
func truncateForError(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}
