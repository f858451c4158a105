package query

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
)

// testFilterSchema is the schema of the table tests and the fuzzer.
var testFilterSchema = Fields{
	{Name: "genre", Type: Keyword},
	{Name: "tags", Type: Keywords},
	{Name: "year", Type: Int},
	{Name: "price", Type: Float},
	{Name: "flag", Type: Bool},
	{Name: "and", Type: Keyword},
	{Name: "a b", Type: Int},
	{Name: "x.y-z", Type: Float},
}

var filterParseGood = []struct {
	name, in, want string
}{
	{"example", `genre = "comedy" AND year >= 1990 AND NOT tags IN ("a","b")`,
		`genre = "comedy" AND year >= 1990 AND NOT tags IN ("a", "b")`},
	{"double equals and single quotes", `genre == 'comedy'`, `genre = "comedy"`},
	{"angle not-equal", `year <> 3`, `year != 3`},
	{"all operators", `year=1 or year!=2 or year<3 or year<=4 or year>5 or year>=6`,
		`year = 1 OR year != 2 OR year < 3 OR year <= 4 OR year > 5 OR year >= 6`},
	{"and binds tighter than or", `a = 1 or b = 2 and c = 3`, `a = 1 OR b = 2 AND c = 3`},
	{"parenthesised or", `(a = 1 or b = 2) and c = 3`, `(a = 1 OR b = 2) AND c = 3`},
	{"redundant parentheses", `((a = 1))`, `a = 1`},
	{"nested and is flattened", `a = 1 AND (b = 2 AND c = 3)`, `a = 1 AND b = 2 AND c = 3`},
	{"nested or is flattened", `(a = 1 OR b = 2) OR (c = 3)`, `a = 1 OR b = 2 OR c = 3`},
	{"double not", `NOT NOT a = 1`, `NOT NOT a = 1`},
	{"not of a group", `not (a = 1 or b = 2)`, `NOT (a = 1 OR b = 2)`},
	{"not binds tighter than and", `NOT a = 1 AND b = 2`, `NOT a = 1 AND b = 2`},
	{"between inside and", `x BETWEEN 1 AND 5 AND y = 2`, `x BETWEEN 1 AND 5 AND y = 2`},
	{"mixed-case keywords", `x between -1 And 1e3 oR Exists y`, `x BETWEEN -1 AND 1e3 OR EXISTS y`},
	{"postfix exists", `genre exists`, `EXISTS genre`},
	{"not in", `tags not in ('x')`, `tags NOT IN ("x")`},
	{"keyword as field", "`and` = \"x\"", "`and` = \"x\""},
	{"field with space", "`a b` >= -1.5e3", "`a b` >= -1.5e3"},
	{"doubled backquote", "`a``b` = 1", "`a``b` = 1"},
	{"needless backquotes", "`plain` = 1", "plain = 1"},
	{"escapes", `s = "a\"b\\c\n\t\u00e9\'"`, `s = "a\"b\\c\n\té'"`},
	{"surrogate pair", `s = "\ud83d\uDE00"`, `s = "😀"`},
	{"single-quoted escape", `s = 'it\'s "x"'`, `s = "it's \"x\""`},
	{"control character", `s = "\u0001"`, `s = "\u0001"`},
	{"bools", `flag = true OR flag != False`, `flag = TRUE OR flag != FALSE`},
	{"dotted and dashed name", `x.y-z = +5`, `x.y-z = +5`},
	{"no spaces", `year>=1990 AND(x=-1)AND y<.5`, `year >= 1990 AND x = -1 AND y < .5`},
	{"other whitespace", "\tgenre\n=\r\n'x'  ", `genre = "x"`},
	{"numbers as written", `x IN (007, 1.50, 5., 1E+3, -0)`, `x IN (007, 1.50, 5., 1E+3, -0)`},
	{"unicode", `genre = "naïve"`, `genre = "naïve"`},
	{"max depth", strings.Repeat("(", 100) + "a = 1" + strings.Repeat(")", 100), "a = 1"},
}

