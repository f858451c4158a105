package query

import (
	"fmt"
	"strings"
)

const (
	// MaxFilterPredicates is the most predicates (comparisons, IN, BETWEEN
	// and EXISTS terms) one filter may have. It bounds the work of one
	// evaluation; an IN list counts as one predicate whatever its length.
	MaxFilterPredicates = 1000
	// MaxFilterDepth is the deepest nesting of parentheses and NOT one filter
	// may have. It bounds the recursion of the parser and the evaluator.
	MaxFilterDepth = 100
)

// ParseError is the error [ParseFilter], [CompileFilter] and [CheckFilter]
// return for a filter that does not parse or does not type-check.
type ParseError struct {
	// Input is the filter text, when known.
	Input string
	// Col is the 1-based column (counted in characters, not bytes) where the
	// problem is, or 0 when it has no position (an expression built in
	// code).
	Col int
	// Msg says what is wrong, often as "expected X, got Y".
	Msg string
}

func newParseError(input string, col int, format string, args ...any) *ParseError {
	return &ParseError{Input: input, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// Error returns "filter: column N: MSG".
func (e *ParseError) Error() string {
	if e.Col <= 0 {
		return "filter: " + e.Msg
	}
	return fmt.Sprintf("filter: column %d: %s", e.Col, e.Msg)
}

// Caret renders the input on one line (tabs and line breaks shown as
// spaces) and a caret under the column of the error:
//
//	genre = AND year > 3
//	        ^
//
// It returns "" when the input or the column is unknown.
func (e *ParseError) Caret() string {
	if e.Input == "" || e.Col <= 0 {
		return ""
	}
	line := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, e.Input)
	return line + "\n" + strings.Repeat(" ", e.Col-1) + "^"
}

// ParseFilter parses a filter expression (see [Filter] for the language)
// into its syntax tree. It does not look at any schema: field names and
// literal types are checked by [CheckFilter]. Errors are [*ParseError]s.
func ParseFilter(s string) (Expr, error) {
	p := filterParser{src: s}
	p.lx.init(s)
	if err := p.advance(); err != nil {
		return nil, err
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.errorf(p.tok.col, "expected AND, OR or end of input, got %s", p.tok.describe())
	}
	return e, nil
}

// filterParser is a recursive-descent parser with one token of look-ahead.
type filterParser struct {
	src   string
	lx    filterLexer
	tok   filterToken // the current, not yet consumed, token
	depth int         // parentheses and NOTs open
	preds int         // predicates parsed so far
}

func (p *filterParser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *filterParser) errorf(col int, format string, args ...any) *ParseError {
	return newParseError(p.src, col, format, args...)
}

// parseOr parses and { OR and }.
func (p *filterParser) parseOr() (Expr, error) {
	x, err := p.parseAnd("")
	if err != nil || p.tok.kind != tokOr {
		return x, err
	}
	or := &OrExpr{}
	or.Terms = appendFlat(or.Terms, x, true)
	for p.tok.kind == tokOr {
		if err := p.advance(); err != nil {
			return nil, err
		}
		y, err := p.parseAnd("after OR")
		if err != nil {
			return nil, err
		}
		or.Terms = appendFlat(or.Terms, y, true)
	}
	return or, nil
}

// parseAnd parses unary { AND unary }.
func (p *filterParser) parseAnd(ctx string) (Expr, error) {
	x, err := p.parseUnary(ctx)
	if err != nil || p.tok.kind != tokAnd {
		return x, err
	}
	and := &AndExpr{}
	and.Terms = appendFlat(and.Terms, x, false)
	for p.tok.kind == tokAnd {
		if err := p.advance(); err != nil {
			return nil, err
		}
		y, err := p.parseUnary("after AND")
		if err != nil {
			return nil, err
		}
		and.Terms = appendFlat(and.Terms, y, false)
	}
	return and, nil
}

// appendFlat appends x to terms, or x's own terms when x is an OR inside
// an OR (or an AND inside an AND), which parentheses can write.
func appendFlat(terms []Expr, x Expr, inOr bool) []Expr {
	switch y := x.(type) {
	case *AndExpr:
		if !inOr {
			return append(terms, y.Terms...)
		}
	case *OrExpr:
		if inOr {
			return append(terms, y.Terms...)
		}
	}
	return append(terms, x)
}

// parseUnary parses NOT unary | '(' or ')' | EXISTS IDENT | pred. ctx says
// what came before, for the error message.
func (p *filterParser) parseUnary(ctx string) (Expr, error) {
	switch p.tok.kind {
	case tokNot, tokLParen:
		open := p.tok
		if p.depth++; p.depth > MaxFilterDepth {
			return nil, p.errorf(open.col, "expression nested deeper than %d", MaxFilterDepth)
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		var x Expr
		var err error
		if open.kind == tokNot {
			x, err = p.parseUnary("after NOT")
			x = &NotExpr{X: x, Col: open.col}
		} else {
			x, err = p.parseOr()
			if err == nil && p.tok.kind != tokRParen {
				err = p.errorf(p.tok.col, `expected ")" to close "(" at column %d, got %s`, open.col, p.tok.describe())
			}
			if err == nil {
				err = p.advance()
			}
		}
		p.depth--
		if err != nil {
			return nil, err
		}
		return x, nil
	case tokExists:
		col := p.tok.col
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != tokIdent {
			return nil, p.errorf(p.tok.col, "expected a field name after EXISTS, got %s", p.tok.describe())
		}
		if err := p.countPred(col); err != nil {
			return nil, err
		}
		e := &ExistsExpr{Field: FieldRef{Name: p.tok.text, Col: p.tok.col}}
		return e, p.advance()
	case tokIdent:
		return p.parsePred()
	}
	if ctx != "" {
		ctx = " " + ctx
	}
	return nil, p.errorf(p.tok.col, `expected a field name, NOT, EXISTS or "("%s, got %s`, ctx, p.tok.describe())
}

func (p *filterParser) countPred(col int) error {
	if p.preds++; p.preds > MaxFilterPredicates {
		return p.errorf(col, "too many predicates (the limit is %d)", MaxFilterPredicates)
	}
	return nil
}

// parsePred parses the predicates that start with a field name.
func (p *filterParser) parsePred() (Expr, error) {
	field := FieldRef{Name: p.tok.text, Col: p.tok.col}
	if err := p.countPred(field.Col); err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tokOp:
		op := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		v, err := p.parseLiteral(`after "` + op.text + `"`)
		if err != nil {
			return nil, err
		}
		return &CompareExpr{Field: field, Op: op.op, Value: v}, nil
	case tokIn:
		return p.parseIn(field, false)
	case tokNot:
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != tokIn {
			return nil, p.errorf(p.tok.col, "expected IN after %s NOT, got %s", field, p.tok.describe())
		}
		return p.parseIn(field, true)
	case tokBetween:
		return p.parseBetween(field)
	case tokExists:
		return &ExistsExpr{Field: field}, p.advance()
	}
	return nil, p.errorf(p.tok.col, "expected an operator, IN, NOT IN, BETWEEN or EXISTS after field %s, got %s",
		field, p.tok.describe())
}

// parseIn parses '(' literal {',' literal} ')' after IN or NOT IN.
func (p *filterParser) parseIn(field FieldRef, not bool) (Expr, error) {
	kw := "IN"
	if not {
		kw = "NOT IN"
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokLParen {
		return nil, p.errorf(p.tok.col, `expected "(" after %s, got %s`, kw, p.tok.describe())
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokRParen {
		return nil, p.errorf(p.tok.col, `expected a value in the %s list, got ")" (the list may not be empty)`, kw)
	}
	e := &InExpr{Field: field, Not: not}
	ctx := `after "("`
	for {
		v, err := p.parseLiteral(ctx)
		if err != nil {
			return nil, err
		}
		e.Values = append(e.Values, v)
		switch p.tok.kind {
		case tokComma:
			ctx = `after ","`
		case tokRParen:
			return e, p.advance()
		default:
			return nil, p.errorf(p.tok.col, `expected "," or ")" in the %s list, got %s`, kw, p.tok.describe())
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}

// parseBetween parses BETWEEN literal AND literal.
func (p *filterParser) parseBetween(field FieldRef) (Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	lo, err := p.parseLiteral("after BETWEEN")
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokAnd {
		return nil, p.errorf(p.tok.col, "expected AND after BETWEEN %s, got %s", lo, p.tok.describe())
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	hi, err := p.parseLiteral("after BETWEEN " + lo.String() + " AND")
	if err != nil {
		return nil, err
	}
	return &BetweenExpr{Field: field, Lo: lo, Hi: hi}, nil
}

// parseLiteral parses a string, number, TRUE or FALSE; ctx says what came
// before, for the error message.
func (p *filterParser) parseLiteral(ctx string) (Literal, error) {
	l := Literal{Text: p.tok.text, Col: p.tok.col}
	switch p.tok.kind {
	case tokString:
		l.Kind = StringLiteral
	case tokNumber:
		l.Kind = NumberLiteral
	case tokTrue, tokFalse:
		l = Literal{Kind: BoolLiteral, Bool: p.tok.kind == tokTrue, Col: p.tok.col}
	case tokIdent:
		return l, p.errorf(p.tok.col, "expected a value %s, got %s (strings are quoted: %s)",
			ctx, p.tok.describe(), truncateForError(quoteFilterString(p.tok.text)))
	default:
		return l, p.errorf(p.tok.col, "expected a value %s, got %s", ctx, p.tok.describe())
	}
	return l, p.advance()
}
