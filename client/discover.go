package client

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/vecdb/vecdb/wire"
)

// discoverTimeout bounds Discover's probe of an announced server, and
// discoverSlowTimeout its second probe of one whose process is alive.
const (
	discoverTimeout     = 500 * time.Millisecond
	discoverSlowTimeout = 10 * time.Second
)

// Discover returns the announcement of the server that announced itself
// in the database directory dir (server.Announce writes
// dir/vecdb-server.json), when it answers GET /healthz within about half
// a second (over https, trusting the announced certificate), or, when it
// does not but the announced process is alive on this machine, within ten
// seconds: a live server on a loaded machine can be slow to answer (a
// first TLS handshake under the race detector took over half a second),
// and it holds the directory a command line would otherwise open. ok is
// false when there is no announcement, it does not parse, or the address
// is dead: a killed server leaves its file behind, and a command line must
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
	if err := c.Health(ctx); err != nil {
		if ctx.Err() == nil || !processAlive(a.PID) {
			return a, false
		}
		slow, cancel := context.WithTimeout(context.Background(), discoverSlowTimeout)
		defer cancel()
		if c.Health(slow) != nil {
			return a, false
		}
	}
	a.URL = c.URL()
	return a, true
}