var filterParseBad = []struct {
	name, in string
	col      int
	msg      string
}{
	{"empty", ``, 1, `expected a field name, NOT, EXISTS or "(", got end of input`},
	{"unterminated string", `genre = "comedy`, 9, `unterminated string`},
	{"unterminated single-quoted string", `genre = 'comedy\'`, 9, `unterminated string`},
	{"missing paren", `(genre = "a"`, 13, `expected ")" to close "(" at column 1, got end of input`},
	{"extra paren", `genre = "a")`, 12, `expected AND, OR or end of input, got ")"`},
	{"dangling and", `genre = "a" AND`, 16, `expected a field name, NOT, EXISTS or "(" after AND, got end of input`},
	{"dangling or", `genre = "a" or`, 15, `expected a field name, NOT, EXISTS or "(" after OR, got end of input`},
	{"dangling not", `NOT`, 4, `expected a field name, NOT, EXISTS or "(" after NOT, got end of input`},
	{"and and", `genre = "a" AND AND x = 1`, 17, `expected a field name, NOT, EXISTS or "(" after AND, got AND`},
	{"bad escape", `genre = "a\q"`, 11, `invalid escape \q in string (want \", \', \\, \n, \t or \uXXXX)`},
	{"short unicode escape", `genre = "\u12"`, 10, `invalid escape \u12 in string (want \u and four hex digits)`},
	{"lone surrogate", `genre = "\ud800x"`, 10, `invalid escape \ud800 in string: unpaired UTF-16 surrogate`},
	{"empty in list", `tags IN ()`, 10, `expected a value in the IN list, got ")" (the list may not be empty)`},
	{"trailing comma", `tags IN ("a",)`, 14, `expected a value after ",", got ")"`},
	{"missing comma", `tags IN ("a" "b")`, 14, `expected "," or ")" in the IN list, got string "b"`},
	{"in without list", `genre in "a"`, 10, `expected "(" after IN, got string "a"`},
	{"not without in", `tags NOT ("a")`, 10, `expected IN after tags NOT, got "("`},
	{"between without and", `year BETWEEN 1 5`, 16, `expected AND after BETWEEN 1, got number 5`},
	{"between without upper bound", `year BETWEEN 1 AND`, 19, `expected a value after BETWEEN 1 AND, got end of input`},
	{"operator without value", `year =`, 7, `expected a value after "=", got end of input`},
	{"operator before keyword", `year >= AND x = 1`, 9, `expected a value after ">=", got AND`},
	{"unquoted string", `genre = comedy`, 9, `expected a value after "=", got field name comedy (strings are quoted: "comedy")`},
	{"field alone", `genre`, 6, `expected an operator, IN, NOT IN, BETWEEN or EXISTS after field genre, got end of input`},
	{"two predicates without and", `genre = "a" year = 1`, 13, `expected AND, OR or end of input, got field name year`},
	{"bang", `genre ! "a"`, 7, `unexpected character '!' (did you mean "!="?)`},
	{"bad exponent", `year = 1e`, 8, `malformed number "1e"`},
	{"two dots", `year = 1.2.3`, 8, `malformed number "1.2.3"`},
	{"number then letters", `year = 12abc`, 8, `malformed number "12abc"`},
	{"lone minus", `year = - 1`, 8, `unexpected character '-'`},
	{"unexpected character", `genre = "a" # x`, 13, `unexpected character '#'`},
	{"non-ascii field name", `género = "x"`, 2, "unexpected character 'é' (a field name with it must be backquoted: `name`)"},
	{"invalid utf-8", "genre = \xff", 9, `unexpected byte 0xff`},
	{"exists without field", `EXISTS 5`, 8, `expected a field name after EXISTS, got number 5`},
	{"unterminated backquote", "`genre = 1", 1, `unterminated quoted field name`},
	{"empty backquote", "`` = 1", 1, `empty field name`},
	{"column counts characters", `genre = "é" AND year = `, 24, `expected a value after "=", got end of input`},
	{"too deep", strings.Repeat("(", 101) + "a = 1" + strings.Repeat(")", 101), 101, `expression nested deeper than 100`},
	{"too deep with not", strings.Repeat("NOT ", 101) + "a = 1", 401, `expression nested deeper than 100`},
	{"too many predicates", strings.Repeat("a = 1 OR ", 1000) + "b = 2", 9001, `too many predicates (the limit is 1000)`},
}

