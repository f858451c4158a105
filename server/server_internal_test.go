package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vecdb/vecdb/db"
)

// TestPanic: a panicking handler is answered 500 in JSON and counted;
// the server keeps serving.
func TestPanic(t *testing.T) {
	d, err := db.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := New(d, nil)
	defer s.Close()
	s.handle("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	for range 2 {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", "/panic", nil))
		if w.Code != 500 || w.Body.String() != "{\"error\":\"internal error\"}\n" || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("panic = %d %q", w.Code, w.Body.String())
		}
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(w.Body.String(), `vecdb_http_requests_total{code="500",route="GET /panic"} 2`) {
		t.Errorf("panics not counted:\n%s", w.Body.String())
	}
}

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{db.ErrNotFound, 404}, {db.ErrExists, 409}, {db.ErrInvalid, 400}, {db.ErrDimensionMismatch, 400},
		{db.ErrClosed, 503}, {db.ErrReadOnly, 403}, {db.ErrDiskFull, 507}, {&http.MaxBytesError{Limit: 1}, 413},
		{db.ErrCorruption, 500},
	} {
		if got := statusOf(tc.err); got != tc.want {
			t.Errorf("statusOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
