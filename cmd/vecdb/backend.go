package main

import (
	"context"
	"os"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/wire"
)

// backend is where the commands a server also answers run (list, create,
// drop, stats, import, get, delete, search, build, bench, recommend,
// analogy): the database directory opened by this process (localBackend)
// or a running vecdb serve (remoteBackend). Both answer in wire types, so
// one printer serves both and the output is the same.
type backend interface {
	// List returns every collection's schema and record count.
	List(ctx context.Context) ([]listEntry, error)
	// Create creates a collection.
	Create(ctx context.Context, s db.Schema) (wire.Schema, error)
	// Drop deletes a collection and its records.
	Drop(ctx context.Context, name string) error
	// Schema returns a collection's schema (an error when it does not
	// exist).
	Schema(ctx context.Context, coll string) (wire.Schema, error)
	// Stats returns the statistics of the named collections (every
	// collection when names is empty) and the memory of the process
	// holding the database.
	Stats(ctx context.Context, names []string) (wire.StatsList, error)
	// Sink returns the sink an import writes coll's batches into.
	Sink(coll string) wire.Sink
	// Settle waits for the work writes started in the background (a
	// compaction of an index's garbage) where closing would cancel it.
	Settle(ctx context.Context) error
	// Get returns a record.
	Get(ctx context.Context, coll, id string) (wire.Record, error)
	// Delete deletes records atomically; Deleted counts those that
	// existed, and none existing is an ErrNotFound error naming them.
	Delete(ctx context.Context, coll string, ids []string) (wire.Deleted, error)
	// Search answers a search request.
	Search(ctx context.Context, coll string, req *wire.SearchRequest) (wire.SearchResponse, error)
	// Build builds coll's index, reporting progress (stage, done of total)
	// as it goes; cancelling ctx stops the build.
	Build(ctx context.Context, coll string, req *wire.BuildRequest, progress func(stage string, done, total int)) (wire.Build, error)
	// Recommend recommends items to a user.
	Recommend(ctx context.Context, req *wire.RecommendRequest) (wire.SearchResponse, error)
	// Analogy returns the words nearest to B - A + C.
	Analogy(ctx context.Context, coll string, req *wire.AnalogyRequest) (wire.SearchResponse, error)
	// Process reports whether this process holds the database (its
	// memory and peak RSS are then the database's).
	Process() bool
}

// openMode is how a command opens the database directory when it runs
// locally.
type openMode struct {
	readOnly bool
	// create creates a missing directory (else a write fails on it).
	create bool
	// memTable is the write buffer size (0: the default).
	memTable int64
}

var (
	readMode  = openMode{readOnly: true}
	writeMode = openMode{}
)

// withBackend runs fn on the backend of this run: the server of --server
// (or $VECDB_SERVER), else the live server that announces itself in the
// --db directory, else the directory opened in this process with mode.
func (c *cli) withBackend(mode openMode, fn func(b backend) error) error {
	url, caFile, err := c.serverURL()
	if err != nil {
		return err
	}
	if url != "" {
		token, err := c.token()
		if err != nil {
			return err
		}
		b, err := dialRemote(url, token, caFile)
		if err != nil {
			return err
		}
		return fn(b)
	}
	return c.openLocal(mode.readOnly, mode.create, mode.memTable, func(d *db.DB) error {
		return fn(&localBackend{d: d})
	})
}

// serverURL returns the URL of the server the commands go through, and the
// certificate file to trust for it: --server (with --tls-ca), else a live
// server announced in the --db directory (with the certificate it
// announced), else "".
func (c *cli) serverURL() (url, caFile string, err error) {
	if c.server != "" {
		return strings.TrimRight(c.server, "/"), c.tlsCA, nil
	}
	if a, ok := discoverServer(c.dbDir); ok {
		return a.URL, a.CertFile, nil
	}
	return "", "", nil
}

// refuseServed returns an error when the database is served: by --server,
// or by a live server holding the --db directory. The commands that do not
// run through a server call it before opening the directory.
func (c *cli) refuseServed() error {
	if c.server != "" {
		return errors.Newf("this command does not run through a server (--server %s); run it on the database directory, with the server stopped", c.server)
	}
	if a, ok := discoverServer(c.dbDir); ok {
		return errors.Newf("the database %s is held by the server at %s; stop it, or run this command through its API", c.dbDir, a.URL)
	}
	return nil
}

// token returns the bearer token for the server: the first line of
// --token-file, else $VECDB_TOKEN, else "" (an open server).
func (c *cli) token() (string, error) {
	if c.tokenFile == "" {
		return os.Getenv("VECDB_TOKEN"), nil
	}
	return readToken(c.tokenFile)
}

// readToken reads a token file: its content without surrounding white
// space, which must not be empty.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", errors.Wrap(err, "--token-file")
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" || strings.ContainsAny(tok, "\r\n") {
		return "", errors.Newf("--token-file %s: want one line holding the token", path)
	}
	return tok, nil
}
