package client_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
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

// TestConnectionReuse: concurrent callers of a default client reuse their
// connections (http.DefaultClient keeps 2 idle, and 16 callers then open
// a connection for most requests).
func TestConnectionReuse(t *testing.T) {
	var conns atomic.Int64
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	defer ts.Close()
	c, err := client.New(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	const callers, calls = 16, 50
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range calls {
				if err := c.Health(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := conns.Load(); n > 2*callers {
		t.Fatalf("%d callers x %d requests opened %d connections; want at most %d", callers, calls, n, 2*callers)
	}
}
