package main

import (
	"io"

	"github.com/cockroachdb/errors"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/recsys"
	"github.com/vecdb/vecdb/train/wordeval"
)

func (c *cli) evalCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval analogy|similarity|recsys|knn ...",
		Short: "Evaluate word vectors (analogy, similarity), a recommender (recsys) or labelled neighbourhoods (knn)",
	}
	cmd.AddCommand(c.evalAnalogyCommand(), c.evalSimilarityCommand(), c.evalRecsysCommand(), c.evalKNNCommand())
	return cmd
}

func (c *cli) evalAnalogyCommand() *cobra.Command {
	var coll, questions string
	var vocab int
	cmd := &cobra.Command{
		Use:   "analogy --collection COLL --questions FILE [--json]",
		Short: "Word-analogy accuracy (3CosAdd) of a word collection",
		Long: `Score a word collection on analogy questions in the questions-words.txt
layout ("a b c d" per line, optional ": section" lines): the answer to
"a is to b as c is to ?" is the word nearest (by cosine) to b - a + c among
the 30,000 most frequent words (by the "rank" field trainers store, else
insertion order), the three question words left out, looked up lower-cased.
"seen" counts the questions whose four words are all in that vocabulary;
accuracy = correct / seen.`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if coll == "" || questions == "" {
				return errors.New("eval analogy: --collection and --questions are required")
			}
			qs, e, err := loadEval(c, cmd, coll, questions, wordeval.ReadAnalogies)
			if err != nil {
				return err
			}
			res, err := wordeval.Analogies(cmd.Context(), e, qs, &wordeval.AnalogyOptions{Vocab: vocab})
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(res)
			}
			return c.printText(func(w io.Writer) {
				if len(res.SectionOrder) > 0 {
					fprintf(w, "SECTION\tCORRECT\tSEEN\tTOTAL\tACCURACY\n")
					for _, name := range res.SectionOrder {
						s := res.Sections[name]
						fprintf(w, "%s\t%d\t%d\t%d\t%.4f\n", name, s.Correct, s.Seen, s.Total, s.Accuracy)
					}
				}
				fprintf(w, "analogy accuracy %.4f: %d correct of %d seen (%d questions, %d with words outside the %d most frequent)\n",
					res.Accuracy, res.Correct, res.Seen, res.Total, res.Total-res.Seen, min(vocab, len(e.Words)))
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&coll, "collection", "", "word collection to score")
	f.StringVar(&questions, "questions", "", "analogy questions (questions-words.txt layout)")
	f.IntVar(&vocab, "vocab", wordeval.DefaultAnalogyVocab, "restrict candidates and questions to this many most frequent words")
	return cmd
}

func (c *cli) evalSimilarityCommand() *cobra.Command {
	var coll, pairs string
	cmd := &cobra.Command{
		Use:   "similarity --collection COLL --pairs FILE [--json]",
		Short: "Spearman correlation of cosine similarity with human scores",
		Long: `Score a word collection on a word-similarity set ("word1 word2 score" lines,
tab or space separated, # comments): Spearman's rho (average ranks for ties)
between the cosine similarity of each pair and its human score, over the pairs
whose two words are in the collection (looked up lower-cased).`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if coll == "" || pairs == "" {
				return errors.New("eval similarity: --collection and --pairs are required")
			}
			ps, e, err := loadEval(c, cmd, coll, pairs, wordeval.ReadPairs)
			if err != nil {
				return err
			}
			res, err := wordeval.Similarity(e, ps)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(res)
			}
			return c.printText(func(w io.Writer) {
				fprintf(w, "spearman %.4f over %d of %d pairs\n", res.Spearman, res.PairsFound, res.Total)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&coll, "collection", "", "word collection to score")
	f.StringVar(&pairs, "pairs", "", "word pairs with human scores")
	return cmd
}

// loadEval reads an evaluation file with parse and the word collection
// coll into memory.
func loadEval[T any](c *cli, cmd *cobra.Command, coll, path string, parse func(io.Reader) (T, error)) (T, *wordeval.Embedding, error) {
	v, err := readFile(path, parse)
	if err != nil {
		return v, nil, err
	}
	var e *wordeval.Embedding
	err = c.withDB(true, false, func(d *db.DB) error {
		e, err = train.LoadWords(cmd.Context(), d, coll)
		return err
	})
	return v, e, err
}

// readFile opens path (gzip or zstd by magic bytes) and parses it with
// parse.
func readFile[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := vecio.Open(path)
	if err != nil {
		return zero, err
	}
	v, err := parse(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return zero, errors.Wrapf(err, "reading %s", path)
	}
	return v, nil
}

// metricsJSON is one model's ranking metrics.
type metricsJSON struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	NDCG      float64 `json:"ndcg"`
	MAP       float64 `json:"map"`
}

// recsysEvalJSON is the JSON document of eval recsys.
type recsysEvalJSON struct {
	K int `json:"k"`
	metricsJSON
	Baseline     metricsJSON `json:"baseline"`
	Trainer      string      `json:"trainer"`
	Users        int         `json:"users"`
	TrainSeconds float64     `json:"train_seconds"`
}

func makeMetricsJSON(m recsys.Metrics) metricsJSON {
	return metricsJSON{Precision: m.Precision, Recall: m.Recall, NDCG: m.NDCG, MAP: m.MAP}
}

func (c *cli) evalRecsysCommand() *cobra.Command {
	var rf recsysFlags
	var path, trainer, split string
	var fraction float64
	var k int
	cmd := &cobra.Command{
		Use:   "recsys --interactions FILE --trainer als|bpr|item2vec|popularity [--test-fraction 0.2] [--split random|time] [--seed 1] [-k 10] [trainer flags] [--json]",
		Short: "Precision, recall, NDCG and MAP at k of a recommender on a held-out split",
		Long: `Hold out, for each user with at least 5 items, floor(test-fraction x n) of them
(at least 1; chosen by --seed, or the latest with --split time), train on the
rest in memory (no collections written), rank for each user the items outside
their training set, and score the top k against the held-out items: precision,
recall, NDCG (binary gains) and MAP at k, averaged over the evaluated users.
The popularity baseline (training counts) is scored on the same split.`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := readInteractions(path, rf.skipBad)
			if err != nil {
				return errors.Wrap(err, "eval recsys")
			}
			mode, err := recsys.ParseSplitMode(split)
			if err != nil {
				return err
			}
			tr, test, err := recsys.Split(in, fraction, mode, rf.seed)
			if err != nil {
				return err
			}
			rf.options()
			ctx := cmd.Context()
			start := now()
			var s recsys.Scorer
			switch trainer {
			case "als":
				s, err = recsys.TrainALS(ctx, tr, &rf.als)
			case "bpr":
				s, err = recsys.TrainBPR(ctx, tr, &rf.bpr)
			case "item2vec":
				s, err = recsys.TrainItem2Vec(ctx, tr, &rf.i2v)
			case "popularity":
				s = recsys.NewPopularity(tr)
			default:
				return errors.Newf("eval recsys: unknown --trainer %q (want als, bpr, item2vec or popularity)", trainer)
			}
			if err != nil {
				return err
			}
			took := now().Sub(start)
			got, err := recsys.Evaluate(ctx, s, tr, test, k)
			if err != nil {
				return err
			}
			base, err := recsys.Evaluate(ctx, recsys.NewPopularity(tr), tr, test, k)
			if err != nil {
				return err
			}
			out := recsysEvalJSON{K: k, metricsJSON: makeMetricsJSON(got), Baseline: makeMetricsJSON(base), Trainer: trainer, Users: got.Users, TrainSeconds: took.Seconds()}
			if c.json {
				return c.printJSON(out)
			}
			return c.printText(func(w io.Writer) {
				fprintf(w, "MODEL\tP@%d\tR@%d\tNDCG@%d\tMAP@%d\n", k, k, k, k)
				for _, row := range []struct {
					name string
					m    metricsJSON
				}{{trainer, out.metricsJSON}, {"popularity", out.Baseline}}[:map[bool]int{true: 1, false: 2}[trainer == "popularity"]] {
					fprintf(w, "%s\t%.4f\t%.4f\t%.4f\t%.4f\n", row.name, row.m.Precision, row.m.Recall, row.m.NDCG, row.m.MAP)
				}
				fprintf(w, "%d users evaluated; %s trained in %s\n", got.Users, trainer, seconds(took.Seconds()))
			})
		},
	}
	f := cmd.Flags()
	rf.register(f, "")
	f.StringVar(&path, "interactions", "", "interactions file")
	f.StringVar(&trainer, "trainer", "als", "als, bpr, item2vec or popularity")
	f.StringVar(&split, "split", "random", "random (by --seed) or time (the latest items held out)")
	f.Float64Var(&fraction, "test-fraction", 0.2, "fraction of each user's items held out")
	f.IntVarP(&k, "k", "k", 10, "cut-off")
	return cmd
}

