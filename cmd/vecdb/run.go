package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// now is the clock that import timings use; tests replace it.
var now = time.Now

// cli is the state of one run: the streams and the global flags. A fresh
// one (and a fresh cobra command tree) is built for every run call.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	dbDir     string // --db
	json      bool   // --json
	cache     string // --cache
	server    string // --server
	tokenFile string // --token-file
	tlsCA     string // --tls-ca
}

// run executes the vecdb command line args (without the program name).
// It prints results on stdout and returns the error that main reports;
// it never exits.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	root := c.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

// cacheBytes parses --cache ("" means the database's default).
func (c *cli) cacheBytes() (int64, error) {
	if c.cache == "" {
		return 0, nil
	}
	n, err := parseSize(c.cache)
	if err != nil {
		return 0, errors.Wrap(err, "--cache")
	}
	return n, nil
}

// parseSize parses a byte size: a number with an optional unit, B, KiB,
// MiB, GiB, TiB (or K, M, G, T, KB, MB, GB, TB, read as powers of 1024
// too: a cache size is a memory size), case-insensitive.
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	num := strings.TrimRightFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.TrimSpace(t[len(num):])
	var shift uint
	switch unit {
	case "", "b":
	case "k", "kb", "kib":
		shift = 10
	case "m", "mb", "mib":
		shift = 20
	case "g", "gb", "gib":
		shift = 30
	case "t", "tb", "tib":
		shift = 40
	default:
		return 0, errors.Newf("size %q: unknown unit %q (use B, KiB, MiB, GiB or TiB)", s, unit)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, errors.Newf("size %q: want a whole number of bytes with an optional unit, e.g. 64MiB", s)
	}
	return n << shift, nil
}

// defaultDBDir is the --db default: $VECDB_DB when set, else ./vecdb.db.
func defaultDBDir() string {
	if dir := os.Getenv("VECDB_DB"); dir != "" {
		return dir
	}
	return "./vecdb.db"
}

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "vecdb",
		Short: "vecdb is an embedded vector database",
		Long: `vecdb manages a vecdb database directory: collections of records, each an ID,
a float32 vector and typed metadata, searched by k-nearest neighbours with filters.

The database is the directory given by --db (default $VECDB_DB when set, else
./vecdb.db). Read-only commands (search, get, stats, export, list) can run side
by side; a command that writes needs the database to itself.

"vecdb serve" holds a database for other processes. While it runs, list,
create, drop, stats, import, get, delete, search, build, bench, recommend and
analogy given its --db go through it on their own (or through the server of
--server URL, $VECDB_SERVER), with the same output; the other commands refuse
to run. A server with a token needs --token-file FILE or $VECDB_TOKEN.

Every command accepts --json and then prints exactly one JSON document on stdout.
Errors are one line on stderr ("vecdb: ...") and exit status 1.`,
		SilenceUsage:       true,
		SilenceErrors:      true,
		DisableSuggestions: true,
		CompletionOptions:  cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.PersistentFlags().StringVar(&c.dbDir, "db", defaultDBDir(), "database directory ($VECDB_DB, when set, replaces the default)")
	root.PersistentFlags().BoolVar(&c.json, "json", false, "print one JSON document instead of tables")
	root.PersistentFlags().StringVar(&c.server, "server", os.Getenv("VECDB_SERVER"), "URL of a running vecdb serve to send the command to ($VECDB_SERVER; by default a live server that holds --db is found on its own)")
	root.PersistentFlags().StringVar(&c.tokenFile, "token-file", "", "file holding the token of the server (default: $VECDB_TOKEN)")
	root.PersistentFlags().StringVar(&c.tlsCA, "tls-ca", os.Getenv("VECDB_TLS_CA"), "PEM certificate to trust for an https --server, e.g. its self-signed one ($VECDB_TLS_CA; a server found through --db is trusted by the certificate it announced)")
	root.PersistentFlags().StringVar(&c.cache, "cache", os.Getenv("VECDB_CACHE"), "memory the process may hold in caches, e.g. 64MiB or 4GiB ($VECDB_CACHE; default 256MiB, or half a cgroup memory limit when lower)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if cmd == root {
			return err
		}
		return errors.Wrapf(err, "%s", cmd.Name())
	})
	root.AddCommand(
		c.createCommand(),
		c.listCommand(),
		c.dropCommand(),
		c.importCommand(),
		c.searchCommand(),
		c.getCommand(),
		c.deleteCommand(),
		c.statsCommand(),
		c.checkCommand(),
		c.exportCommand(),
		c.demoCommand(),
		c.buildCommand(),
		c.compactCommand(),
		c.migrateCommand(),
		c.benchCommand(),
		c.evalCommand(),
		c.analogyCommand(),
		c.trainCommand(),
		c.recommendCommand(),
		c.foldinCommand(),
		c.embedCommand(),
		c.serveCommand(),
	)
	return root
}

