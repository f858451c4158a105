package main

import (
	"io"

	"github.com/spf13/cobra"
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
			var res wire.SearchResponse
			if err := c.withBackend(readMode, func(b backend) (err error) {
				res, err = b.Analogy(cmd.Context(), a[0], &wire.AnalogyRequest{A: a[1], B: a[2], C: a[3], K: k})
				return err
			}); err != nil {
				return err
			}
			return c.printHits(firstList(&res), a[2]+" - "+a[1]+" + "+a[3], false)
		},
	}
	cmd.Flags().IntVarP(&k, "k", "k", 10, "number of words")
	return cmd
}

// printHits prints one result list: in JSON as search does (one inner
// list), as a table otherwise.
// The table has a META column when meta is set.
func (c *cli) printHits(res []wire.Hit, title string, meta bool) error {
	if c.json {
		return c.printJSON(wire.SearchResponse{Results: [][]wire.Hit{res}})
	}
	return c.printText(func(w io.Writer) {
		fprintf(w, "%s: %s\n", title, plural(len(res), "result"))
		if len(res) > 0 {
			printHitTable(w, res, meta)
		}
	})
}

// firstList returns the first result list of a response (an empty one when
// it has none).
func firstList(r *wire.SearchResponse) []wire.Hit {
	if len(r.Results) == 0 {
		return []wire.Hit{}
	}
	return r.Results[0]
}
