package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// recordJSON is the JSON document get prints.
type recordJSON struct {
	ID     string         `json:"id"`
	Vector []float32      `json:"vector"`
	Meta   map[string]any `json:"meta"`
}

func (c *cli) getCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "get COLL ID",
		Short: "Print a record",
		Long: `Print the record ID of COLL: its vector as stored (cosine collections store it
unit-normalised) and its metadata. JSON: {"id":..,"vector":[..],"meta":{..}}.`,
		Args: args(2, 2, "COLL ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rec *db.Record
			err := c.withDB(true, false, func(d *db.DB) error {
				var err error
				rec, err = d.Get(args[0], args[1])
				return err
			})
			if err != nil {
				return err
			}
			out := recordJSON{ID: rec.ID, Vector: rec.Vector, Meta: rec.Meta}
			if out.Meta == nil {
				out.Meta = map[string]any{}
			}
			if out.Vector == nil {
				out.Vector = []float32{}
			}
			if c.json {
				return c.printJSON(out)
			}
			meta, err := json.Marshal(out.Meta)
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
		},
	}
}

// deleteJSON is the JSON document delete prints.
type deleteJSON struct {
	Collection string `json:"collection"`
	Deleted    int    `json:"deleted"`
	Requested  int    `json:"requested"`
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
			var n int
			err := c.withDB(false, false, func(d *db.DB) error {
				var err error
				n, err = d.Delete(coll, ids...)
				return err
			})
			if err != nil {
				return err
			}
			if n == 0 {
				quoted := make([]string, len(ids))
				for i, id := range ids {
					quoted[i] = fmt.Sprintf("%q", id)
				}
				what := "no record"
				if len(ids) > 1 {
					what = "none of the records"
				}
				return sentinel.Mark(errors.Newf("delete: collection %q has %s %s", coll, what, strings.Join(quoted, ", ")), db.ErrNotFound)
			}
			if c.json {
				return c.printJSON(deleteJSON{Collection: coll, Deleted: n, Requested: len(ids)})
			}
			return c.write(fmt.Appendf(nil, "deleted %d of %d records from %q\n", n, len(ids), coll))
		},
	}
}