var filterCheckBad = []struct {
	name, in string
	col      int
	msg      string
}{
	{"unknown field", `genre = "a" AND foo = 1`, 17, `unknown field "foo"`},
	{"int with string", `year = "x"`, 1, `field "year" is int, cannot compare with string "x"`},
	{"keyword with number", `genre != 3`, 1, `field "genre" is keyword, cannot compare with number 3`},
	{"keywords with bool", `tags = TRUE`, 1, `field "tags" is keywords, cannot compare with bool TRUE`},
	{"bool with number", `flag = 1`, 1, `field "flag" is bool, cannot compare with number 1`},
	{"float with string in list", `price IN (1, "2")`, 1, `field "price" is float, cannot compare with string "2"`},
	{"less than on keyword", `genre < "a"`, 1, `field "genre" is keyword; "<" needs an int or float field`},
	{"greater than on bool", `x.y-z > 1 OR flag >= TRUE`, 14, `field "flag" is bool; ">=" needs an int or float field`},
	{"between on keywords", `tags BETWEEN "a" AND "b"`, 1, `field "tags" is keywords; BETWEEN needs an int or float field`},
	{"between with string", `year BETWEEN 1 AND "9"`, 1, `field "year" is int, cannot compare with string "9"`},
	{"float out of range", `price = 1e400`, 9, `number 1e400 is out of range for float field "price"`},
	{"unknown field in exists", `EXISTS nope`, 8, `unknown field "nope"`},
	{"unknown quoted field", "`a  b` = 1", 1, "unknown field \"a  b\""},
}

func TestParseFilter(t *testing.T) {
	for _, tc := range filterParseGood {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseFilter(tc.in)
			if err != nil {
				t.Fatalf("ParseFilter(%q) = %v", tc.in, err)
			}
			if got := e.String(); got != tc.want {
				t.Fatalf("ParseFilter(%q).String() = %q, want %q", tc.in, got, tc.want)
			}
			e2, err := ParseFilter(tc.want)
			if err != nil || e2.String() != tc.want {
				t.Fatalf("ParseFilter(%q) = %v, %v; want it to round-trip", tc.want, e2, err)
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, tc := range filterParseBad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFilter(tc.in)
			checkFilterError(t, tc.in, err, tc.col, tc.msg)
		})
	}
}

func TestCompileFilterErrors(t *testing.T) {
	for _, tc := range filterCheckBad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseFilter(tc.in); err != nil {
				t.Fatalf("ParseFilter(%q) = %v, want success", tc.in, err)
			}
			_, err := CompileFilter(tc.in, testFilterSchema)
			checkFilterError(t, tc.in, err, tc.col, tc.msg)
		})
	}
}

func checkFilterError(t *testing.T, in string, err error, col int, msg string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("filter %q: error %v, want a *ParseError", in, err)
	}
	if pe.Col != col || pe.Msg != msg {
		t.Fatalf("filter %q: error at column %d: %s\nwant column %d: %s", in, pe.Col, pe.Msg, col, msg)
	}
	if want := "filter: column " + strconv.Itoa(col) + ": " + msg; err.Error() != want {
		t.Fatalf("filter %q: Error() = %q, want %q", in, err.Error(), want)
	}
}

func TestParseErrorCaret(t *testing.T) {
	_, err := ParseFilter("genre =\tAND")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("ParseFilter: %v", err)
	}
	if got, want := pe.Caret(), "genre = AND\n        ^"; got != want {
		t.Fatalf("Caret() = %q, want %q", got, want)
	}
	if got := (&ParseError{Msg: "x"}).Error(); got != "filter: x" {
		t.Fatalf("Error() without a column = %q", got)
	}
}

