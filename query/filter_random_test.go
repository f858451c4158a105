package query

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// randomFilterSchema has one field of each type, plus names that must be
// backquoted.
var randomFilterSchema = Fields{
	{Name: "genre", Type: Keyword},
	{Name: "tags", Type: Keywords},
	{Name: "year", Type: Int},
	{Name: "price", Type: Float},
	{Name: "flag", Type: Bool},
	{Name: "In", Type: Int},
	{Name: "the `name`", Type: Keyword},
}

var (
	randomFilterKeywords = []string{"", "a", "b", "comedy", "drama", "x y", `q"uote`, `back\slash`,
		"new\nline", "tab\t", "naïve", "\x01", "it's", "😀"}
	randomFilterDocInts   = []int64{-3, -2, -1, 0, 1, 2, 3, 1990, 2000, math.MinInt64, math.MaxInt64}
	randomFilterIntLits   = []string{"-4", "-3", "-1", "0", "1", "2", "3", "4", "1990", "2000", "1990.5", "-0.5", "2.5", "3.0", "1e1", "2e3", "1.99e3", "+2", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "9223372036854775806.5", "1e30", "-1e30", "0.0", "-0", ".5", "5.", "1e-3", "99999999999999999999999.5"}
	randomFilterDocFloats = []float64{-1.5, 0, 0.1, 2.5, 3, 1e300, -1e300, math.Inf(1), math.Inf(-1), math.MaxFloat64, 5e-324}
	randomFilterFloatLits = []string{"-1.5", "0", "0.1", "2.5", "3", "1e300", "-1e300", "2", "0.10000000000000001", "1.7976931348623157e308", "-1.7976931348623157e308", "5e-324", "-0", "4.9e-324", "1e-400", ".25"}
)

func TestFilterRandom(t *testing.T) {
	seeds := []uint64{1, 2, 3, uint64(time.Now().UnixNano())}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("seed %d (replay with runFilterRandom(t, %d))", seed, seed)
			runFilterRandom(t, seed)
		})
	}
}

// runFilterRandom builds random documents and random filters, renders each
// filter with random spellings, and checks that parsing gives back the same
// canonical form and that evaluation agrees with filterRefMatch.
func runFilterRandom(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ix := randomFilterIndex(r, 300)
	n := 300
	if testing.Short() {
		n = 50
	}
	g := filterGen{r: r, schema: randomFilterSchema}
	live := ix.live.GetCardinality()
	var none, all int
	for i := range n {
		e := g.expr(4)
		want := e.String()
		src := g.render(e)
		f, err := CompileFilter(src, ix.schema)
		if err != nil {
			t.Fatalf("filter %d: CompileFilter(%q) = %v\n(canonical %q)", i, src, err, want)
		}
		if got := f.String(); got != want {
			t.Fatalf("filter %d: CompileFilter(%q).String() = %q, want %q", i, src, got, want)
		}
		got, err := f.Eval(ix)
		if err != nil {
			t.Fatalf("filter %d: %s: Eval = %v", i, want, err)
		}
		if exp := ix.refEval(e); !got.Equals(exp) {
			t.Fatalf("filter %d: %s (compiled %s):\ngot  %v\nwant %v", i, want, f.root, got.ToArray(), exp.ToArray())
		}
		switch got.GetCardinality() {
		case 0:
			none++
		case live:
			all++
		}
	}
	t.Logf("%d filters over %d live documents: %d matched none, %d matched all", n, live, none, all)
}

