package main

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/vecio"
)

// exportJSON is the JSON document export prints.
type exportJSON struct {
	Collection string `json:"collection"`
	Exported   int    `json:"exported"`
	File       string `json:"file"`
}

func (c *cli) exportCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "export COLL FILE [--format jsonl|fvecs]",
		Short: "Write a collection's records to a file that import reads back",
		Long: `Write every record of COLL, in insertion order, to FILE as JSON lines
({"id":..,"vector":[..],"meta":{..}} per line) or, with --format fvecs (or a
.fvecs name), as fvecs, which keeps only the vectors (import numbers them "0",
"1", ...). A FILE ending in .gz or .zst is compressed with gzip or zstd; "-"
writes to stdout. The file is written under a temporary name and renamed when
complete. Vectors are exported as stored (cosine collections store them
unit-normalised). JSON summary: {"collection":..,"exported":N,"file":..}.`,
		Args: args(2, 2, "COLL FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.runExport(args[0], args[1], format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "jsonl or fvecs (default: from the file name, else jsonl)")
	return cmd
}

func (c *cli) runExport(coll, path, format string) error {
	f, err := exportFormat(path, format)
	if err != nil {
		return errors.Wrap(err, "export")
	}
	var n int
	err = c.withDB(true, false, func(d *db.DB) error {
		it, err := d.NewRecordIterator(coll)
		if err != nil {
			return err
		}
		err = c.createOutput(path, func(w io.Writer) error {
			n, err = writeRecords(w, f, it)
			return err
		})
		return errors.CombineErrors(err, it.Close())
	})
	if err != nil {
		return err
	}
	if path == "-" {
		return nil
	}
	if c.json {
		return c.printJSON(exportJSON{Collection: coll, Exported: n, File: path})
	}
	return c.write(fmt.Appendf(nil, "exported %d records from %q to %s\n", n, coll, path))
}

// exportFormat returns the --format value (jsonl or fvecs), else the
// format the file name says, else jsonl.
func exportFormat(path, flag string) (vecio.Format, error) {
	f := vecio.JSONL
	switch {
	case flag != "":
		var err error
		if f, err = vecio.ParseFormat(flag); err != nil {
			return "", errors.Wrap(err, "--format")
		}
	case path != "-":
		if guess, err := vecio.FormatFromName(path); err == nil {
			f = guess
		}
	}
	if f != vecio.JSONL && f != vecio.Fvecs {
		return "", errors.Newf("cannot write %s; export writes jsonl or fvecs (pass --format)", f)
	}
	return f, nil
}

// writeRecords writes the iterator's records to w in format f and returns
// how many it wrote.
func writeRecords(w io.Writer, f vecio.Format, it *db.RecordIterator) (int, error) {
	n := 0
	if f == vecio.Fvecs {
		var buf []byte
		for it.First(); it.Valid(); it.Next() {
			buf = vecio.AppendFvecs(buf[:0], it.Record().Vector)
			if _, err := w.Write(buf); err != nil {
				return n, err
			}
			n++
		}
		return n, it.Error()
	}
	jw := vecio.NewJSONLWriter(w)
	for it.First(); it.Valid(); it.Next() {
		rec := it.Record()
		var meta map[string]any
		if len(rec.Meta) > 0 {
			meta = rec.Meta
		}
		if err := jw.Write(rec.ID, rec.Vector, meta); err != nil {
			return n, err
		}
		n++
	}
	if err := it.Error(); err != nil {
		return n, err
	}
	return n, jw.Flush()
}

// createOutput runs fn with a writer to path ("-": stdout), compressed
// when the name ends in .gz or .zst. A file is written under a temporary
// name in the same directory and renamed into place only when complete, so
// a failed export leaves no partial file. A symbolic link is followed (the
// file it names is replaced, the link stays), and what is not a regular
// file (a FIFO, a device such as /dev/stdout) is written into as it is:
// renaming over it would replace it with a file its reader never sees.
func (c *cli) createOutput(path string, fn func(w io.Writer) error) (err error) {
	if path == "-" {
		bw := bufio.NewWriterSize(c.stdout, 1<<16)
		if err := fn(bw); err != nil {
			return err
		}
		return errors.Wrap(bw.Flush(), "writing stdout")
	}
	target, err := resolveLinks(path)
	if err != nil {
		return errors.Wrapf(err, "creating %s", path)
	}
	if fi, err := os.Stat(target); err == nil && !fi.Mode().IsRegular() {
		return writeInPlace(target, path, fn)
	}
	path = target
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		// Name the file asked for, not the temporary one.
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err
		}
		return errors.Wrapf(err, "creating %s", path)
	}
	defer func() {
		if err != nil {
			// The temporary file is garbage either way; the write error
			// is the one to report.
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	cw, err := vecio.NewCompressor(bw, path)
	if err != nil {
		return err
	}
	if err := fn(cw); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	if err := cw.Close(); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	if err := bw.Flush(); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	if err := tmp.Sync(); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	if err := tmp.Close(); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	return errors.Wrapf(os.Rename(tmp.Name(), path), "writing %s", path)
}

// resolveLinks returns path with its symbolic links followed, also when
// the last one names a file that does not exist yet.
func resolveLinks(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		to, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return "", errors.New("too many levels of symbolic links")
}

// writeInPlace runs fn with a writer into target, a FIFO or a device,
// compressed by name.
func writeInPlace(target, name string, fn func(w io.Writer) error) (err error) {
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return errors.Wrapf(err, "opening %s", name)
	}
	defer func() { err = errors.CombineErrors(err, errors.Wrapf(f.Close(), "writing %s", name)) }()
	bw := bufio.NewWriterSize(f, 1<<16)
	cw, err := vecio.NewCompressor(bw, name)
	if err != nil {
		return err
	}
	if err := fn(cw); err != nil {
		return errors.Wrapf(err, "writing %s", name)
	}
	if err := cw.Close(); err != nil {
		return errors.Wrapf(err, "writing %s", name)
	}
	return errors.Wrapf(bw.Flush(), "writing %s", name)
}
