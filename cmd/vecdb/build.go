package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/wire"
)

// calibrationText says in one line what a calibration measured.
func calibrationText(cal *wire.Calibration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "recall@%d over %d of its own records (nprobe/refine: recall, us a query):", cal.K, cal.Queries)
	for _, p := range cal.Points {
		fmt.Fprintf(&b, " %d/%d: %.3f, %.0f;", p.NProbe, p.Refine, p.Recall, p.Micros)
	}
	refine := fmt.Sprintf("refine %d", cal.Refine)
	if cal.Refine == 0 {
		refine = "the codes alone (refine 0)"
	}
	if cal.TargetAchieved {
		fmt.Fprintf(&b, " target %.3f -> nprobe %d, %s", cal.Target, cal.NProbe, refine)
	} else {
		fmt.Fprintf(&b, " target %.3f not reached; nprobe %d, %s", cal.Target, cal.NProbe, refine)
	}
	return b.String()
}

func (c *cli) buildCommand() *cobra.Command {
	var o db.BuildOptions
	var codecBits int // the BITS of --codec rabitq:BITS (0: not given)
	cmd := &cobra.Command{
		Use:   "build COLL [--codec pq8|pq4fs|rabitq[:BITS]] [--target-recall R] [--pca D] [--lists N] [--m M] [--nbits 8] [--sample N] [--nprobe N] [--refine R] [--seed S] [--opq]",
		Short: "Train the IVF-PQ index of a collection and encode every record",
		Long: `Train an IVF-PQ index on a sample of COLL, encode every record into it and swap
it in atomically. Searches use the previous index (or exact search) until the
swap; a crash before it leaves the previous index serving. After a build,
records written are encoded at once, so they are searchable without a rebuild;
"vecdb stats COLL" says when a rebuild would pay.

--codec pq8 (the default) stores 8-bit PQ codes, M bytes each, scored by table
look-ups; pq4fs stores 4-bit codes, M/2 bytes each, in blocks of 32 scored
with 8-bit tables held in SIMD registers: several times faster to scan, with
coarser estimates that re-ranking corrects. rabitq[:BITS] (BITS 1 to 8, default
4) rotates each residual at random and stores BITS per dimension: its 1-bit
part is fast-scanned with an error bound, and only the codes the bound cannot
rule out are scored with all BITS, close enough to exact that "--refine 0"
(the codes alone, no raw vector read) reaches high recall at 4-8 bits. Up to
4,096 dimensions; --m does not apply.

Defaults (0 = default): --lists: the power of two nearest 4*sqrt(records);
--m: pq8 dim/8 (or dim/4, dim/2, dim) bytes per code, pq4fs dim/2 (sub-vectors
of 2, at most 256); --sample:
min(records, max(32*lists, 20000), 262144), and at most what half the --cache
budget holds (but never below the lists); --nprobe: lists/16 (at least 8)
(pq4fs, rabitq: lists/8, and lists from 1*sqrt(records)) and --refine 10
become the collection's search defaults.

--target-recall R (e.g. 0.95) measures the new index's recall@10 against exact
search on up to 200 of the collection's own records (each left out of its own
results), at nprobe 1, 2, 3, 4, 6, 8, ... until it passes R + 0.02, stores the
curve with the index ("vecdb stats" shows it) and makes the smallest nprobe
reaching R the search default; "vecdb search --target-recall R" picks from
the curve per search.

--pca D (1 to the dimension - 1) fits a PCA to D dimensions on the sample
and builds the index in that space (like FAISS's "PCA64,IVF..."): centroids
and codes are D-dimensional, queries and records are projected on the way
in, and re-ranking reads the raw vectors. With --refine 0 the distances are
estimated in the reduced space. L2 fits a centred PCA; cosine and dot an
uncentred one (it keeps inner products within the kept subspace). See
README.md for where it pays.

The build streams the records through the encoder into the index's vector
file: it holds the training sample, then the codes and one batch of records,
not the collection.`,
		Args: args(1, 1, "COLL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &wire.BuildRequest{Lists: o.Lists, M: o.M, NBits: o.NBits, Sample: o.Sample, NProbe: o.NProbe,
				Refine: o.Refine, Seed: o.Seed, OPQ: o.OPQ, TargetRecall: o.TargetRecall, PCA: o.PCA}
			if cmd.Flags().Changed("codec") {
				req.Codec = db.CodecSpec(o.Codec, codecBits)
			}
			var st wire.Build
			err := c.withBackend(openMode{memTable: indexWriteBuffer}, func(b backend) error {
				progress, done := c.encodingBar()
				var err error
				st, err = b.Build(cmd.Context(), args[0], req, progress)
				done()
				return err
			})
			if err != nil {
				return err
			}
			return c.printBuild(st)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Lists, "lists", 0, "number of IVF lists (0: default)")
	f.IntVar(&o.M, "m", 0, "PQ sub-quantisers (0: default)")
	f.IntVar(&o.NBits, "nbits", 0, "bits per sub-quantiser code: 8 for pq8, 4 for pq4fs (0: the codec's)")
	f.Var(codecFlag{&o.Codec, &codecBits}, "codec", "code format: pq8, pq4fs or rabitq[:BITS] (BITS 1 to 8 per dimension, default 4)")
	f.Float64Var(&o.TargetRecall, "target-recall", 0, "measure recall@10 on the collection's own records and make the smallest nprobe reaching this the default (0: off)")
	f.IntVar(&o.Sample, "sample", 0, "records to train on (0: default)")
	f.IntVar(&o.NProbe, "nprobe", 0, "default lists probed by searches (0: default)")
	f.IntVar(&o.Refine, "refine", 0, "default re-rank factor: k x refine candidates (0: default)")
	f.Uint64Var(&o.Seed, "seed", 1, "random seed for sampling and k-means")
	f.BoolVar(&o.OPQ, "opq", false, "learn an OPQ rotation before PQ (lower error on uneven data, slower training)")
	f.IntVar(&o.PCA, "pca", 0, "project vectors to this many dimensions by PCA (fitted on the sample) before the index (0: off)")
	return cmd
}

