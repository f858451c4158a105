package wordeval

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/errors"
)

// MaxLineBytes is the longest line the readers accept; a longer line is an
// error naming it.
const MaxLineBytes = 1 << 20

// lines iterates over the lines of an evaluation file, with a sticky error:
// it counts lines from 1, drops a UTF-8 byte order mark at the start and
// the trailing CR of CRLF files, and skips blank lines.
type lines struct {
	sc   *bufio.Scanner
	n    int    // number of the current line, from 1
	text string // the current line, trimmed of surrounding white space
	err  error
}

func newLines(r io.Reader) *lines {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	return &lines{sc: sc}
}

// next advances to the next non-blank line and reports whether there is
// one.
func (l *lines) next() bool {
	for l.sc.Scan() {
		l.n++
		s := l.sc.Text()
		if l.n == 1 {
			s = strings.TrimPrefix(s, "\uFEFF")
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		l.text = s
		return true
	}
	if err := l.sc.Err(); err != nil {
		l.err = errors.Wrapf(err, "line %d", l.n+1)
	}
	return false
}

// isComment reports whether a trimmed line is a "#" comment.
func isComment(s string) bool { return strings.HasPrefix(s, "#") }

// truncate shortens s for an error message, at a rune boundary.
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
