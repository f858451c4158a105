package query

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// filterTokKind is the kind of a filter token.
type filterTokKind uint8

const (
	tokEOF filterTokKind = iota
	tokIdent
	tokString
	tokNumber
	tokOp
	tokLParen
	tokRParen
	tokComma
	tokAnd
	tokOr
	tokNot
	tokIn
	tokBetween
	tokExists
	tokTrue
	tokFalse
)

var filterKeywords = [...]struct {
	name string
	kind filterTokKind
}{
	{"AND", tokAnd}, {"OR", tokOr}, {"NOT", tokNot}, {"IN", tokIn},
	{"BETWEEN", tokBetween}, {"EXISTS", tokExists}, {"TRUE", tokTrue}, {"FALSE", tokFalse},
}

// lookupFilterKeyword returns the keyword token kind of s, ignoring case.
func lookupFilterKeyword(s string) (filterTokKind, bool) {
	for _, kw := range filterKeywords {
		if strings.EqualFold(s, kw.name) {
			return kw.kind, true
		}
	}
	return 0, false
}

// filterToken is one token of a filter expression.
type filterToken struct {
	kind filterTokKind
	// text is the field name of an identifier, the value of a string, and
	// the source text of anything else.
	text string
	op   CompareOp // for tokOp
	col  int       // 1-based rune column of the first character
}

// describe names the token for "expected X, got Y" messages.
func (t filterToken) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokIdent:
		return "field name " + truncateForError(formatFilterIdent(t.text))
	case tokString:
		return "string " + truncateForError(quoteFilterString(t.text))
	case tokNumber:
		return "number " + truncateForError(t.text)
	case tokOp, tokLParen, tokRParen, tokComma:
		return `"` + t.text + `"`
	}
	return strings.ToUpper(t.text)
}

// filterLexer splits a filter expression into tokens, one at a time, so
// that the first error in the text is the one reported.
type filterLexer struct {
	src string
	off int // byte offset of the next unread byte
	// Column bookkeeping: col is the 1-based rune column of byte colOff.
	// Columns are asked for at increasing offsets only.
	colOff, col int
}

func (lx *filterLexer) init(src string) {
	*lx = filterLexer{src: src, col: 1}
}

// colAt returns the 1-based rune column of byte offset off >= lx.colOff.
func (lx *filterLexer) colAt(off int) int {
	lx.col += utf8.RuneCountInString(lx.src[lx.colOff:off])
	lx.colOff = off
	return lx.col
}

func (lx *filterLexer) errorf(off int, format string, args ...any) *ParseError {
	return newParseError(lx.src, lx.colAt(off), format, args...)
}

func (lx *filterLexer) peekByte(off int) byte {
	if off < len(lx.src) {
		return lx.src[off]
	}
	return 0
}

// next returns the next token.
func (lx *filterLexer) next() (filterToken, error) {
	for lx.off < len(lx.src) && isFilterSpace(lx.src[lx.off]) {
		lx.off++
	}
	start := lx.off
	tok := filterToken{col: lx.colAt(start)}
	if start >= len(lx.src) {
		tok.kind = tokEOF
		return tok, nil
	}
	c := lx.src[start]
	switch {
	case c == '(':
		tok.kind, lx.off = tokLParen, start+1
	case c == ')':
		tok.kind, lx.off = tokRParen, start+1
	case c == ',':
		tok.kind, lx.off = tokComma, start+1
	case c == '=' || c == '!' || c == '<' || c == '>':
		return lx.operator(tok)
	case c == '"' || c == '\'':
		return lx.str(tok)
	case c == '`':
		return lx.quotedIdent(tok)
	case isFilterDigit(c) || c == '.' || c == '+' || c == '-':
		return lx.number(tok)
	case isFilterIdentStart(c):
		for lx.off++; lx.off < len(lx.src) && isFilterIdentChar(lx.src[lx.off]); lx.off++ {
		}
		tok.text = lx.src[start:lx.off]
		tok.kind = tokIdent
		if kw, ok := lookupFilterKeyword(tok.text); ok {
			tok.kind = kw
		}
	default:
		r, _ := utf8.DecodeRuneInString(lx.src[start:])
		if r == utf8.RuneError {
			return tok, lx.errorf(start, "unexpected byte 0x%02x", c)
		}
		if unicode.IsLetter(r) {
			return tok, lx.errorf(start, "unexpected character %q (a field name with it must be backquoted: `name`)", r)
		}
		return tok, lx.errorf(start, "unexpected character %q", r)
	}
	if tok.text == "" {
		tok.text = lx.src[start:lx.off]
	}
	return tok, nil
}

func isFilterSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isFilterDigit(c byte) bool { return '0' <= c && c <= '9' }

func (lx *filterLexer) operator(tok filterToken) (filterToken, error) {
	start := lx.off
	two := lx.src[start:min(start+2, len(lx.src))]
	switch two {
	case "==":
		tok.op = OpEq
	case "!=", "<>":
		tok.op = OpNe
	case "<=":
		tok.op = OpLe
	case ">=":
		tok.op = OpGe
	}
	if tok.op != 0 {
		lx.off += 2
	} else {
		switch lx.src[start] {
		case '=':
			tok.op = OpEq
		case '<':
			tok.op = OpLt
		case '>':
			tok.op = OpGt
		default:
			return tok, lx.errorf(start, `unexpected character '!' (did you mean "!="?)`)
		}
		lx.off++
	}
	tok.kind = tokOp
	tok.text = lx.src[start:lx.off]
	return tok, nil
}

