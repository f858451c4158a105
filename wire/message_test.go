package wire

import (
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
)

func TestErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"sentinel", db.ErrNotFound, "not found"},
		{"wrapped", errors.Wrap(db.ErrNotFound, "row 17"), "row 17: not found"},
		{"lines", errors.New("vecdb: first\n  second\n"), "first second"},
		{"plain", errors.New("k too large"), "k too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ErrorMessage(tc.err); got != tc.want {
				t.Errorf("ErrorMessage(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}
