//go:build !vecdb_remote

package main

import (
	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
)

// dialRemote returns the backend of the server at url. This build has no
// client (package client has not landed yet).
func dialRemote(url, token string) (backend, error) {
	return nil, errors.Newf("--server %s: this vecdb is built without the server client", url)
}

// discoverServer returns the URL of the live server announced in dir.
func discoverServer(dir string) (string, bool) { return "", false }

// serveCommand is vecdb serve, which this build does not have.
func (c *cli) serveCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "serve",
		Short:  "Serve the database over HTTP (not in this build)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("serve: this vecdb is built without the server")
		},
	}
}
