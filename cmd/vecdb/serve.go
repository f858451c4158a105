package main

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/server"
	"github.com/vecdb/vecdb/wire"
)

// defaultServeAddr is where vecdb serve listens by default: loopback
// only, so an open server (no token) is not reachable from the network.
const defaultServeAddr = "127.0.0.1:7700"

// shutdownGrace bounds how long a stopping server waits for the requests
// in flight (a long search, an upsert batch) before closing anyway.
const shutdownGrace = 30 * time.Second

// serveOptions are the flags of serve.
type serveOptions struct {
	addr              string
	tlsCert, tlsKey   string
	insecure          bool
	maxBody           int64
	requestTimeout    time.Duration
	readHeaderTimeout time.Duration
}

func (c *cli) serveCommand() *cobra.Command {
	o := serveOptions{addr: defaultServeAddr}
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:7700] [--token-file FILE] [--tls-cert F --tls-key F] [--insecure]",
		Short: "Serve the database over HTTP to other processes",
		Long: `Open --db as its one writer and answer the HTTP API (see README) on --addr until
SIGINT or SIGTERM, then finish the requests in flight and close. The database
directory is created when it does not exist, so a server can start on a new
one. The server announces itself in the directory (vecdb-server.json), so
vecdb commands given the same --db go through it on their own; the commands
it does not run (export, check, compact, migrate, train, ...) refuse to run
until it stops.

--addr 127.0.0.1:0 picks a free port; the line "vecdb: serving DIR at URL" on
stderr says which. A non-loopback --addr needs --token-file FILE: every
request but /healthz must then carry "Authorization: Bearer TOKEN" (clients:
--token-file or $VECDB_TOKEN). A token over plain HTTP on a non-loopback
address can be read on the network: give --tls-cert and --tls-key (the URL is
then https://), or accept it with --insecure.`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.runServe(cmd.Context(), &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", defaultServeAddr, "host:port to listen on (port 0: any free port)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key, serve HTTPS")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	f.BoolVar(&o.insecure, "insecure", false, "allow a token over plain HTTP on a non-loopback address")
	f.Int64Var(&o.maxBody, "max-body", 0, "largest request body in bytes (0: the server's default)")
	f.DurationVar(&o.requestTimeout, "timeout", 0, "longest a request may run, e.g. 30s (0: the server's default)")
	f.DurationVar(&o.readHeaderTimeout, "read-header-timeout", 10*time.Second, "longest a client may take to send a request's headers")
	return cmd
}

// check refuses the settings that would expose the database: a
// non-loopback address without a token, or a token in clear text on one.
func (o *serveOptions) check(token string) (loopback bool, err error) {
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return false, errors.Wrapf(err, "serve: --addr %s", o.addr)
	}
	loopback = isLoopback(host)
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return false, errors.New("serve: give both --tls-cert and --tls-key, or neither")
	}
	if !loopback && token == "" {
		return false, errors.Newf("serve: --addr %s is reachable from other machines: give --token-file FILE, a token every request must then carry (or listen on 127.0.0.1)", o.addr)
	}
	if !loopback && o.tlsCert == "" && !o.insecure {
		return false, errors.Newf("serve: --addr %s with plain HTTP would send the token in clear text: give --tls-cert and --tls-key, or --insecure to accept that", o.addr)
	}
	return loopback, nil
}

// isLoopback reports whether host (of a listen address) is reachable
// only from this machine. An empty host listens on every interface.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *cli) runServe(ctx context.Context, o *serveOptions) error {
	var token string
	if c.tokenFile != "" {
		var err error
		if token, err = readToken(c.tokenFile); err != nil {
			return errors.Wrap(err, "serve")
		}
	}
	if _, err := o.check(token); err != nil {
		return err
	}
	if a, ok := discoverServer(c.dbDir); ok {
		return errors.Newf("serve: the database %s is held by the server at %s already", c.dbDir, a.URL)
	}
	return c.openLocal(false, true, 0, func(d *db.DB) error {
		ln, err := net.Listen("tcp", o.addr)
		if err != nil {
			return errors.Wrap(err, "serve")
		}
		url := serveURL(ln.Addr(), o.tlsCert != "")
		s := server.New(d, &server.Options{Token: token, MaxBodyBytes: o.maxBody, Timeout: o.requestTimeout,
			Logger: slog.New(slog.NewTextHandler(c.stderr, nil))})
		hs := &http.Server{
			Handler:           s,
			ReadHeaderTimeout: o.readHeaderTimeout,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          log.New(c.stderr, "vecdb: ", 0),
		}
		withdraw, err := server.Announce(c.dbDir, wire.Announcement{URL: url, CertFile: o.tlsCert})
		if err != nil {
			return errors.CombineErrors(errors.Wrap(err, "serve: announcing the server"), ln.Close())
		}
		if _, err := fmt.Fprintf(c.stderr, "vecdb: serving %s at %s\n", c.dbDir, url); err != nil {
			return errors.CombineErrors(errors.Wrap(err, "writing to stderr"), errors.CombineErrors(ln.Close(), withdraw()))
		}
		served := make(chan error, 1)
		go func() {
			if o.tlsCert != "" {
				served <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
			} else {
				served <- hs.Serve(ln)
			}
		}()
		var serveErr error
		select {
		case <-ctx.Done():
		case serveErr = <-served:
		}
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		err = hs.Shutdown(sctx)
		if serveErr == nil {
			if serveErr = <-served; errors.Is(serveErr, http.ErrServerClosed) {
				serveErr = nil
			}
		}
		err = errors.CombineErrors(serveErr, err)
		err = errors.CombineErrors(err, s.Close())
		return errors.CombineErrors(err, withdraw())
	})
}

// serveURL is the URL clients reach a listener at. A listener on every
// interface is announced at its loopback address: the announcement is
// for the commands run on this machine.
func serveURL(addr net.Addr, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return scheme + "://" + addr.String()
	}
	ip := ta.IP
	if ip.IsUnspecified() {
		if ip.To4() != nil {
			ip = net.IPv4(127, 0, 0, 1)
		} else {
			ip = net.IPv6loopback
		}
	}
	return scheme + "://" + net.JoinHostPort(ip.String(), fmt.Sprint(ta.Port))
}