func randomFilterIndex(r *rand.Rand, n int) *filterMemIndex {
	ix := newFilterMemIndex(randomFilterSchema)
	for range n {
		id := r.Uint32N(1000)
		if r.IntN(10) == 0 {
			id = r.Uint32() // a few ids far apart, across roaring containers
		}
		d := filterDoc{}
		for _, f := range randomFilterSchema {
			if r.IntN(10) < 3 {
				continue // missing value
			}
			switch f.Type {
			case Keyword:
				d[f.Name] = randomFilterKeywords[r.IntN(len(randomFilterKeywords))]
			case Keywords:
				set := []string{}
				for range r.IntN(4) {
					set = append(set, randomFilterKeywords[r.IntN(len(randomFilterKeywords))])
				}
				d[f.Name] = set
			case Int:
				d[f.Name] = randomFilterDocInts[r.IntN(len(randomFilterDocInts))]
			case Float:
				d[f.Name] = randomFilterDocFloats[r.IntN(len(randomFilterDocFloats))]
			case Bool:
				d[f.Name] = r.IntN(2) == 0
			}
		}
		ix.add(id, d, r.IntN(5) != 0)
	}
	return ix
}

// filterGen makes random, well-typed filter expressions, flattened like
// the parser's, and renders them with random spellings.
type filterGen struct {
	r      *rand.Rand
	schema Fields
}

func (g *filterGen) expr(depth int) Expr {
	if depth <= 0 || g.r.IntN(3) == 0 {
		return g.pred()
	}
	switch g.r.IntN(3) {
	case 0:
		return &NotExpr{X: g.expr(depth - 1)}
	case 1:
		and := &AndExpr{}
		for range 2 + g.r.IntN(3) {
			and.Terms = appendFlat(and.Terms, g.expr(depth-1), false)
		}
		return and
	}
	or := &OrExpr{}
	for range 2 + g.r.IntN(3) {
		or.Terms = appendFlat(or.Terms, g.expr(depth-1), true)
	}
	return or
}

func (g *filterGen) pred() Expr {
	f := g.schema[g.r.IntN(len(g.schema))]
	ref := FieldRef{Name: f.Name}
	numeric := f.Type == Int || f.Type == Float
	k := g.r.IntN(10)
	switch {
	case k == 0:
		return &ExistsExpr{Field: ref}
	case k <= 2:
		e := &InExpr{Field: ref, Not: g.r.IntN(2) == 0}
		for range 1 + g.r.IntN(4) {
			e.Values = append(e.Values, g.literal(f.Type))
		}
		return e
	case k == 3 && numeric:
		return &BetweenExpr{Field: ref, Lo: g.literal(f.Type), Hi: g.literal(f.Type)}
	}
	op := OpEq + CompareOp(g.r.IntN(2))
	if numeric {
		op = OpEq + CompareOp(g.r.IntN(6))
	}
	return &CompareExpr{Field: ref, Op: op, Value: g.literal(f.Type)}
}

func (g *filterGen) literal(t FieldType) Literal {
	switch t {
	case Keyword, Keywords:
		return Literal{Kind: StringLiteral, Text: randomFilterKeywords[g.r.IntN(len(randomFilterKeywords))]}
	case Int:
		if g.r.IntN(3) == 0 {
			return Literal{Kind: NumberLiteral, Text: strconv.Itoa(g.r.IntN(9) - 4)}
		}
		return Literal{Kind: NumberLiteral, Text: randomFilterIntLits[g.r.IntN(len(randomFilterIntLits))]}
	case Float:
		return Literal{Kind: NumberLiteral, Text: randomFilterFloatLits[g.r.IntN(len(randomFilterFloatLits))]}
	}
	return Literal{Kind: BoolLiteral, Bool: g.r.IntN(2) == 0}
}

// render writes e as filter text that parses back to e, choosing at random
// among the spellings the language allows: keyword case, "==" and "<>",
// quotes, escapes, backquotes, EXISTS position, extra parentheses and
// whitespace.
func (g *filterGen) render(e Expr) string {
	var b strings.Builder
	g.renderTo(&b, e)
	return b.String()
}

