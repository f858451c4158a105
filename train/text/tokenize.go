package text

import (
	"unicode"
	"unicode/utf8"

	"github.com/cockroachdb/errors"
)

// SplitMode says which characters make up a token.
type SplitMode int

const (
	// SplitLetters keeps runs of Unicode letters and splits on everything
	// else (digits, punctuation, spaces): "Don't stop-2x" gives "don", "t",
	// "stop", "x". It is the default.
	SplitLetters SplitMode = iota
	// SplitASCII keeps runs of a-z (after lower-casing A-Z) and splits on
	// every other byte, exactly like `tr A-Z a-z | tr -c 'a-z\n' ' '`, the
	// cleaning the peers' corpus script applies; non-ASCII letters split.
	SplitASCII
	// SplitSpace splits on white space only and keeps tokens as written
	// (apart from lower-casing), for corpora tokenised beforehand.
	SplitSpace
)

// ParseSplitMode parses "letters", "ascii" or "space".
func ParseSplitMode(s string) (SplitMode, error) {
	switch s {
	case "letters", "":
		return SplitLetters, nil
	case "ascii":
		return SplitASCII, nil
	case "space":
		return SplitSpace, nil
	}
	return 0, errors.Newf("unknown tokenizer %q (want letters, ascii or space)", s)
}

// String returns the name ParseSplitMode accepts.
func (m SplitMode) String() string {
	switch m {
	case SplitASCII:
		return "ascii"
	case SplitSpace:
		return "space"
	}
	return "letters"
}

// Tokenizer splits a line into tokens. The zero value splits on non-letters
// and keeps case; [DefaultTokenizer] also lower-cases.
type Tokenizer struct {
	Split SplitMode
	// Lower lower-cases every token (Unicode simple case mapping).
	Lower bool
}

// DefaultTokenizer returns the tokenizer the trainers use unless told
// otherwise: letters only, lower-cased.
func DefaultTokenizer() Tokenizer { return Tokenizer{Split: SplitLetters, Lower: true} }

// Tokens appends the tokens of line to toks, writing their bytes into buf,
// and returns both. The tokens are slices of the returned buf and stay
// valid until buf is reused. Invalid UTF-8 bytes count as separators.
func (t Tokenizer) Tokens(line []byte, buf []byte, toks [][]byte) ([]byte, [][]byte) {
	// Lower-casing grows a rune by at most half its length, so with twice
	// the line's length in hand buf never moves and tokens can be sliced
	// from it as they close.
	if need := 2*len(line) + 8; cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	buf = buf[:0]
	start := -1
	closeTok := func() {
		if start >= 0 && len(buf) > start {
			toks = append(toks, buf[start:len(buf):len(buf)])
		}
		start = -1
	}
	for i := 0; i < len(line); {
		c := line[i]
		if c < utf8.RuneSelf {
			i++
			if !t.keepASCII(c) {
				closeTok()
				continue
			}
			if start < 0 {
				start = len(buf)
			}
			if t.Lower && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
			continue
		}
		r, size := utf8.DecodeRune(line[i:])
		i += size
		if !t.keepRune(r) {
			closeTok()
			continue
		}
		if start < 0 {
			start = len(buf)
		}
		if t.Lower {
			r = unicode.ToLower(r)
		}
		buf = utf8.AppendRune(buf, r)
	}
	closeTok()
	return buf, toks
}

func (t Tokenizer) keepASCII(c byte) bool {
	switch t.Split {
	case SplitSpace:
		return c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f'
	default:
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
}

func (t Tokenizer) keepRune(r rune) bool {
	switch t.Split {
	case SplitSpace:
		return r != utf8.RuneError && !unicode.IsSpace(r)
	case SplitASCII:
		return false
	default:
		return r != utf8.RuneError && unicode.IsLetter(r)
	}
}
