package main

import (
	"io"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
)

// checkJSON is the JSON document check prints.
type checkJSON struct {
	OK          bool            `json:"ok"`
	Collections []checkCollJSON `json:"collections"`
}

type checkCollJSON struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// collectionNames returns args, or, when it is empty, every collection's
// name.
func collectionNames(d *db.DB, args []string) ([]string, error) {
	if len(args) > 0 {
		return args, nil
	}
	schemas, err := d.Collections()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(schemas))
	for i, s := range schemas {
		names[i] = s.Name
	}
	return names, nil
}

func (c *cli) checkCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check [COLL]",
		Short: "Verify the consistency of one collection or of all",
		Long: `Read every record, vector, ID, metadata bitmap, posting list and code of COLL
(or of every collection) and check that they agree: the live records, their
vectors and IDs name the same docs, each bitmap holds exactly the records with
its value, every live record has one code, and the index's vector file is
intact. Prints one line per collection; exits 1 naming each damaged one (the
others stay usable: a damaged collection can be dropped or rebuilt).
JSON: {"ok":bool,"collections":[{"name":..,"ok":bool,"error":..}]}.`,
		Args: args(0, 1, "[COLL]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out checkJSON
			err := c.withDB(true, false, func(d *db.DB) error {
				names, err := collectionNames(d, args)
				if err != nil {
					return err
				}
				out.OK = true
				for _, name := range names {
					r := checkCollJSON{Name: name, OK: true}
					if err := d.CheckCollection(name); err != nil {
						if errors.Is(err, db.ErrNotFound) && len(args) > 0 {
							return err
						}
						r.OK, r.Error, out.OK = false, errorMessage(err), false
					}
					out.Collections = append(out.Collections, r)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if c.json {
				err = c.printJSON(out)
			} else {
				err = c.printText(func(w io.Writer) {
					for _, r := range out.Collections {
						if r.OK {
							fprintf(w, "%s\tok\n", r.Name)
						} else {
							fprintf(w, "%s\tDAMAGED: %s\n", r.Name, r.Error)
						}
					}
				})
			}
			if err == nil && !out.OK {
				bad := 0
				for _, r := range out.Collections {
					if !r.OK {
						bad++
					}
				}
				err = errors.Newf("check: %d of %d collections damaged", bad, len(out.Collections))
			}
			return err
		},
	}
}
