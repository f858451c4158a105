package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/wire"
)

// Announce writes dir/wire.AnnouncementFile, saying that the server at
// a.URL holds the database in dir, so that a command line run against dir
// finds it (client.Discover); a.PID and a.Started default to this process
// and now, and a.CertFile names an https server's certificate. The file
// is written to a temporary file and renamed, so a reader never sees half
// of it. withdraw removes it (call it when the server stops serving); a
// server killed without it leaves the file behind, which Discover
// recognises by probing the address.
func Announce(dir string, a wire.Announcement) (withdraw func() error, err error) {
	if a.PID == 0 {
		a.PID = os.Getpid()
	}
	if a.Started.IsZero() {
		a.Started = time.Now().UTC()
	}
	if a.CertFile != "" {
		if a.CertFile, err = filepath.Abs(a.CertFile); err != nil {
			return nil, errors.Wrap(err, "announcing the server")
		}
	}
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, errors.Wrap(err, "announcing the server")
	}
	path := filepath.Join(dir, wire.AnnouncementFile)
	tmp, err := os.CreateTemp(dir, wire.AnnouncementFile+".tmp-*")
	if err != nil {
		return nil, errors.Wrap(err, "announcing the server")
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name()) // the error being returned says more
		}
	}()
	if _, err = tmp.Write(append(data, '\n')); err != nil {
		_ = tmp.Close() // the write's error is the one to report
		return nil, errors.Wrapf(err, "writing %s", tmp.Name())
	}
	if err = tmp.Close(); err != nil {
		return nil, errors.Wrapf(err, "writing %s", tmp.Name())
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return nil, errors.Wrapf(err, "writing %s", tmp.Name())
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return nil, errors.Wrapf(err, "announcing the server in %s", path)
	}
	return func() error {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return errors.Wrapf(err, "withdrawing the server's announcement %s", path)
		}
		return nil
	}, nil
}
