package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/wire"
)

// searchOptions are the flags of search.
type searchOptions struct {
	vector       string
	id           string
	queries      string
	image        string
	from         string
	format       string
	k            int
	filter       string
	exact        bool
	nprobe       int
	refine       int
	targetRecall float64
	explain      bool
	withMeta     bool
	only         []string
	exclude      []string
}

// hitJSON is one search result in JSON.
type hitJSON = wire.Hit

func (c *cli) searchCommand() *cobra.Command {
	var o searchOptions
	cmd := &cobra.Command{
		Use:   "search COLL (--vector \"v1,v2,...\" | --id ID | --queries FILE | --image FILE) [-k 10] [--filter EXPR]",
		Short: "Find the nearest records to a vector, a record or each vector of a file",
		Long: `Find the k records of COLL nearest to the query, closest first. The query is
--vector (comma- or space-separated values), --id (the stored vector of that
record, which is left out of its own results) or --queries FILE (every vector of
an fvecs, bvecs, npy or text file, format from the name unless --format; searched
in parallel). --filter keeps only records whose metadata match, e.g.
  genre = "comedy" AND year >= 1990 AND NOT tags IN ("a","b")
When fewer than k records match, every match is returned. Equal distances are
ordered by insertion. Distances are smaller-is-closer: squared Euclidean (l2),
1 - cosine similarity (cosine) or minus the inner product (dot).

A collection produced by a model (vecdb train pca|rp|cnn, vecdb embed) also takes
queries of the model's input dimension, embedded by the model first, and an
image model's collection takes --image FILE (PNG or JPEG, converted to the
model's input shape and value range).

When the collection has an index (vecdb build), searches probe --nprobe lists and
re-rank k x --refine candidates with the raw vectors (defaults: the build's);
--exact scans every record instead. Without an index every search is exact.

JSON: {"results":[[{"id":"17","distance":0.42}, ...], ...]}, one inner list per
query in query order. --with-meta adds each record's metadata: "meta":{..} in
JSON, a META column of compact JSON in the table. --explain adds how each query was answered (strategy and
why, candidates and selectivity, lists probed and skipped, codes scored, vectors
re-ranked, time per stage): in JSON as "explain": [{...}, ...], one per query.`,
		Args: args(1, 1, "COLL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.runSearch(cmd, args[0], &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.vector, "vector", "", "query vector, e.g. \"0.1,0.2,0.3\"")
	f.StringVar(&o.id, "id", "", "search with the stored vector of this record (left out of the results)")
	f.StringVar(&o.queries, "queries", "", "file of query vectors (fvecs, bvecs, npy or text)")
	f.StringVar(&o.format, "format", "", "format of --queries (default: from the file name)")
	f.IntVarP(&o.k, "k", "k", db.DefaultK, "number of results per query")
	f.StringVar(&o.filter, "filter", "", "metadata filter expression")
	f.BoolVar(&o.exact, "exact", false, "exact search even when the collection has an index")
	f.IntVar(&o.nprobe, "nprobe", 0, "IVF lists to probe (0: the build's default)")
	f.StringSliceVar(&o.only, "only", nil, "search only these record IDs (comma-separated)")
	f.StringSliceVar(&o.exclude, "exclude", nil, "leave these record IDs out (comma-separated), e.g. items a user has")
	f.BoolVar(&o.withMeta, "with-meta", false, "add each result's metadata (JSON: \"meta\":{..}; text: a META column)")
	f.BoolVar(&o.explain, "explain", false, "show how each query was answered (strategy, candidates, lists, codes, time per stage)")
	f.IntVar(&o.refine, "refine", 0, "re-rank k x refine candidates with raw vectors (not given: the build's default; 0: answer from the codes alone, reading no raw vector, with estimated distances)")
	f.StringVar(&o.from, "from", "", "with --id: the collection holding that record (a record of the input dimension of the model that produced COLL is embedded by it); COLL's record with that ID is left out")
	f.StringVar(&o.image, "image", "", "query with a PNG or JPEG image, converted to the shape and value range of the model that produced COLL (vecdb train cnn) and embedded by it")
	f.Float64Var(&o.targetRecall, "target-recall", 0, "pick nprobe from the index's calibration: the smallest that measured at least this recall@10 (needs build --target-recall)")
	return cmd
}

func (c *cli) runSearch(cmd *cobra.Command, coll string, o *searchOptions) error {
	given := 0
	for _, name := range []string{"vector", "id", "queries", "image"} {
		if cmd.Flags().Changed(name) {
			given++
		}
	}
	if given != 1 {
		return errors.New("search: give exactly one of --vector, --id, --queries and --image")
	}
	if o.k < 1 || o.k > db.MaxK {
		return errors.Newf("search: -k %d: want 1 to %d", o.k, db.MaxK)
	}
	if cmd.Flags().Changed("id") && o.id == "" {
		// The wire request cannot tell an empty ID from none.
		return errors.New("search: give a query vector or a record ID")
	}
	req := &wire.SearchRequest{ID: o.id, K: o.k, Filter: o.filter, Exact: o.exact, NProbe: o.nprobe,
		Only: o.only, Exclude: o.exclude, TargetRecall: o.targetRecall, Explain: o.explain, WithMeta: o.withMeta}
	if cmd.Flags().Changed("refine") {
		req.Refine = &o.refine
	}
	if o.from != "" {
		if o.id == "" {
			return errors.New("search: --from names the collection of the record given by --id")
		}
		req.From = o.from
	}
	if cmd.Flags().Changed("vector") {
		var err error
		if req.Vector, err = parseVector(o.vector); err != nil {
			return err
		}
	}
	var out wire.SearchResponse
	err := c.withBackend(readMode, func(b backend) error {
		s, err := b.Schema(cmd.Context(), coll)
		if err != nil {
			return err
		}
		if o.image != "" {
			if req.Vector, err = readImageQuery(o.image, s); err != nil {
				return err
			}
		}
		if cmd.Flags().Changed("queries") {
			if req.Queries, err = readQueries(o.queries, o.format, s); err != nil || len(req.Queries) == 0 {
				out.Results = [][]wire.Hit{}
				return err
			}
		} else if req.Vector != nil && !queryDim(s, len(req.Vector)) {
			return sentinel.Mark(errors.Newf("--vector has %d values, collection %q has dimension %d%s",
				len(req.Vector), coll, s.Dim, modelInput(s)), db.ErrDimensionMismatch)
		}
		out, err = b.Search(cmd.Context(), coll, req)
		return err
	})
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(out)
	}
	return c.printText(func(w io.Writer) { printResults(w, &out, o) })
}

