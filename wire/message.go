package wire

import "strings"

// ErrorMessage renders err as one line, as the command line prints it
// after "vecdb: " and as a server answers it in Error: errors from package
// db carry their own "vecdb: " prefix, also when they are wrapped ("row 17:
// vecdb: record ..."), so those prefixes are dropped to say it once; line
// breaks become spaces.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	msg := strings.TrimPrefix(err.Error(), "vecdb: ")
	msg = strings.ReplaceAll(msg, ": vecdb: ", ": ")
	var parts []string
	for line := range strings.Lines(msg) {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	// The storage engine joins a marker of its own to corruption errors.
	return strings.ReplaceAll(strings.Join(parts, " "), " <corruption detail carrier>", "")
}