// buildingStage is the stage a build through a server reports: the
// server's job says how much of the whole build is done.
const buildingStage = "building"

// encodingBar returns a build progress callback that draws the encoding
// stage (or, through a server, the whole build) as a bar, and the function
// that finishes the bar.
func (c *cli) encodingBar() (func(stage string, done, total int), func()) {
	var bar *progressbar.ProgressBar
	progress := func(stage string, done, total int) {
		if (stage != "encoding" && stage != buildingStage) || total == 0 {
			return
		}
		if bar == nil {
			bar = c.progressBar(int64(total), stage)
		}
		if bar != nil {
			_ = bar.Set(done) // the bar is cosmetic
		}
	}
	return progress, func() {
		if bar != nil {
			_ = bar.Finish() // the bar is cosmetic
		}
	}
}

func (c *cli) compactCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "compact COLL",
		Short: "Rewrite a collection's index without the garbage of deleted and replaced records",
		Long: `Rewrite the index of COLL with its current quantisers (no training): every live
record is re-encoded into a new vector file, and the rows and codes of deleted
and replaced records, and the blocks of codes added since the build, are gone.
Swapped in atomically, like a build. vecdb does this by itself in the
background when a collection's garbage grows past its live data (see README);
this command does it now.`,
		Args: args(1, 1, "COLL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withDBOptions(false, false, indexWriteBuffer, func(d *db.DB) error {
				progress, done := c.encodingBar()
				st, err := d.Compact(cmd.Context(), args[0], &db.BuildOptions{Progress: progress})
				done()
				if err != nil {
					return err
				}
				if c.json {
					return c.printJSON(wire.Build{Collection: args[0], Codec: db.CodecSpec(st.Codec, st.Bits), Lists: st.Lists, M: st.M, PCA: st.PCA, CodeBytes: st.CodeBytes,
						Description: wire.IndexDescription(st.PCA, st.Lists, db.CodecSpec(st.Codec, st.Bits), st.M), Encoded: st.Encoded, CaughtUp: st.CaughtUp,
						NProbe: st.NProbe, Refine: st.Refine, EncodeSeconds: st.Encode.Seconds(), WriteSeconds: st.Write.Seconds()})
				}
				return c.printText(func(w io.Writer) {
					fprintf(w, "compacted the index of %q: %d records re-encoded (+%d written meanwhile) in %s\n", args[0], st.Encoded, st.CaughtUp, round(st.Encode+st.Write))
				})
			})
		},
	}
}

