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
	// VectorCacheBytes is the memory of the collection's rows held in
	// memory (records newer than its index's vector file).
	VectorCacheBytes int64      `json:"vector_cache_bytes"`
	IndexDamaged     string     `json:"index_damaged,omitempty"`
	Index            *indexJSON `json:"index,omitempty"`
	// Memory is what the process held after reading the statistics
	// (the same for every collection).
	Memory *memoryJSON `json:"memory,omitempty"`
}

// memoryJSON is db.MemoryStats: the process's budget, its shares and
// what each holds, in bytes.
type memoryJSON struct {
	Budget         int64 `json:"budget"`
	BlockCache     int64 `json:"block_cache"`
	BlockCacheUsed int64 `json:"block_cache_used"`
	MemTable       int64 `json:"memtable"`
	MemTableUsed   int64 `json:"memtable_used"`
	Rows           int64 `json:"rows"`
	RowsUsed       int64 `json:"rows_used"`
	Lists          int64 `json:"lists"`
	ListsUsed      int64 `json:"lists_used"`
	Bitmaps        int64 `json:"bitmaps"`
	BitmapsUsed    int64 `json:"bitmaps_used"`
	Mapped         int64 `json:"mapped"`
	MappedResident int64 `json:"mapped_resident"`
}

func makeMemoryJSON(m db.MemoryStats) *memoryJSON {
	return &memoryJSON{
		Budget: m.Budget, BlockCache: m.BlockCache, BlockCacheUsed: m.BlockCacheUsed,
		MemTable: m.MemTable, MemTableUsed: m.MemTableUsed, Rows: m.Rows, RowsUsed: m.RowsUsed,
		Lists: m.Lists, ListsUsed: m.ListsUsed, Bitmaps: m.Bitmaps, BitmapsUsed: m.BitmapsUsed,
		Mapped: m.Mapped, MappedResident: m.MappedResident,
	}
}

// indexJSON is the index part of stats: shape, list balance and drift.
type indexJSON struct {
	Generation      uint32           `json:"generation"`
	Codec           string           `json:"codec"`
	Lists           int              `json:"lists"`
	M               int              `json:"m"`
	CodeBytes       int              `json:"code_bytes"`
	Codes           int              `json:"codes"`
	ListMin         int              `json:"list_min"`
	ListMax         int              `json:"list_max"`
	ListMean        float64          `json:"list_mean"`
	ListCV          float64          `json:"list_cv"`
	Built           uint64           `json:"built"`
	Added           uint64           `json:"added"`
	Drift           float64          `json:"drift"`
	NProbe          int              `json:"nprobe"`
	Refine          int              `json:"refine"`
	VectorFile      bool             `json:"vector_file"`
	VectorFileRows  uint64           `json:"vector_file_rows"`
	VectorFileBytes int64            `json:"vector_file_bytes"`
	ListsWithBlocks int              `json:"lists_with_blocks"`
	Calibration     *calibrationJSON `json:"calibration,omitempty"`
	RebuildAdvised  bool             `json:"rebuild_advised"`
	Advice          string           `json:"advice"`
}

func makeStatsJSON(st db.CollectionStats) statsJSON {
	out := statsJSON{
		schemaJSON: makeSchemaJSON(st.Schema),
		Count:      st.Count,
		DiskBytes:  st.DiskBytes,
		Normalized: st.Normalized,

		VectorCacheBytes: st.VectorCacheBytes,
		IndexDamaged:     st.IndexDamaged,
	}
	if ix := st.Index; ix != nil {
		out.Index = &indexJSON{
			Generation: ix.Generation, Codec: db.CodecSpec(ix.Codec, ix.Bits), Lists: ix.Lists, M: ix.M, CodeBytes: ix.CodeBytes, Codes: ix.Codes,
			ListMin: ix.ListMin, ListMax: ix.ListMax, ListMean: ix.ListMean, ListCV: ix.ListCV,
			Built: ix.Built, Added: ix.Added, Drift: ix.Drift, NProbe: ix.NProbe, Refine: ix.Refine,
			VectorFile: ix.VectorFile, VectorFileRows: ix.VectorFileRows, VectorFileBytes: ix.VectorFileBytes,
			ListsWithBlocks: ix.ListsWithBlocks, RebuildAdvised: ix.RebuildAdvised, Advice: ix.Advice,
			Calibration: makeCalibrationJSON(ix.Calibration),
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
			var mem db.MemoryStats
			err := c.withDB(true, false, func(d *db.DB) error {
				names, err := collectionNames(d, args)
				if err != nil {
					return err
				}
				for _, name := range names {
					st, err := d.Stats(name)
					if err != nil {
						return err
					}
					stats = append(stats, st)
				}
				mem, err = d.Memory()
				return err
			})
			if err != nil {
				return err
			}
			if len(args) == 1 {
				if c.json {
					out := makeStatsJSON(stats[0])
					out.Memory = makeMemoryJSON(mem)
					return c.printJSON(out)
				}
				return c.printText(func(w io.Writer) { printStats(w, stats[0]); printMemory(w, mem) })
			}
			if c.json {
				out := struct {
					Collections []statsJSON `json:"collections"`
					Memory      *memoryJSON `json:"memory"`
				}{Collections: []statsJSON{}, Memory: makeMemoryJSON(mem)}
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
	fprintf(w, "index\tIVF%d,%s (generation %d), %d codes of %d bytes; %s\n", ix.Lists, codecLabel(ix.Codec, ix.M, ix.Bits), ix.Generation, ix.Codes, ix.CodeBytes, file)
	fprintf(w, "lists\tmin %d, max %d, mean %.1f, cv %.2f\n", ix.ListMin, ix.ListMax, ix.ListMean, ix.ListCV)
	fprintf(w, "since build\t%d built, %d added (in %d lists), drift %.2f\n", ix.Built, ix.Added, ix.ListsWithBlocks, ix.Drift)
	fprintf(w, "defaults\tnprobe %d, refine %d\n", ix.NProbe, ix.Refine)
	if ix.Calibration != nil {
		fprintf(w, "calibration\t%s\n", calibrationText(ix.Calibration))
	}
	fprintf(w, "advice\t%s\n", ix.Advice)
}

// printMemory writes what the process holds against its budget.
func printMemory(w io.Writer, m db.MemoryStats) {
	h := func(n int64) string { return humanBytes(uint64(n)) }
	fprintf(w, "memory\tbudget %s (--cache): block cache %s of %s, write buffers %s of 2 x %s, rows %s of %s, lists %s of %s, bitmaps %s of %s\n",
		h(m.Budget), h(m.BlockCacheUsed), h(m.BlockCache), h(m.MemTableUsed), h(m.MemTable), h(m.RowsUsed), h(m.Rows), h(m.ListsUsed), h(m.Lists), h(m.BitmapsUsed), h(m.Bitmaps))
	fprintf(w, "mapped\t%s of vector files, %s of it in the page cache (outside the budget)\n", h(m.Mapped), h(m.MappedResident))
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

// codecLabel names a codec with its sub-quantisers, in the index-factory
// style of the build's and stats' text: PQ32, PQ64x4fs.
func codecLabel(c db.Codec, m, bits int) string {
	if c == db.CodecRaBitQ {
		return fmt.Sprintf("RaBitQx%d", bits)
	}
	if c == db.CodecPQ4FS {
		return fmt.Sprintf("PQ%dx4fs", m)
	}
	return fmt.Sprintf("PQ%d", m)
}