func TestCompileFilterSimplify(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`year = 3.5`, `none`},
		{`year != 3.5`, `exists(year)`},
		{`NOT year = 3.5`, `all`},
		{`NOT NOT genre = "a"`, `eq(genre, "a")`},
		{`tags IN ("a")`, `eq(tags, "a")`},
		{`tags IN ("a", "a", "b")`, `or(eq(tags, "a"), eq(tags, "b"))`},
		{`tags NOT IN ("a")`, `and(exists(tags), not(eq(tags, "a")))`},
		{`year NOT IN (1.5, 2.5)`, `exists(year)`},
		{`genre != "a"`, `and(exists(genre), not(eq(genre, "a")))`},
		{`year >= 1990.5`, `int(year, 1991, 9223372036854775807)`},
		{`year > 1990.5`, `int(year, 1991, 9223372036854775807)`},
		{`year < -1990.5`, `int(year, -9223372036854775808, -1991)`},
		{`year <= -1990.5`, `int(year, -9223372036854775808, -1991)`},
		{`year = 2e3`, `int(year, 2000, 2000)`},
		{`year BETWEEN 2.5 AND 3.5`, `int(year, 3, 3)`},
		{`year BETWEEN 5 AND 3`, `none`},
		{`year > 1e30 OR year < -1e30`, `none`},
		{`year < 1e30`, `exists(year)`},
		{`year > 9223372036854775807`, `none`},
		{`year >= 9223372036854775807`, `int(year, 9223372036854775807, 9223372036854775807)`},
		{`year < -9223372036854775808`, `none`},
		{`year <= -9223372036854775808.5`, `none`},
		{`year = 9223372036854775808`, `none`},
		{`year >= -9223372036854775808`, `exists(year)`},
		{`price < 2`, `float(price, [-Inf, 2))`},
		{`price BETWEEN 1 AND 1`, `float(price, [1, 1])`},
		{`price BETWEEN 2 AND 1`, `none`},
		{`price >= -1.7976931348623157e308 AND price != 1e-400`, `and(float(price, [-1.7976931348623157e+308, +Inf]), exists(price), not(float(price, [0, 0])))`},
		{`year = 3.5 AND genre = "a"`, `none`},
		{`year = 3.5 OR genre = "a"`, `eq(genre, "a")`},
		{`genre = "a" AND (flag = TRUE AND NOT year = 1) OR (tags = "x" OR price > 1)`,
			`or(and(eq(genre, "a"), eq(flag, TRUE), not(int(year, 1, 1))), eq(tags, "x"), float(price, (1, +Inf]))`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			f, err := CompileFilter(tc.in, testFilterSchema)
			if err != nil {
				t.Fatalf("CompileFilter(%q) = %v", tc.in, err)
			}
			if got := f.root.String(); got != tc.want {
				t.Fatalf("CompileFilter(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseIntLiteral(t *testing.T) {
	const maxS, minS = "9223372036854775807", "-9223372036854775808"
	for _, tc := range []struct {
		in, floor, ceil string // "+inf"/"-inf" for saturated bounds
		exact           bool
	}{
		{"0", "0", "0", true},
		{"-0.0e5", "0", "0", true},
		{"42", "42", "42", true},
		{"+42.000", "42", "42", true},
		{"4.2e1", "42", "42", true},
		{"420e-1", "42", "42", true},
		{"42.5", "42", "43", false},
		{"-42.5", "-43", "-42", false},
		{"0.001", "0", "1", false},
		{"-0.001", "-1", "0", false},
		{".5", "0", "1", false},
		{"5.", "5", "5", true},
		{maxS, maxS, maxS, true},
		{minS, minS, minS, true},
		{maxS + ".5", maxS, "+inf", false},
		{"-9223372036854775807.5", minS, "-9223372036854775807", false},
		{"-9223372036854775808.5", "-inf", minS, false},
		{"9223372036854775808", "+inf", "+inf", false},
		{"-9223372036854775809", "-inf", "-inf", false},
		{"1e19", "+inf", "+inf", false},
		{"1e18", "1000000000000000000", "1000000000000000000", true},
		{"1e999999999999999", "+inf", "+inf", false},
		{"-1e999999999999999", "-inf", "-inf", false},
		{"1e-999999999999999", "0", "1", false},
		{"00000000000000000000000000001", "1", "1", true},
		{"12345678901234567890e-10", "1234567890", "1234567891", false},
	} {
		n, ok := parseIntLiteral(tc.in)
		if !ok {
			t.Errorf("parseIntLiteral(%q) failed", tc.in)
			continue
		}
		if satString(n.floor) != tc.floor || satString(n.ceil) != tc.ceil || n.exact != tc.exact {
			t.Errorf("parseIntLiteral(%q) = floor %s, ceil %s, exact %v; want %s, %s, %v",
				tc.in, satString(n.floor), satString(n.ceil), n.exact, tc.floor, tc.ceil, tc.exact)
		}
	}
	for _, bad := range []string{"", "+", ".", "1e", "1e+", "1x", "--1", "1..2"} {
		if _, ok := parseIntLiteral(bad); ok {
			t.Errorf("parseIntLiteral(%q) succeeded", bad)
		}
	}
}

func satString(v satInt) string {
	switch {
	case v.over < 0:
		return "-inf"
	case v.over > 0:
		return "+inf"
	}
	return strconv.FormatInt(v.v, 10)
}
