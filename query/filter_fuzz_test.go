package query

import (
	"strings"
	"testing"
)

// FuzzParseFilter checks that no input makes the parser or the checker
// panic, that the canonical form of whatever parses parses back to itself,
// and that evaluation of whatever checks agrees with filterRefMatch.
func FuzzParseFilter(f *testing.F) {
	for _, tc := range filterParseGood {
		f.Add(tc.in)
	}
	for _, tc := range filterParseBad {
		f.Add(tc.in)
	}
	for _, tc := range filterCheckBad {
		f.Add(tc.in)
	}
	f.Add(`genre = "comedy" AND year >= 1990.5 AND NOT tags IN ("a","b") OR price BETWEEN -1 AND 2.5e3 OR EXISTS flag`)
	ix := filterFuzzIndex()
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseFilter(s)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("ParseFilter(%q) = %T %v, want a *ParseError", s, err, err)
			}
			return
		}
		canon := e.String()
		e2, err := ParseFilter(canon)
		if err != nil {
			t.Fatalf("ParseFilter(%q) = %v; it is the canonical form of %q", canon, err, s)
		}
		if got := e2.String(); got != canon {
			t.Fatalf("canonical form of %q is %q, which parses to %q", s, canon, got)
		}
		flt, err := CompileFilter(s, ix.schema)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("CompileFilter(%q) = %T %v, want a *ParseError", s, err, err)
			}
			return
		}
		got, err := flt.Eval(ix)
		if err != nil {
			t.Fatalf("%s: Eval = %v", canon, err)
		}
		if !filterSmallNumbers(e) {
			return // big.Rat would take too long over 1e999999999
		}
		if want := ix.refEval(e); !got.Equals(want) {
			t.Fatalf("%s (compiled %s):\ngot  %v\nwant %v", canon, flt.root, got.ToArray(), want.ToArray())
		}
	})
}

// filterFuzzIndex holds a few documents over testFilterSchema.
func filterFuzzIndex() *filterMemIndex {
	ix := newFilterMemIndex(testFilterSchema)
	ix.add(1, filterDoc{"genre": "comedy", "tags": []string{"a", "b"}, "year": int64(1990), "price": 2.5, "flag": true}, true)
	ix.add(2, filterDoc{"genre": "drama", "tags": []string{}, "year": int64(-7), "price": -1.0, "flag": false, "a b": int64(3)}, true)
	ix.add(3, filterDoc{"genre": "", "tags": []string{"c"}, "x.y-z": 0.5, "and": "x"}, true)
	ix.add(4, filterDoc{"genre": "comedy", "year": int64(2001)}, false)
	ix.add(5, filterDoc{}, true)
	ix.add(1<<20, filterDoc{"year": int64(9223372036854775807), "price": 1e300, "tags": []string{"a"}}, true)
	return ix
}

// filterSmallNumbers reports whether every number in e has a short exponent.
func filterSmallNumbers(e Expr) bool {
	ok := func(ls ...Literal) bool {
		for _, l := range ls {
			if i := strings.IndexAny(l.Text, "eE"); i >= 0 && len(l.Text)-i > 4 {
				return false
			}
		}
		return true
	}
	switch e := e.(type) {
	case *AndExpr:
		for _, t := range e.Terms {
			if !filterSmallNumbers(t) {
				return false
			}
		}
	case *OrExpr:
		for _, t := range e.Terms {
			if !filterSmallNumbers(t) {
				return false
			}
		}
	case *NotExpr:
		return filterSmallNumbers(e.X)
	case *CompareExpr:
		return ok(e.Value)
	case *InExpr:
		return ok(e.Values...)
	case *BetweenExpr:
		return ok(e.Lo, e.Hi)
	}
	return true
}
