package client

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/vecdb/vecdb/wire"
)

// discoverTimeout bounds Discover's probe of an announced server.
const discoverTimeout = 500 * time.Millisecond

// Discover returns the URL of the server that announced itself in the
// database directory dir (server.Announce writes dir/vecdb-server.json),
// when it answers GET /healthz within about half a second. ok is false
// when there is no announcement, it does not parse, or the address is
// dead: a killed server leaves its file behind, and a command line must
// then open the directory itself rather than talk to nobody.
func Discover(dir string) (url string, ok bool) {
	data, err := os.ReadFile(filepath.Join(dir, wire.AnnouncementFile))
	if err != nil {
		return "", false
	}
	var a wire.Announcement
	if json.Unmarshal(data, &a) != nil || a.URL == "" {
		return "", false
	}
	ctx, cancel := context.WithTimeout(context.Background(), discoverTimeout)
	defer cancel()
	c, err := New(a.URL, &Options{HTTPClient: &http.Client{Timeout: discoverTimeout}})
	if err != nil {
		return "", false
	}
	// /healthz needs no token. A live server of another kind at the
	// address fails the check too: it does not answer {"ok":true}.
	if c.Health(ctx) != nil {
		return "", false
	}
	return c.URL(), true
}
