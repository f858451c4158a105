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
	Count      uint64     `json:"count"`
	DiskBytes  uint64     `json:"disk_bytes"`
	Normalized bool       `json:"normalized"`
	Index      *indexJSON `json:"index,omitempty"`
}

// indexJSON is the index part of stats: shape, list balance and drift.
type indexJSON struct {
	Generation     uint32  `json:"generation"`
	Lists          int     `json:"lists"`
	M              int     `json:"m"`
	Codes          int     `json:"codes"`
	ListMin        int     `json:"list_min"`
	ListMax        int     `json:"list_max"`
	ListMean       float64 `json:"list_mean"`
	ListCV         float64 `json:"list_cv"`
	Built          uint64  `json:"built"`
	Added          uint64  `json:"added"`
	Drift          float64 `json:"drift"`
	NProbe         int     `json:"nprobe"`
	Refine         int     `json:"refine"`
	MemoryBytes    int64   `json:"memory_bytes"`
	Paged          bool    `json:"paged"`
	RebuildAdvised bool    `json:"rebuild_advised"`
	Advice         string  `json:"advice"`
}

func makeStatsJSON(st db.CollectionStats) statsJSON {
	out := statsJSON{
		schemaJSON: makeSchemaJSON(st.Schema),
		Count:      st.Count,
		DiskBytes:  st.DiskBytes,
		Normalized: st.Normalized,
	}
	if ix := st.Index; ix != nil {
		out.Index = &indexJSON{
			Generation: ix.Generation, Lists: ix.Lists, M: ix.M, Codes: ix.Codes,
			ListMin: ix.ListMin, ListMax: ix.ListMax, ListMean: ix.ListMean, ListCV: ix.ListCV,
			Built: ix.Built, Added: ix.Added, Drift: ix.Drift, NProbe: ix.NProbe, Refine: ix.Refine,
			MemoryBytes: ix.MemoryBytes, Paged: ix.Paged, RebuildAdvised: ix.RebuildAdvised, Advice: ix.Advice,
		}
	}
	return out
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
	ix := st.Index
	if ix == nil {
		fprintf(w, "index\tnone (searches are exact; vecdb build %s)\n", s.Name)
		return
	}
	paged := ""
	if ix.Paged {
		paged = " (paged: larger than the index memory bound)"
	}
	fprintf(w, "index\tIVF%d,PQ%d (generation %d), %d codes, %s in memory%s\n", ix.Lists, ix.M, ix.Generation, ix.Codes, humanBytes(uint64(ix.MemoryBytes)), paged)
	fprintf(w, "lists\tmin %d, max %d, mean %.1f, cv %.2f\n", ix.ListMin, ix.ListMax, ix.ListMean, ix.ListCV)
	fprintf(w, "since build\t%d built, %d added, drift %.2f\n", ix.Built, ix.Added, ix.Drift)
	fprintf(w, "defaults\tnprobe %d, refine %d\n", ix.NProbe, ix.Refine)
	fprintf(w, "advice\t%s\n", ix.Advice)
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
