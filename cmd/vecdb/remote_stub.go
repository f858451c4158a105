//go:build !vecdb_remote

package main

import "github.com/cockroachdb/errors"

// dialRemote returns the backend of the server at url. This build has no
// client (package client has not landed yet).
func dialRemote(url, token string) (backend, error) {
	return nil, errors.Newf("--server %s: this vecdb is built without the server client", url)
}

// discoverServer returns the URL of the live server announced in dir.
func discoverServer(dir string) (string, bool) { return "", false }