// args returns a cobra.PositionalArgs that accepts between min and max
// (-1: any number) arguments and otherwise names the expected ones.
func args(min, max int, usage string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= min && (max < 0 || len(args) <= max) {
			return nil
		}
		return errors.Newf("%s: want %s, got %d argument(s) (see vecdb %s --help)",
			cmd.Name(), usage, len(args), cmd.Name())
	}
}

// withDB opens the database, runs fn and closes the database, returning
// the first error. readOnly opens take a shared lock so several read-only
// commands can run at once. Write opens of a directory that does not exist
// fail unless create is set, so a mistyped --db does not leave an empty
// database behind.
func (c *cli) withDB(readOnly, create bool, fn func(d *db.DB) error) (err error) {
	return c.withDBOptions(readOnly, create, 0, fn)
}

// indexWriteBuffer is the write buffer of the commands that rewrite an
// index (build, compact, migrate): they write a handful of keys, and the
// store reserves its write buffers in the budget, so the default 64 MiB
// would only crowd the build's sample and codes (a 1M x 128 build peaked
// at 387-405 MB of RSS with it, 241-298 MB with 4 MiB, in two pairs).
const indexWriteBuffer = 4 << 20

// withDBOptions is withDB with a write-buffer size (0: the default). It is
// for the commands that do not run through a server, so it refuses to run
// while a server holds the directory.
func (c *cli) withDBOptions(readOnly, create bool, memTable int64, fn func(d *db.DB) error) error {
	if err := c.refuseServed(); err != nil {
		return err
	}
	return c.openLocal(readOnly, create, memTable, fn)
}

// openLocal opens the database directory in this process, runs fn and
// closes the database (see withDB).
func (c *cli) openLocal(readOnly, create bool, memTable int64, fn func(d *db.DB) error) (err error) {
	if !readOnly && !create {
		if _, statErr := os.Stat(c.dbDir); errors.Is(statErr, fs.ErrNotExist) {
			return sentinel.Mark(errors.Newf("no database at %s", c.dbDir), db.ErrNotFound)
		}
	}
	cache, err := c.cacheBytes()
	if err != nil {
		return err
	}
	d, err := db.Open(c.dbDir, &db.Options{ReadOnly: readOnly, CacheBytes: cache, MemTableBytes: memTable, Logger: &stderrLogger{w: c.stderr},
		OnFatal: func(err error) {
			// The store cannot go on: one line, no trace, no deferred Close
			// (it would wait on the store); acknowledged writes are in its log.
			fmt.Fprintf(c.stderr, "vecdb: %s (every acknowledged write is intact; the next open recovers them)\n", errorMessage(err))
			os.Exit(1)
		}})
	if err != nil {
		return err
	}
	defer func() { err = errors.CombineErrors(err, d.Close()) }()
	return fn(d)
}

// stderrLogger is the db.Logger of the CLI: informational lines are dropped
// and errors go to the run's stderr. It is goroutine-safe.
type stderrLogger struct {
	mu sync.Mutex
	w  io.Writer
}

// Infof drops the line: a CLI user's terminal stays quiet.
func (l *stderrLogger) Infof(string, ...any) {}

// Errorf prints the line on stderr.
func (l *stderrLogger) Errorf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	line := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	// A failed log write has nowhere better to go.
	_, _ = fmt.Fprintf(l.w, "vecdb: %s\n", line)
}

// printJSON prints v on stdout as one JSON document and a newline.
func (c *cli) printJSON(v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return errors.Wrap(err, "encoding JSON")
	}
	return c.write(buf.Bytes())
}

// printText builds human-readable output with fn and prints it on stdout.
// fn writes into a tabwriter (tab-separated cells line up as a table); a
// line without tabs ends the table above it.
func (c *cli) printText(fn func(w io.Writer)) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fn(visibleWriter{tw}) // escaped before the table is laid out
	if err := tw.Flush(); err != nil {
		return errors.Wrap(err, "formatting output")
	}
	return c.write(buf.Bytes())
}

// visibleWriter writes through visible.
type visibleWriter struct{ w io.Writer }

func (v visibleWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(v.w, visible(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// visible returns s with the control characters a terminal would act on
// (all but tab and newline: escape sequences, carriage returns, C1
// controls) written as Go escapes, so a record ID or a metadata value
// cannot move the cursor, recolour or retitle the user's terminal. JSON
// output escapes them by itself.
func visible(s string) string {
	clean := true
	for _, r := range s {
		if isTerminalControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isTerminalControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isTerminalControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r <= 0x9f)
}

// write prints b on stdout.
func (c *cli) write(b []byte) error {
	_, err := c.stdout.Write(b)
	return errors.Wrap(err, "writing output")
}

// fprintf writes to the writer of a printText callback. It writes into
// memory, whose errors surface at Flush, so the result is not checked.
func fprintf(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...) // errors surface at Flush
}