// number scans sign? (digits [. digits*] | . digits) ([eE] sign? digits)?
// and rejects a number run straight into letters, digits or dots ("1e",
// "1.2.3", "12abc").
func (lx *filterLexer) number(tok filterToken) (filterToken, error) {
	start := lx.off
	i := start
	if c := lx.src[i]; c == '+' || c == '-' {
		i++
	}
	digits := 0
	for ; i < len(lx.src) && isFilterDigit(lx.src[i]); i++ {
		digits++
	}
	if lx.peekByte(i) == '.' {
		i++
		for ; i < len(lx.src) && isFilterDigit(lx.src[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		if i == start+1 {
			return tok, lx.errorf(start, "unexpected character %q", lx.src[start])
		}
		return tok, lx.errorf(start, "malformed number %q", lx.src[start:i])
	}
	if c := lx.peekByte(i); c == 'e' || c == 'E' {
		j := i + 1
		if c := lx.peekByte(j); c == '+' || c == '-' {
			j++
		}
		if isFilterDigit(lx.peekByte(j)) {
			for i = j; i < len(lx.src) && isFilterDigit(lx.src[i]); i++ {
			}
		}
	}
	if i < len(lx.src) && isFilterIdentChar(lx.src[i]) && lx.src[i] != '-' {
		end := i
		for end < len(lx.src) && isFilterIdentChar(lx.src[end]) {
			end++
		}
		return tok, lx.errorf(start, "malformed number %q", truncateForError(lx.src[start:end]))
	}
	lx.off = i
	tok.kind = tokNumber
	tok.text = lx.src[start:i]
	return tok, nil
}

// str scans a single- or double-quoted string with the escapes \" \' \\ \n
// \t and \uXXXX (UTF-16 surrogate pairs combine into one rune).
func (lx *filterLexer) str(tok filterToken) (filterToken, error) {
	start := lx.off
	quote := lx.src[start]
	var b strings.Builder
	i := start + 1
	for {
		j := i
		for j < len(lx.src) && lx.src[j] != quote && lx.src[j] != '\\' {
			j++
		}
		b.WriteString(lx.src[i:j])
		if j >= len(lx.src) {
			return tok, lx.errorf(start, "unterminated string")
		}
		if lx.src[j] == quote {
			lx.off = j + 1
			tok.kind = tokString
			tok.text = b.String()
			return tok, nil
		}
		n, err := lx.escape(&b, j)
		if err != nil {
			return tok, err
		}
		i = j + n
	}
}

// escape decodes the escape sequence at lx.src[at] == '\\' into b and
// returns its length.
func (lx *filterLexer) escape(b *strings.Builder, at int) (int, error) {
	if at+1 >= len(lx.src) {
		return 0, lx.errorf(at, "unterminated string")
	}
	switch c := lx.src[at+1]; c {
	case '"', '\'', '\\':
		b.WriteByte(c)
		return 2, nil
	case 'n':
		b.WriteByte('\n')
		return 2, nil
	case 't':
		b.WriteByte('\t')
		return 2, nil
	case 'u':
		r, ok := lx.hex4(at + 2)
		if !ok {
			return 0, lx.errorf(at, `invalid escape %s in string (want \u and four hex digits)`, lx.escapeText(at, 6))
		}
		if r >= 0xdc00 && r <= 0xdfff {
			return 0, lx.errorf(at, `invalid escape %s in string: unpaired UTF-16 surrogate`, lx.escapeText(at, 6))
		}
		if r >= 0xd800 && r <= 0xdbff {
			lo, ok := rune(0), false
			if lx.peekByte(at+6) == '\\' && lx.peekByte(at+7) == 'u' {
				lo, ok = lx.hex4(at + 8)
			}
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return 0, lx.errorf(at, `invalid escape %s in string: unpaired UTF-16 surrogate`, lx.escapeText(at, 6))
			}
			b.WriteRune(0x10000 + (r-0xd800)<<10 + (lo - 0xdc00))
			return 12, nil
		}
		b.WriteRune(r)
		return 6, nil
	}
	return 0, lx.errorf(at, `invalid escape %s in string (want \", \', \\, \n, \t or \uXXXX)`, lx.escapeText(at, 2))
}

// escapeText returns the escape at lx.src[at] for an error message: the
// backslash, the character after it and the hex digits that follow, up to
// n bytes in all.
func (lx *filterLexer) escapeText(at, n int) string {
	end := at + 1
	if end < len(lx.src) {
		_, size := utf8.DecodeRuneInString(lx.src[end:])
		end += size
	}
	for end < len(lx.src) && end < at+n && isFilterHexDigit(lx.src[end]) {
		end++
	}
	return lx.src[at:end]
}

func isFilterHexDigit(c byte) bool {
	return isFilterDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func (lx *filterLexer) hex4(at int) (rune, bool) {
	if at+4 > len(lx.src) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(lx.src[at : at+4]) {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// quotedIdent scans a backquoted field name; a doubled backquote stands for
// one backquote.
func (lx *filterLexer) quotedIdent(tok filterToken) (filterToken, error) {
	start := lx.off
	var b strings.Builder
	i := start + 1
	for {
		j := strings.IndexByte(lx.src[i:], '`')
		if j < 0 {
			return tok, lx.errorf(start, "unterminated quoted field name")
		}
		b.WriteString(lx.src[i : i+j])
		i += j + 1
		if lx.peekByte(i) != '`' {
			break
		}
		b.WriteByte('`')
		i++
	}
	if b.Len() == 0 {
		return tok, lx.errorf(start, "empty field name")
	}
	lx.off = i
	tok.kind = tokIdent
	tok.text = b.String()
	return tok, nil
}
