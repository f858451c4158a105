package main

import (
	"io"

	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/wire"
)

func (c *cli) analogyCommand() *cobra.Command {
	var k int
	cmd := &cobra.Command{
		Use:   "analogy COLL A B C [-k 10] [--json]",
		Short: `Words completing "A is to B as C is to ?" (nearest to B - A + C)`,
		Long: `Search a word collection for the k words nearest (by cosine) to B - A + C,
the three words left out: "vecdb analogy words man king woman" asks what is to
woman as king is to man. Words are looked up as given, then lower-cased.`,
		Args: args(4, 4, "COLL A B C"),
		RunE: func(cmd *cobra.Command, a []string) error {
			var res []db.Result
			if err := c.withDB(true, false, func(d *db.DB) (err error) {
				res, err = train.Analogy(cmd.Context(), d, a[0], a[1], a[2], a[3], k)
				return err
			}); err != nil {
				return err
			}
			return c.printHits(wire.FromResults(res, false), a[2]+" - "+a[1]+" + "+a[3])
		},
	}
	cmd.Flags().IntVarP(&k, "k", "k", 10, "number of words")
	return cmd
}

// printHits prints one result list: in JSON as search does (one inner
// list), as a table otherwise.
func (c *cli) printHits(res []wire.Hit, title string) error {
	if c.json {
		return c.printJSON(wire.SearchResponse{Results: [][]wire.Hit{res}})
	}
	return c.printText(func(w io.Writer) {
		fprintf(w, "%s: %s\n", title, plural(len(res), "result"))
		if len(res) > 0 {
			fprintf(w, "RANK\tID\tDISTANCE\n")
		}
		for i, r := range res {
			fprintf(w, "%d\t%s\t%s\n", i+1, r.ID, formatFloat(r.Distance))
		}
	})
}
