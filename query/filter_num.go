package query

import (
	"math"
	"strconv"
)

// satInt is an integer saturated to the int64 range: over < 0 stands for
// any value below math.MinInt64 and over > 0 for any value above
// math.MaxInt64; v is meaningful only when over == 0.
type satInt struct {
	v    int64
	over int8
}

// addOne returns a+d for d = ±1, saturating.
func (a satInt) addOne(d int64) satInt {
	switch {
	case a.over != 0:
		return a
	case d > 0 && a.v == math.MaxInt64:
		return satInt{over: 1}
	case d < 0 && a.v == math.MinInt64:
		return satInt{over: -1}
	}
	return satInt{v: a.v + d}
}

// intLiteral is a number literal as an int field sees it: the largest
// integer not above it (floor) and the smallest not below it (ceil).
type intLiteral struct {
	floor, ceil satInt
	// exact is set when the literal is an integer in the int64 range;
	// then floor == ceil == the literal.
	exact bool
}

// parseIntLiteral converts a decimal number literal (sign? digits [.
// digits] [e sign? digits], as the lexer accepts) exactly, without going
// through float64, so that huge or fractional literals compare with int
// fields as mathematics says. It reports false for malformed text.
func parseIntLiteral(text string) (intLiteral, bool) {
	neg, intPart, frac, exp, ok := splitDecimal(text)
	if !ok {
		return intLiteral{}, false
	}
	all := intPart + frac
	point := len(intPart) + exp // digits of all before the decimal point
	for len(all) > 0 && all[0] == '0' {
		all, point = all[1:], point-1
	}
	for len(all) > 0 && all[len(all)-1] == '0' {
		all = all[:len(all)-1]
	}
	if all == "" {
		return intLiteral{exact: true}, true
	}
	// The integer part (truncated towards zero) and whether a non-zero
	// fraction follows it.
	var intDigits string
	fractional := true
	overflow := false
	switch {
	case point <= 0:
	case point >= len(all):
		fractional = false
		if point > 19 {
			overflow = true
			break
		}
		intDigits = all
		for range point - len(all) {
			intDigits += "0"
		}
	default:
		intDigits = all[:point]
	}
	if len(intDigits) > 19 {
		overflow = true
	}
	t := truncatedInt(intDigits, neg, overflow)
	switch {
	case !fractional:
		return intLiteral{floor: t, ceil: t, exact: t.over == 0}, true
	case neg:
		return intLiteral{floor: t.addOne(-1), ceil: t}, true
	default:
		return intLiteral{floor: t, ceil: t.addOne(1)}, true
	}
}

// truncatedInt returns ±digits (at most 19 decimal digits unless overflow
// is set) saturated to int64.
func truncatedInt(digits string, neg, overflow bool) satInt {
	var mag uint64
	if !overflow && digits != "" {
		var err error
		if mag, err = strconv.ParseUint(digits, 10, 64); err != nil {
			overflow = true
		}
	}
	switch {
	case overflow && neg:
		return satInt{over: -1}
	case overflow:
		return satInt{over: 1}
	case !neg && mag > math.MaxInt64:
		return satInt{over: 1}
	case neg && mag > 1<<63:
		return satInt{over: -1}
	case neg:
		return satInt{v: int64(-mag)} // two's complement: -(1<<63) is MinInt64
	}
	return satInt{v: int64(mag)}
}

// splitDecimal splits sign? digits [. digits] [e sign? digits] into its
// parts; the exponent is clamped to ±1e9, far beyond any that matters.
func splitDecimal(s string) (neg bool, intPart, frac string, exp int, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isFilterDigit(s[i]) {
		i++
	}
	intPart = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && isFilterDigit(s[i]) {
			i++
		}
		frac = s[start:i]
	}
	if intPart == "" && frac == "" {
		return false, "", "", 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNeg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			expNeg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return false, "", "", 0, false
		}
		for ; i < len(s) && isFilterDigit(s[i]); i++ {
			if exp < 1e9 {
				exp = exp*10 + int(s[i]-'0')
			}
		}
		if expNeg {
			exp = -exp
		}
	}
	return neg, intPart, frac, exp, i == len(s)
}

// parseFloatLiteral returns the float64 nearest to a number literal. It
// reports false for malformed text and for literals beyond the float64
// range (which would otherwise become ±Inf).
func parseFloatLiteral(text string) (float64, bool) {
	if _, _, _, _, ok := splitDecimal(text); !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, false // beyond ±math.MaxFloat64; underflow rounds without an error
	}
	return f, true
}
