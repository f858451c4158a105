// Package sentinel attaches sentinel errors to errors so that both the
// standard library's errors.Is and cockroachdb/errors' Is find them, while
// the message stays the error's own. (errors.Mark alone is understood only
// by cockroachdb/errors; users test vecdb's sentinels with the standard
// library.)
package sentinel

// Mark returns err matched by errors.Is to s (and still to everything err
// matches); its message is err's. Mark(nil, s) is nil.
func Mark(err, s error) error {
	if err == nil {
		return nil
	}
	return &marked{err: err, s: s}
}

type marked struct{ err, s error }

func (m *marked) Error() string { return m.err.Error() }

// Unwrap returns both: errors.Is and errors.As walk each.
func (m *marked) Unwrap() []error { return []error{m.err, m.s} }
