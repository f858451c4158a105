package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/wire"
)

// fieldList renders fields as "genre:keyword, year:int", or "-" for none.
func fieldList(fields []wire.Field) string {
	if len(fields) == 0 {
		return "-"
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Name + ":" + f.Type
	}
	return strings.Join(parts, ", ")
}

func (c *cli) createCommand() *cobra.Command {
	var (
		dim    int
		metric string
		fields []string
	)
	cmd := &cobra.Command{
		Use:   "create COLL --dim N [--metric l2|cosine|dot] [--field NAME:TYPE ...]",
		Short: "Create a collection",
		Long: `Create a collection of vectors of dimension --dim compared with --metric
(l2: squared Euclidean distance, cosine: 1 - cosine similarity, dot: minus the
inner product). Each --field declares a filterable metadata field NAME:TYPE with
TYPE one of keyword, keywords, int, float, bool. The database directory is
created if it does not exist.`,
		Args: args(1, 1, "COLL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("dim") {
				return errors.New("create: --dim is required")
			}
			if strings.HasPrefix(args[0], "~") {
				return errors.Newf("collection name %q: names starting with '~' are vecdb's own (staging, n-grams)", args[0])
			}
			s := db.Schema{Name: args[0], Dim: dim}
			m, err := db.ParseMetric(metric)
			if err != nil {
				return errors.Wrap(err, "create: --metric")
			}
			s.Metric = m
			for _, f := range fields {
				field, err := db.ParseField(f)
				if err != nil {
					return errors.Wrap(err, "create")
				}
				s.Fields = append(s.Fields, field)
			}
			var out wire.Schema
			err = c.withBackend(openMode{create: true}, func(b backend) (err error) {
				out, err = b.Create(cmd.Context(), s)
				return err
			})
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(out)
			}
			return c.write(fmt.Appendf(nil, "created collection %q (dim %d, metric %s, fields %s)\n",
				out.Name, out.Dim, out.Metric, fieldList(out.Fields)))
		},
	}
	cmd.Flags().IntVar(&dim, "dim", 0, "vector dimension (required)")
	cmd.Flags().StringVar(&metric, "metric", "l2", "distance: l2, cosine or dot")
	cmd.Flags().StringArrayVar(&fields, "field", nil, "metadata field NAME:TYPE (repeatable; TYPE: keyword, keywords, int, float, bool)")
	return cmd
}

func (c *cli) listCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the collections",
		Long: `List the collections with their dimension, metric, record count and fields.
JSON: {"collections":[{"name":..,"dim":..,"metric":..,"fields":[..],"count":N}, ...]}.`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out listJSON
			err := c.withBackend(readMode, func(b backend) (err error) {
				out.Collections, err = b.List(cmd.Context())
				return err
			})
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(out)
			}
			return c.printText(func(w io.Writer) { printList(w, out.Collections) })
		},
	}
}

// listJSON is the JSON document list prints.
type listJSON struct {
	Collections []listEntry `json:"collections"`
}

// listEntry is one collection of list: its schema and record count.
type listEntry struct {
	wire.Schema
	Count uint64 `json:"count"`
}

// printList writes one line per collection.
func printList(w io.Writer, colls []listEntry) {
	if len(colls) == 0 {
		fprintf(w, "no collections\n")
		return
	}
	fprintf(w, "NAME\tDIM\tMETRIC\tCOUNT\tFIELDS\n")
	for _, s := range colls {
		fprintf(w, "%s\t%d\t%s\t%d\t%s\n", s.Name, s.Dim, s.Metric, s.Count, fieldList(s.Fields))
	}
}

func (c *cli) dropCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "drop COLL",
		Short: "Delete a collection and all its records",
		Long:  `Delete a collection and all its records. JSON: {"dropped":"COLL"}.`,
		Args:  args(1, 1, "COLL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := c.withBackend(writeMode, func(b backend) error { return b.Drop(cmd.Context(), name) }); err != nil {
				return err
			}
			if c.json {
				return c.printJSON(map[string]string{"dropped": name})
			}
			return c.write(fmt.Appendf(nil, "dropped collection %q\n", name))
		},
	}
}