// printResults writes each query's results as a header line and a table
// of rank, ID and distance.
func printResults(w io.Writer, res *wire.SearchResponse, o *searchOptions) {
	for i, rs := range res.Results {
		if i > 0 {
			fprintf(w, "\n")
		}
		// A search returns k results whenever k records match, so fewer
		// means every match was returned.
		count := plural(len(rs), "result")
		if len(rs) < o.k {
			count += fmt.Sprintf(" (all that match; k is %d)", o.k)
		}
		switch {
		case o.id != "":
			fprintf(w, "query: record %q: %s\n", o.id, count)
		default:
			fprintf(w, "query %d: %s\n", i+1, count)
		}
		if i < len(res.Explain) {
			printPlan(w, &res.Explain[i])
		}
		if len(rs) == 0 {
			continue
		}
		printHitTable(w, rs, o.withMeta)
	}
}

// printHitTable writes results as a table of rank, ID, distance and, when
// meta is set, the metadata as compact JSON.
func printHitTable(w io.Writer, hits []wire.Hit, meta bool) {
	if meta {
		fprintf(w, "RANK\tID\tDISTANCE\tMETA\n")
	} else {
		fprintf(w, "RANK\tID\tDISTANCE\n")
	}
	for j, h := range hits {
		fprintf(w, "%d\t%s\t%s", j+1, h.ID, formatFloat(h.Distance))
		if meta {
			fprintf(w, "\t%s", compactJSON(h.Meta))
		}
		fprintf(w, "\n")
	}
}