// knnEvalJSON is the JSON document of eval knn.
type knnEvalJSON struct {
	K              int     `json:"k"`
	Queries        int     `json:"queries"`
	VoteAccuracy   float64 `json:"vote_accuracy"`
	LabelAgreement float64 `json:"label_agreement"`
	Skipped        int     `json:"skipped"`
}

func (c *cli) evalKNNCommand() *cobra.Command {
	var coll, queries, label string
	var k int
	cmd := &cobra.Command{
		Use:   "knn --collection OUT --queries DEST --label FIELD [-k 10] [--json]",
		Short: "kNN label accuracy: how well a collection's neighbourhoods predict a label field",
		Long: `For each record of the queries collection that has the label field (the
others are counted as skipped), find its k nearest records in the collection
by an exact search, a record with the query's own ID left out (so the two
may be the same collection). The vote is the most frequent label among them,
ties going to the label of the nearest of the tied; vote accuracy is the
share of queries whose vote equals their label, and label agreement the
share of all neighbours whose label equals their query's. The label field
must be declared, with the same type, in both collections.`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if coll == "" || queries == "" || label == "" {
				return errors.New("eval knn: --collection, --queries and --label are required")
			}
			var st train.KNNStats
			err := c.withDB(true, false, func(d *db.DB) error {
				bar, finish := c.knnBar()
				defer finish()
				var err error
				st, err = train.EvalKNN(cmd.Context(), d, coll, queries, label, k, bar)
				return err
			})
			if err != nil {
				return err
			}
			out := knnEvalJSON{K: st.K, Queries: st.Queries, VoteAccuracy: st.VoteAccuracy, LabelAgreement: st.LabelAgreement, Skipped: st.Skipped}
			if c.json {
				return c.printJSON(out)
			}
			return c.printText(func(w io.Writer) {
				fprintf(w, "knn vote accuracy %.4f, label agreement %.4f: %d queries, k %d (%d skipped without %q)\n",
					out.VoteAccuracy, out.LabelAgreement, out.Queries, out.K, out.Skipped, label)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&coll, "collection", "", "collection whose neighbourhoods are scored")
	f.StringVar(&queries, "queries", "", "collection of labelled query records (may be --collection itself)")
	f.StringVar(&label, "label", "", "label field, declared in both collections")
	f.IntVarP(&k, "k", "k", 10, "neighbours per query")
	return cmd
}

// knnBar returns an EvalKNN progress callback drawing the queries done as
// a bar on a terminal, and the function that finishes the bar.
func (c *cli) knnBar() (func(done, total int), func()) {
	var bar *progressbar.ProgressBar
	progress := func(done, total int) {
		if bar == nil && total > 0 {
			bar = c.progressBar(int64(total), "queries")
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
