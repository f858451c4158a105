package wordeval

import (
	"io"
	"strings"

	"github.com/cockroachdb/errors"
)

// Analogy is one question "A is to B as C is to D" (a:b :: c:d): given A, B
// and C, the answer should be D.
type Analogy struct {
	// Section is the name of the ": section" line the question follows
	// ("capital-common-countries"), or "" before any section line.
	Section string
	// A, B, C and D are the four words as written in the file (look-ups
	// lower-case them).
	A, B, C, D string
	// Line is the 1-based line number of the question in its file, 0 for
	// questions not read from a file.
	Line int
}

// ReadAnalogies reads analogy questions in the layout of word2vec's
// questions-words.txt: optional ": section" lines, each naming the section
// of the questions after it, and questions of four whitespace-separated
// words "a b c d" meaning a:b :: c:d. Blank lines and lines starting with
// "#" are ignored; LF and CRLF line ends are both accepted. A question line
// without exactly four words, or a section line without a name, is an error
// naming its line.
func ReadAnalogies(r io.Reader) ([]Analogy, error) {
	var (
		qs      []Analogy
		section string
	)
	l := newLines(r)
	for l.next() {
		s := l.text
		if isComment(s) {
			continue
		}
		if rest, ok := strings.CutPrefix(s, ":"); ok {
			section = strings.TrimSpace(rest)
			if section == "" {
				return nil, errors.Newf("line %d: section line %q has no name", l.n, s)
			}
			continue
		}
		f := strings.Fields(s)
		if len(f) != 4 {
			return nil, errors.Newf("line %d: analogy question has %d words, want 4 (a b c d): %q",
				l.n, len(f), truncate(s))
		}
		qs = append(qs, Analogy{Section: section, A: f[0], B: f[1], C: f[2], D: f[3], Line: l.n})
	}
	if l.err != nil {
		return nil, errors.Wrap(l.err, "reading analogy questions")
	}
	return qs, nil
}
