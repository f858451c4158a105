package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/wire"
)

func (c *cli) getCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "get COLL ID",
		Short: "Print a record",
		Long: `Print the record ID of COLL: its vector as stored (cosine collections store it
unit-normalised) and its metadata. JSON: {"id":..,"vector":[..],"meta":{..}}.`,
		Args: args(2, 2, "COLL ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out wire.Record
			err := c.withBackend(readMode, func(b backend) (err error) {
				out, err = b.Get(cmd.Context(), args[0], args[1])
				return err
			})
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(out)
			}
			return c.printRecord(&out)
		},
	}
}

// printRecord prints a record as name/value lines: its ID, its vector
// and its metadata as compact JSON.
func (c *cli) printRecord(rec *wire.Record) error {
	meta, err := json.Marshal(rec.Meta)
	if err != nil {
		return errors.Wrapf(err, "encoding the metadata of %q", rec.ID)
	}
	vals := make([]string, len(rec.Vector))
	for i, x := range rec.Vector {
		vals[i] = formatFloat(x)
	}
	return c.printText(func(w io.Writer) {
		fprintf(w, "id\t%s\n", rec.ID)
		fprintf(w, "vector\t%s\n", strings.Join(vals, " "))
		fprintf(w, "meta\t%s\n", meta)
	})
}

func (c *cli) deleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "delete COLL ID...",
		Short: "Delete records",
		Long: `Delete the records with the given IDs from COLL, in one atomic batch, and print
how many existed ("deleted 1 of 2 records"). IDs that do not exist are skipped,
but when none of them exists the command fails, naming them, since that is
usually a wrong collection or a typo. JSON: {"collection":..,"deleted":N,"requested":M}.`,
		Args: args(2, -1, "COLL ID..."),
		RunE: func(cmd *cobra.Command, args []string) error {
			coll, ids := args[0], args[1:]
			var out wire.Deleted
			err := c.withBackend(writeMode, func(b backend) (err error) {
				out, err = b.Delete(cmd.Context(), coll, ids)
				return err
			})
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(out)
			}
			return c.write(fmt.Appendf(nil, "deleted %d of %d records from %q\n", out.Deleted, out.Requested, coll))
		},
	}
}
