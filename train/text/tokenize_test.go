package text

import (
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		tok  Tokenizer
		in   string
		want string
	}{
		{"default", DefaultTokenizer(), "Don't stop-2x, OK?", "don t stop x ok"},
		{"keep case", Tokenizer{Split: SplitLetters}, "Hello World", "Hello World"},
		{"unicode letters", DefaultTokenizer(), "Café ÉCOLE naïve", "café école naïve"},
		{"ascii splits non-ascii", Tokenizer{Split: SplitASCII, Lower: true}, "Café ÉCOLE", "caf cole"},
		{"space keeps punctuation", Tokenizer{Split: SplitSpace, Lower: true}, "  Don't\tstop-2x, OK?\r", "don't stop-2x, ok?"},
		{"empty", DefaultTokenizer(), " ,.; ", ""},
		{"invalid utf8 splits", DefaultTokenizer(), "ab\xffcd", "ab cd"},
		{"digits split", DefaultTokenizer(), "a1b22c", "a b c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, toks := tc.tok.Tokens([]byte(tc.in), nil, nil)
			var got []string
			for _, tk := range toks {
				got = append(got, string(tk))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("Tokens(%q) = %q, want %q", tc.in, g, tc.want)
			}
		})
	}
}

// TestTokensGrowth feeds runes whose lower case is longer than the upper
// case, so the buffer bound that keeps tokens from moving is exercised.
func TestTokensGrowth(t *testing.T) {
	in := strings.Repeat("Ⱥ", 1000) + " x"
	_, toks := DefaultTokenizer().Tokens([]byte(in), nil, nil)
	if len(toks) != 2 || string(toks[0]) != strings.Repeat("ⱥ", 1000) || string(toks[1]) != "x" {
		t.Fatalf("got %d tokens, first %d bytes", len(toks), len(toks[0]))
	}
}

func TestParseSplitMode(t *testing.T) {
	for _, m := range []SplitMode{SplitLetters, SplitASCII, SplitSpace} {
		got, err := ParseSplitMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseSplitMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseSplitMode("words"); err == nil {
		t.Error("ParseSplitMode(words) succeeded")
	}
}

func BenchmarkTokens(b *testing.B) {
	line := []byte(strings.Repeat("The quick brown Fox jumps over the lazy dog, again. ", 20))
	var buf []byte
	var toks [][]byte
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		buf, toks = DefaultTokenizer().Tokens(line, buf, toks[:0])
	}
}
