package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/vecdb/vecdb/wire"
)

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
			var out wire.StatsList
			err := c.withBackend(readMode, func(b backend) (err error) {
				out, err = b.Stats(cmd.Context(), args)
				return err
			})
			if err != nil {
				return err
			}
			if len(args) == 1 {
				one := out.Collections[0]
				one.Memory = out.Memory
				if c.json {
					return c.printJSON(one)
				}
				return c.printText(func(w io.Writer) { printStats(w, &one); printMemory(w, one.Memory) })
			}
			if c.json {
				return c.printJSON(out)
			}
			return c.printText(func(w io.Writer) { printStatsTable(w, out.Collections) })
		},
	}
}

// printStats writes one collection's statistics as name/value lines.
func printStats(w io.Writer, st *wire.Stats) {
	s := st.Schema
	fprintf(w, "name\t%s\n", s.Name)
	fprintf(w, "dim\t%d\n", s.Dim)
	fprintf(w, "metric\t%s\n", s.Metric)
	fprintf(w, "fields\t%s\n", fieldList(s.Fields))
	fprintf(w, "count\t%d\n", st.Count)
	fprintf(w, "normalized\t%t\n", st.Normalized)
	fprintf(w, "disk\t%s\n", humanBytes(st.DiskBytes))
	ix := st.Index
	if st.IndexDamaged != "" {
		fprintf(w, "index\tDAMAGED: %s (searches fail; vecdb build %s rebuilds it)\n", st.IndexDamaged, s.Name)
		return
	}
	if ix == nil {
		fprintf(w, "index\tnone (searches are exact; vecdb build %s)\n", s.Name)
		return
	}
	file := "no vector file (built by an earlier release: lists and rows are read from the store; vecdb migrate writes one)"
	if ix.VectorFile {
		file = fmt.Sprintf("vector file of %d rows, %s", ix.VectorFileRows, humanBytes(uint64(ix.VectorFileBytes)))
	}
	fprintf(w, "index\t%s (generation %d), %d codes of %d bytes; %s\n", wire.IndexDescription(ix.PCA, ix.Lists, ix.Codec, ix.M), ix.Generation, ix.Codes, ix.CodeBytes, file)
	fprintf(w, "lists\tmin %d, max %d, mean %.1f, cv %.2f\n", ix.ListMin, ix.ListMax, ix.ListMean, ix.ListCV)
	fprintf(w, "since build\t%d built, %d added (in %d lists), drift %.2f\n", ix.Built, ix.Added, ix.ListsWithBlocks, ix.Drift)
	fprintf(w, "defaults\tnprobe %d, refine %d\n", ix.NProbe, ix.Refine)
	if ix.Calibration != nil {
		fprintf(w, "calibration\t%s\n", calibrationText(ix.Calibration))
	}
	fprintf(w, "advice\t%s\n", ix.Advice)
}

// printMemory writes what the process holds against its budget (nothing
// when m is nil).
func printMemory(w io.Writer, m *wire.Memory) {
	if m == nil {
		return
	}
	h := func(n int64) string { return humanBytes(uint64(n)) }
	fprintf(w, "memory\tbudget %s (--cache): block cache %s of %s, write buffers %s of 2 x %s, rows %s of %s, lists %s of %s, bitmaps %s of %s\n",
		h(m.Budget), h(m.BlockCacheUsed), h(m.BlockCache), h(m.MemTableUsed), h(m.MemTable), h(m.RowsUsed), h(m.Rows), h(m.ListsUsed), h(m.Lists), h(m.BitmapsUsed), h(m.Bitmaps))
	fprintf(w, "mapped\t%s of vector files, %s of it in the page cache (outside the budget)\n", h(m.Mapped), h(m.MappedResident))
}

// printStatsTable writes one line per collection.
func printStatsTable(w io.Writer, stats []wire.Stats) {
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