// migrateJSON is the JSON document migrate prints.
type migrateJSON struct {
	From      uint32   `json:"from"`
	To        uint32   `json:"to"`
	Rewritten []string `json:"rewritten"`
}

func (c *cli) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Upgrade a database written by an earlier release to this release's format",
		Long: `Upgrade the database to this release's format, explicitly: record the new format
version, then give every index an earlier release built a vector file (its
records re-encoded with the same quantisers). Every step is crash-safe, and
migrate can be run again after a failure. Readers of the earlier format cannot
open the result. Without migrating, an earlier release's database opens and
serves as it is; only index builds need the new format.`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withDBOptions(false, false, indexWriteBuffer, func(d *db.DB) error {
				ms, err := d.Migrate(cmd.Context(), nil)
				if err != nil {
					return err
				}
				if c.json {
					out := migrateJSON{From: ms.From, To: db.FormatVersion, Rewritten: ms.Rewritten}
					if out.Rewritten == nil {
						out.Rewritten = []string{}
					}
					return c.printJSON(out)
				}
				return c.printText(func(w io.Writer) {
					if ms.From == db.FormatVersion && len(ms.Rewritten) == 0 {
						fprintf(w, "the database is at format version %d already\n", db.FormatVersion)
						return
					}
					fprintf(w, "migrated from format version %d to %d; indexes rewritten with a vector file: %d %v\n", ms.From, db.FormatVersion, len(ms.Rewritten), ms.Rewritten)
				})
			})
		},
	}
}

// printBuild prints what a build did.
func (c *cli) printBuild(st wire.Build) error {
	if c.json {
		return c.printJSON(st)
	}
	return c.printText(func(w io.Writer) {
		fprintf(w, "built the index of %q: %s (codes of %d bytes a record), trained on %d records\n", st.Collection, wire.IndexDescription(st.PCA, st.Lists, st.Codec, st.M), st.CodeBytes, st.Sample)
		fprintf(w, "encoded %d records (+%d written during the build); train %s, encode %s, write %s\n",
			st.Encoded, st.CaughtUp, roundSeconds(st.TrainSeconds), roundSeconds(st.EncodeSeconds), roundSeconds(st.WriteSeconds))
		if st.Calibration != nil {
			fprintf(w, "calibrated in %s: %s\n", roundSeconds(st.Calibration.Seconds), calibrationText(st.Calibration))
		}
		fprintf(w, "search defaults: nprobe %d, refine %d\n", st.NProbe, st.Refine)
	})
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// roundSeconds is round of a duration in seconds.
func roundSeconds(s float64) time.Duration {
	return round(time.Duration(math.Round(s * float64(time.Second))))
}

// codecFlag parses --codec into a db.Codec and, for rabitq:BITS, the
// bits per dimension.
type codecFlag struct {
	c    *db.Codec
	bits *int
}

func (f codecFlag) String() string {
	if f.c == nil || *f.c == 0 {
		return "pq8"
	}
	return db.CodecSpec(*f.c, *f.bits)
}

func (f codecFlag) Set(s string) error {
	c, bits, err := db.ParseCodecSpec(s)
	if err != nil {
		return err
	}
	*f.c, *f.bits = c, bits
	return nil
}

func (f codecFlag) Type() string { return "codec" }