func (g *filterGen) renderTo(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case *OrExpr:
		for i, t := range e.Terms {
			if i > 0 {
				b.WriteString(g.space() + g.kw("OR") + g.space())
			}
			g.operand(b, t, false)
		}
	case *AndExpr:
		for i, t := range e.Terms {
			if i > 0 {
				b.WriteString(g.space() + g.kw("AND") + g.space())
			}
			g.operand(b, t, true)
		}
	case *NotExpr:
		b.WriteString(g.kw("NOT") + g.space())
		g.operand(b, e.X, true)
	case *CompareExpr:
		op := e.Op.String()
		if e.Op == OpEq && g.r.IntN(3) == 0 {
			op = "=="
		} else if e.Op == OpNe && g.r.IntN(3) == 0 {
			op = "<>"
		}
		b.WriteString(g.ident(e.Field.Name) + g.maybeSpace() + op + g.maybeSpace() + g.lit(e.Value))
	case *InExpr:
		b.WriteString(g.ident(e.Field.Name) + g.space())
		if e.Not {
			b.WriteString(g.kw("NOT") + g.space())
		}
		b.WriteString(g.kw("IN") + g.maybeSpace() + "(")
		for i, v := range e.Values {
			if i > 0 {
				b.WriteString("," + g.maybeSpace())
			}
			b.WriteString(g.lit(v))
		}
		b.WriteString(")")
	case *BetweenExpr:
		b.WriteString(g.ident(e.Field.Name) + g.space() + g.kw("BETWEEN") + g.space() + g.lit(e.Lo) +
			g.space() + g.kw("AND") + g.space() + g.lit(e.Hi))
	case *ExistsExpr:
		if g.r.IntN(2) == 0 {
			b.WriteString(g.ident(e.Field.Name) + g.space() + g.kw("EXISTS"))
		} else {
			b.WriteString(g.kw("EXISTS") + g.space() + g.ident(e.Field.Name))
		}
	}
}

// operand renders a term of an AND (inAnd) or OR, or the operand of a NOT,
// with the parentheses precedence needs and sometimes needless ones.
func (g *filterGen) operand(b *strings.Builder, e Expr, inAnd bool) {
	_, isOr := e.(*OrExpr)
	_, isAnd := e.(*AndExpr)
	if isOr || (inAnd && isAnd) || g.r.IntN(8) == 0 {
		b.WriteString("(" + g.maybeSpace())
		g.renderTo(b, e)
		b.WriteString(g.maybeSpace() + ")")
		return
	}
	g.renderTo(b, e)
}

func (g *filterGen) kw(k string) string {
	switch g.r.IntN(4) {
	case 0:
		return strings.ToLower(k)
	case 1:
		return k[:1] + strings.ToLower(k[1:])
	}
	return k
}

func (g *filterGen) space() string {
	return []string{" ", " ", "  ", "\t", "\n", "\r\n "}[g.r.IntN(6)]
}

func (g *filterGen) maybeSpace() string {
	if g.r.IntN(2) == 0 {
		return ""
	}
	return g.space()
}

func (g *filterGen) ident(name string) string {
	if isBareFilterIdent(name) && g.r.IntN(4) != 0 {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

func (g *filterGen) lit(l Literal) string {
	switch l.Kind {
	case NumberLiteral:
		return l.Text
	case BoolLiteral:
		return g.kw(l.String())
	}
	quote := byte('"')
	if g.r.IntN(2) == 0 {
		quote = '\''
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, c := range l.Text {
		switch {
		case c == rune(quote) || c == '\\':
			b.WriteString(`\` + string(c))
		case c == '\n' && g.r.IntN(2) == 0:
			b.WriteString(`\n`)
		case c == '\t' && g.r.IntN(2) == 0:
			b.WriteString(`\t`)
		case c >= 0x10000 && g.r.IntN(2) == 0:
			c -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04X`, 0xd800+(c>>10), 0xdc00+(c&0x3ff))
		case (c < 0x20 || c >= 0x80) && g.r.IntN(2) == 0 && c < 0x10000 && c != utf8.RuneError:
			fmt.Fprintf(&b, `\u%04x`, c)
		case c == '"' && g.r.IntN(2) == 0:
			b.WriteString(`\"`)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte(quote)
	return b.String()
}
