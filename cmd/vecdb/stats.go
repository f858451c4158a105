package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
)

// statsJSON is one collection's statistics in JSON.
type statsJSON struct {
	schemaJSON
	Count      uint64 `json:"count"`
	DiskBytes  uint64 `json:"disk_bytes"`
	Normalized bool   `json:"normalized"`
}

func makeStatsJSON(st db.CollectionStats) statsJSON {
	return statsJSON{
		schemaJSON: makeSchemaJSON(st.Schema),
		Count:      st.Count,
		DiskBytes:  st.DiskBytes,
		Normalized: st.Normalized,
	}
}

func (c *cli) statsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "stats [COLL]",
		Short: "Print statistics of one collection or of all",
		Long: `Print a collection's schema, record count and estimated disk use, or, without
COLL, one line per collection.
JSON for one collection: {"name":..,"dim":..,"metric":..,"fields":[{"name":..,"type":..}],
"count":N,"disk_bytes":..,"normalized":bool} (normalized: vectors are stored
unit-normalised, as in cosine collections); without COLL: {"collections":[...]}.`,
		Args: args(0, 1, "[COLL]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var stats []db.CollectionStats
			err := c.withDB(true, false, func(d *db.DB) error {
				names := args
				if len(args) == 0 {
					schemas, err := d.Collections()
					if err != nil {
						return err
					}
					for _, s := range schemas {
						names = append(names, s.Name)
					}
				}
				for _, name := range names {
					st, err := d.Stats(name)
					if err != nil {
						return err
					}
					stats = append(stats, st)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if len(args) == 1 {
				if c.json {
					return c.printJSON(makeStatsJSON(stats[0]))
				}
				return c.printText(func(w io.Writer) { printStats(w, stats[0]) })
			}
			if c.json {
				out := struct {
					Collections []statsJSON `json:"collections"`
				}{Collections: []statsJSON{}}
				for _, st := range stats {
					out.Collections = append(out.Collections, makeStatsJSON(st))
				}
				return c.printJSON(out)
			}
			return c.printText(func(w io.Writer) { printStatsTable(w, stats) })
		},
	}
}

// printStats writes one collection's statistics as name/value lines.
func printStats(w io.Writer, st db.CollectionStats) {
	s := st.Schema
	fprintf(w, "name\t%s\n", s.Name)
	fprintf(w, "dim\t%d\n", s.Dim)
	fprintf(w, "metric\t%s\n", s.Metric)
	fprintf(w, "fields\t%s\n", fieldList(s.Fields))
	fprintf(w, "count\t%d\n", st.Count)
	fprintf(w, "normalized\t%t\n", st.Normalized)
	fprintf(w, "disk\t%s\n", humanBytes(st.DiskBytes))
}

// printStatsTable writes one line per collection.
func printStatsTable(w io.Writer, stats []db.CollectionStats) {
	if len(stats) == 0 {
		fprintf(w, "no collections\n")
		return
	}
	fprintf(w, "NAME\tDIM\tMETRIC\tCOUNT\tNORMALIZED\tFIELDS\tDISK\n")
	for _, st := range stats {
		s := st.Schema
		fprintf(w, "%s\t%d\t%s\t%d\t%t\t%s\t%s\n", s.Name, s.Dim, s.Metric, st.Count, st.Normalized, fieldList(s.Fields), humanBytes(st.DiskBytes))
	}
}

// humanBytes renders n as "532 B", "1.2 KiB", "3.4 MiB", ...
func humanBytes(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	x, unit := float64(n)/1024, 0
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	for x >= 1024 && unit < len(units)-1 {
		x /= 1024
		unit++
	}
	return fmt.Sprintf("%.1f %s", x, units[unit])
}
