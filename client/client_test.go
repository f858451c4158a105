package client_test

import (
	"net/http"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/client"
	"github.com/vecdb/vecdb/db"
)

// TestErrorIs: a server's error answers match db's sentinels by status.
// (The operations themselves are tested against a server in package
// server's tests.)
func TestErrorIs(t *testing.T) {
	for _, tc := range []struct {
		status int
		is     error
	}{
		{http.StatusNotFound, db.ErrNotFound},
		{http.StatusConflict, db.ErrExists},
		{http.StatusBadRequest, db.ErrInvalid},
	} {
		err := error(&client.Error{Status: tc.status, Message: "m"})
		for _, s := range []error{db.ErrNotFound, db.ErrExists, db.ErrInvalid} {
			if got := errors.Is(err, s); got != (s == tc.is) {
				t.Errorf("errors.Is(%d, %v) = %v", tc.status, s, got)
			}
		}
		if err.Error() != "m" {
			t.Errorf("Error() = %q", err.Error())
		}
	}
	if errors.Is(&client.Error{Status: 500}, db.ErrNotFound) {
		t.Errorf("500 is ErrNotFound")
	}
}