// compactJSON renders metadata as one line of JSON, keys in order, with
// no HTML escaping ("Tom & Jerry" stays as it is).
func compactJSON(m map[string]any) string {
	if m == nil {
		return "{}"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return fmt.Sprintf("<%v>", err) // metadata read back from the store always encodes
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// plural returns "1 result", "2 results", ...
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// formatFloat renders x in the shortest form that reads back as the same
// float32.
func formatFloat(x float32) string {
	return strconv.FormatFloat(float64(x), 'g', -1, 32)
}

// parseVector parses a --vector value: numbers separated by commas and/or
// spaces, optionally in [brackets].
func parseVector(s string) ([]float32, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if len(fields) == 0 {
		return nil, errors.New("--vector is empty")
	}
	v := make([]float32, len(fields))
	for i, f := range fields {
		x, err := strconv.ParseFloat(f, 32)
		if err != nil {
			return nil, errors.Newf("--vector value %d: %q is not a float32 number", i+1, f)
		}
		v[i] = float32(x)
	}
	return v, nil
}

// readQueries reads every vector of a --queries file and checks its
// dimension against the collection's.
func readQueries(path, format string, s wire.Schema) (qs [][]float32, err error) {
	var f vecio.Format
	if format != "" {
		if f, err = vecio.ParseFormat(format); err != nil {
			return nil, errors.Wrap(err, "--format")
		}
	}
	r, err := vecio.OpenReader(path, f)
	if err != nil {
		return nil, errors.Wrap(err, "--queries")
	}
	defer func() { err = errors.CombineErrors(err, r.Close()) }()
	for r.Next() {
		rec := r.Record()
		if !queryDim(s, len(rec.Vector)) {
			return nil, sentinel.Mark(errors.Newf("--queries %s: row %d has %d values, collection %q has dimension %d%s",
				path, rec.Row, len(rec.Vector), s.Name, s.Dim, modelInput(s)), db.ErrDimensionMismatch)
		}
		qs = append(qs, slices.Clone(rec.Vector))
	}
	if err := r.Err(); err != nil {
		return nil, errors.Wrapf(err, "--queries %s", path)
	}
	return qs, nil
}

// printPlan writes one query's plan as a few lines.
func printPlan(w io.Writer, p *wire.Plan) {
	fprintf(w, "plan: %s (%s)\n", p.Strategy, p.Reason)
	fprintf(w, "  candidates %d (selectivity %.4g)", p.Candidates, p.Selectivity)
	if p.Strategy == "ivf" {
		fprintf(w, ", nprobe %d, budget %d: %d lists probed, %d skipped, %d codes scored (%d allowed", p.NProbe, p.Budget, p.ListsProbed, p.ListsSkipped, p.CodesScored, p.AllowedScored)
		if p.Rejected > 0 {
			fprintf(w, ", %d candidates refused by the filter", p.Rejected)
		}
		fprintf(w, "), %d re-ranked", p.Reranked)
		if p.BoundSkipped > 0 {
			fprintf(w, " (%d more ruled out by the codes' error bounds)", p.BoundSkipped)
		}
		if p.Widened > 0 || p.Deepened > 0 {
			fprintf(w, "; probed again %d times over more lists, %d keeping more candidates", p.Widened, p.Deepened)
		}
	} else {
		fprintf(w, ", %d rows scanned exactly", p.Reranked)
	}
	fprintf(w, "\n  time: filter %.3f ms, scan %.3f ms, re-rank %.3f ms, resolve %.3f ms\n",
		p.FilterMS, p.ScanMS, p.RerankMS, p.ResolveMS)
}

// queryDim reports whether a query of n values can search collection s:
// its dimension, or the input dimension of the model that produced it
// (the query is then embedded by the model first).
func queryDim(s wire.Schema, n int) bool {
	return n == s.Dim || (s.Model != nil && n == s.Model.In)
}

// modelInput names the input dimension of the model that produced s, for
// an error message ("" when none did).
func modelInput(s wire.Schema) string {
	if s.Model == nil {
		return ""
	}
	return fmt.Sprintf(" (or %d, the input of its %s model)", s.Model.In, s.Model.Kind)
}

// readImageQuery reads an --image for collection s: converted to the
// input shape and value range of the image model that produced s.
func readImageQuery(path string, s wire.Schema) ([]float32, error) {
	if s.Model == nil || s.Model.Shape == "" {
		return nil, errors.Newf("--image: collection %q was not produced by an image model (vecdb train cnn)", s.Name)
	}
	shape, err := train.ParseShape(s.Model.Shape)
	if err != nil {
		return nil, err
	}
	v, err := vecio.ReadImage(path, vecio.ImageShape{H: shape.H, W: shape.W, C: shape.C}, s.Model.Lo, s.Model.Hi)
	return v, errors.Wrap(err, "--image")
}
