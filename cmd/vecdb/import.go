package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/wire"
	"golang.org/x/term"
)

// defaultImportBatch is the number of records per atomic batch: large
// enough that the per-batch sync costs little, small enough that a bad row
// late in a file loses little work.
const defaultImportBatch = 1000

// importOptions are the flags of import.
type importOptions struct {
	format string
	meta   string
	batch  int
}

// importSummary is the JSON document import prints.
type importSummary struct {
	Collection string  `json:"collection"`
	Imported   int     `json:"imported"`
	Seconds    float64 `json:"seconds"`
}

func (c *cli) importCommand() *cobra.Command {
	o := importOptions{batch: defaultImportBatch}
	cmd := &cobra.Command{
		Use:   "import COLL FILE [--format fvecs|bvecs|npy|csv|jsonl|text|w2vbin] [--meta META.jsonl] [--batch N]",
		Short: "Upsert the records of a vector file into a collection",
		Long: `Upsert the records of FILE into the existing collection COLL.

The format comes from the file name (.fvecs, .bvecs, .npy, .csv, .jsonl,
.txt/.vec = text, .bin = w2vbin; a trailing .gz or .zst is ignored) unless
--format is given; FILE "-" reads stdin and needs --format. gzip and zstd input
is detected from its first bytes. fvecs, bvecs and npy records get the IDs
"0", "1", ... (the 0-based row). With --meta, line i of META.jsonl is the
metadata object of the i-th record; a META file with more or fewer lines than
FILE has records is an error.

Records are upserted in atomic batches of --batch records. A bad record stops
the import with an error naming its row (for text, csv and jsonl files, its
line); the batches before it stay imported. Importing the same file again is
safe: the same IDs get the same data.

A progress bar is shown on stderr when it is a terminal. At the end a summary
line is printed; JSON: {"collection":..,"imported":N,"seconds":..}.`,
		Args: args(2, 2, "COLL FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.runImport(cmd.Context(), args[0], args[1], o)
		},
	}
	cmd.Flags().StringVar(&o.format, "format", "", "input format (default: from the file name)")
	cmd.Flags().StringVar(&o.meta, "meta", "", "JSON lines file: line i is the metadata object of record i")
	cmd.Flags().IntVar(&o.batch, "batch", defaultImportBatch, "records per atomic batch")
	return cmd
}

func (c *cli) runImport(ctx context.Context, coll, path string, o importOptions) error {
	if o.batch < 1 {
		return errors.Newf("import: --batch %d: want at least 1", o.batch)
	}
	format, err := inputFormat(path, o.format)
	if err != nil {
		return errors.Wrap(err, "import")
	}
	var sum importSummary
	err = c.withBackend(writeMode, func(b backend) error {
		if _, err := b.Schema(ctx, coll); err != nil {
			return err
		}
		start := now()
		n, err := c.importFile(ctx, b.Sink(coll), path, format, o)
		sum = importSummary{Collection: coll, Imported: n, Seconds: now().Sub(start).Seconds()}
		if err != nil {
			return &committedErr{err: errors.Wrapf(err, "import %s", path), n: n}
		}
		// An import into an indexed collection may have started a
		// compaction of the index's garbage; closing would cancel it.
		return b.Settle(ctx)
	})
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(sum)
	}
	elapsed := time.Duration(sum.Seconds * float64(time.Second))
	if elapsed >= time.Millisecond {
		elapsed = elapsed.Round(time.Millisecond)
	} else {
		elapsed = elapsed.Round(time.Microsecond)
	}
	rate := float64(sum.Imported) / max(sum.Seconds, 1e-9)
	return c.write(fmt.Appendf(nil, "imported %d records into %q in %s (%.0f/s)\n",
		sum.Imported, coll, elapsed, rate))
}

// committedErr is an import's error with how many records it committed
// before it: the batches before a failure stay, and the user needs to know
// that re-running is needed, and safe.
type committedErr struct {
	err error
	n   int
}

func (e *committedErr) Error() string {
	if e.n == 0 {
		return e.err.Error() + "; nothing was written"
	}
	return fmt.Sprintf("%v; %d records were committed before it, and running the same import again is safe", e.err, e.n)
}

func (e *committedErr) Unwrap() error { return e.err }

// inputFormat returns the --format value, or the format guessed from the
// file name when it is empty.
func inputFormat(path, flag string) (vecio.Format, error) {
	if flag != "" {
		f, err := vecio.ParseFormat(flag)
		return f, errors.Wrap(err, "--format")
	}
	if path == "-" {
		return "", errors.New("reading stdin needs --format")
	}
	return vecio.FormatFromName(path)
}

// importFile hands the records of path to sink in batches and returns how
// many were committed.
func (c *cli) importFile(
	ctx context.Context, sink wire.Sink, path string, format vecio.Format, o importOptions,
) (n int, err error) {
	src, size, closeSrc, err := c.openInput(path)
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.CombineErrors(err, closeSrc()) }()
	if bar := c.progressBar(size, "importing "+filepath.Base(path)); bar != nil {
		src = io.TeeReader(src, bar)
		defer func() {
			// The bar is cosmetic; a failure to erase it is not the import's.
			_ = bar.Clear()
		}()
	}
	dec, err := vecio.NewDecompressor(src)
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.CombineErrors(err, dec.Close()) }()
	r, err := vecio.NewReader(dec, format)
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.CombineErrors(err, r.Close()) }()
	var meta *wire.MetaSource
	if o.meta != "" {
		if meta, err = wire.OpenMeta(o.meta, path); err != nil {
			return 0, err
		}
		defer func() { err = errors.CombineErrors(err, meta.Close()) }()
	}
	return wire.Load(ctx, r, meta, o.batch, sink)
}

// openInput opens path ("-": stdin) and returns it with its size (-1 when
// unknown) and a function that closes it.
func (c *cli) openInput(path string) (io.Reader, int64, func() error, error) {
	if path == "-" {
		return c.stdin, -1, func() error { return nil }, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, err
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return f, size, f.Close, nil
}

// progressBar returns a bar over size bytes on stderr when stderr is a
// terminal, and nil otherwise (a pipe, a file or a test buffer stays quiet).
func (c *cli) progressBar(size int64, desc string) *progressbar.ProgressBar {
	f, ok := c.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionClearOnFinish(),
	)
}
