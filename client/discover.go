package client

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/vecdb/vecdb/wire"
)

// discoverTimeout bounds Discover's probe of an announced server.
const discoverTimeout = 500 * time.Millisecond

// Discover returns the announcement of the server that announced itself
// in the database directory dir (server.Announce writes
// dir/vecdb-server.json), when it answers GET /healthz within about half
// a second (over https, trusting the announced certificate). ok is false
// when there is no announcement, it does not parse, or the address is
// dead: a killed server leaves its file behind, and a command line must
// then open the directory itself rather than talk to nobody. Pass the
// announcement's CertFile as Options.CAFile to talk to the server.
func Discover(dir string) (a wire.Announcement, ok bool) {
	data, err := os.ReadFile(filepath.Join(dir, wire.AnnouncementFile))
	if err != nil {
		return a, false
	}
	if json.Unmarshal(data, &a) != nil || a.URL == "" {
		return a, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), discoverTimeout)
	defer cancel()
	c, err := New(a.URL, &Options{CAFile: a.CertFile})
	if err != nil {
		return a, false
	}
	// /healthz needs no token. A live server of another kind at the
	// address fails the check too: it does not answer {"ok":true}.
	if c.Health(ctx) != nil {
		return a, false
	}
	a.URL = c.URL()
	return a, true
}
