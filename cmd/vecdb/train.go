package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/glove"
	"github.com/vecdb/vecdb/train/reduce"
	"github.com/vecdb/vecdb/train/text"
	"github.com/vecdb/vecdb/train/word2vec"
	"golang.org/x/term"
)

func (c *cli) trainCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train word2vec|fasttext|glove|als|bpr|item2vec|pca|rp|cnn ...",
		Short: "Train vectors and write them into collections",
		Long: `Train word vectors from a text corpus (word2vec, fasttext, glove) or user and
item vectors from interactions (als, bpr, item2vec), reduce a collection's
dimension (pca, rp) or embed images (cnn), and write them straight into
collections. Retraining into an existing collection replaces it
atomically: searches see the old vectors until the new ones are complete.`,
	}
	cmd.AddCommand(c.trainWord2VecCommand("word2vec"), c.trainWord2VecCommand("fasttext"), c.trainGloVeCommand())
	cmd.AddCommand(c.recsysTrainCommands()...)
	cmd.AddCommand(c.trainReduceCommand(reduce.PCA), c.trainReduceCommand(reduce.RP), c.trainCNNCommand())
	return cmd
}

// corpusFlags are the flags every word trainer shares.
type corpusFlags struct {
	corpus     []string
	collection string
	tokenizer  string
	keepCase   bool
	minCount   int
	maxVocab   int
	threads    int
	seed       uint64
}

func (f *corpusFlags) register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&f.corpus, "corpus", nil, "text file(s) or directories (of .txt/.txt.gz files), one sentence or paragraph per line; gzip/zstd detected")
	fs.StringVar(&f.collection, "collection", "", "collection to write (replaced atomically if it exists)")
	fs.StringVar(&f.tokenizer, "tokenizer", "letters", "letters: runs of letters; ascii: runs of a-z (like tr -c a-z ' '); space: white-space separated tokens")
	fs.BoolVar(&f.keepCase, "keep-case", false, "do not lower-case tokens")
	fs.IntVar(&f.minCount, "min-count", 5, "drop words seen fewer times")
	fs.IntVar(&f.maxVocab, "max-vocab", 0, "keep only this many most frequent words (0: all)")
	fs.IntVar(&f.threads, "threads", 0, "training threads (0: every core; 1 is deterministic under --seed)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed")
}

func (f *corpusFlags) input() (train.Corpus, error) {
	if len(f.corpus) == 0 || f.collection == "" {
		return train.Corpus{}, errors.New("--corpus and --collection are required")
	}
	split, err := text.ParseSplitMode(f.tokenizer)
	if err != nil {
		return train.Corpus{}, err
	}
	tc := &text.Corpus{Paths: f.corpus, Tokenizer: text.Tokenizer{Split: split, Lower: !f.keepCase}}
	if _, err := tc.Files(); err != nil {
		return train.Corpus{}, err
	}
	return train.Corpus{Text: tc, Vocab: text.VocabOptions{MinCount: f.minCount, MaxVocab: f.maxVocab}}, nil
}

func (f *corpusFlags) threadCount() int {
	if f.threads > 0 {
		return f.threads
	}
	return runtime.GOMAXPROCS(0)
}

// wordTrainJSON is the JSON document a word trainer prints.
type wordTrainJSON struct {
	Collection        string  `json:"collection"`
	Trainer           string  `json:"trainer"`
	Words             int     `json:"words"`
	Tokens            int64   `json:"tokens"`
	VocabTokens       int64   `json:"vocab_tokens"`
	Dim               int     `json:"dim"`
	Epochs            int     `json:"epochs"`
	Threads           int     `json:"threads"`
	VocabSeconds      float64 `json:"vocab_seconds"`
	TrainSeconds      float64 `json:"train_seconds"`
	WriteSeconds      float64 `json:"write_seconds"`
	WordsPerSec       float64 `json:"words_per_s,omitempty"`
	WordsPerSecThread float64 `json:"words_per_s_per_thread,omitempty"`
	Buckets           int     `json:"ngram_buckets,omitempty"`
}

func (c *cli) printWordTrain(out wordTrainJSON) error {
	if c.json {
		return c.printJSON(out)
	}
	return c.write(fmt.Appendf(nil, "trained %s on %d tokens (%d in the vocabulary): %d words x %d dims, %d epochs on %d threads in %s%s; wrote %q%s\n",
		out.Trainer, out.Tokens, out.VocabTokens, out.Words, out.Dim, out.Epochs, out.Threads,
		seconds(out.TrainSeconds), rate(out), out.Collection, ngrams(out)))
}

func seconds(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Millisecond).String()
}

func rate(o wordTrainJSON) string {
	if o.WordsPerSec == 0 {
		return ""
	}
	return fmt.Sprintf(" (%.0f words/s, %.0f per thread)", o.WordsPerSec, o.WordsPerSecThread)
}

func ngrams(o wordTrainJSON) string {
	if o.Buckets == 0 {
		return ""
	}
	return fmt.Sprintf(" and %d n-gram vectors beside it", o.Buckets)
}

func (c *cli) trainWord2VecCommand(name string) *cobra.Command {
	var cf corpusFlags
	o := word2vec.DefaultOptions()
	var arch string
	var sub word2vec.SubwordOptions
	cmd := &cobra.Command{
		Use:   name + " --corpus FILE --collection COLL [--dim 100 --window 5 --negative 5 --min-count 5 --sample 1e-3 --epochs 5 --model sg|cbow --threads N --seed 1]",
		Short: map[string]string{"word2vec": "Train word2vec (skip-gram or CBOW, negative sampling) word vectors", "fasttext": "Train fastText-style subword vectors (unseen words get vectors from their n-grams)"}[name],
		Long: `Train word vectors on a text corpus and write them into a collection (cosine
metric; ID = the word; metadata "count" and "rank", 0 = most frequent). Tokens
are runs of letters, lower-cased, unless --tokenizer/--keep-case say otherwise.
Progress goes to stderr on a terminal. With one thread and a seed the vectors
are the same run to run.` + map[string]string{"word2vec": "", "fasttext": `

fasttext adds character n-grams (--minn to --maxn runes of "<word>", hashed
into --buckets vectors, buckets x dim x 4 bytes of memory) to skip-gram: the
n-gram vectors go to an internal companion of COLL (not listed; dropped with
it), so "vecdb search COLL --id WORD" and "vecdb analogy" give words outside
the vocabulary a vector too.`}[name],
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := cf.input()
			if err != nil {
				return errors.Wrap(err, "train "+name)
			}
			if o.Arch, err = word2vec.ParseArch(arch); err != nil {
				return err
			}
			if name == "fasttext" {
				o.Subword = &sub
			}
			o.Threads, o.Seed = cf.threads, int64(cf.seed)
			status := c.statusLine()
			o.Progress = func(p word2vec.Progress) {
				status("epoch %d/%d %3.0f%%  %.0f words/s  alpha %.5f  loss %.4f", p.Epoch, o.Epochs,
					100*float64(p.Words)/float64(max(p.TotalWords, 1)), p.WordsPerSec, p.Alpha, p.Loss)
			}
			st, err := c.trainWords(cf.collection, status, func(out train.Output) (train.WordStats, error) {
				return train.Word2Vec(cmd.Context(), in, o, out)
			})
			if err != nil {
				return err
			}
			threads := cf.threadCount()
			return c.printWordTrain(wordTrainJSON{
				Collection: cf.collection, Trainer: name + " " + o.Arch.String(), Words: st.Words, Tokens: st.Tokens, VocabTokens: st.VocabTokens,
				Dim: o.Dim, Epochs: o.Epochs, Threads: threads, VocabSeconds: st.VocabTime.Seconds(), TrainSeconds: st.TrainTime.Seconds(),
				WriteSeconds: st.WriteTime.Seconds(), WordsPerSec: st.WordsPerSec, WordsPerSecThread: st.WordsPerSec / float64(threads), Buckets: st.Buckets,
			})
		},
	}
	f := cmd.Flags()
	cf.register(f)
	f.IntVar(&o.Dim, "dim", o.Dim, "vector dimension")
	f.IntVar(&o.Window, "window", o.Window, "largest distance between a word and its context words")
	f.IntVar(&o.Negative, "negative", o.Negative, "negative samples per positive one")
	f.Float64Var(&o.Sample, "sample", o.Sample, "frequent-word subsampling threshold (0: off; 1e-4 suits large corpora)")
	f.IntVar(&o.Epochs, "epochs", o.Epochs, "passes over the corpus")
	f.Float64Var(&o.Alpha, "alpha", 0, "starting learning rate (0: 0.025 for sg, 0.05 for cbow)")
	f.StringVar(&arch, "model", "sg", "sg (skip-gram) or cbow")
	if name == "fasttext" {
		f.IntVar(&sub.MinN, "minn", 3, "shortest character n-gram")
		f.IntVar(&sub.MaxN, "maxn", 6, "longest character n-gram")
		f.IntVar(&sub.Buckets, "buckets", 2000000, "n-gram hash buckets (memory: buckets x dim x 4 bytes)")
	}
	return cmd
}

func (c *cli) trainGloVeCommand() *cobra.Command {
	var cf corpusFlags
	o := glove.DefaultOptions()
	o.Threads = 0
	cmd := &cobra.Command{
		Use:   "glove --corpus FILE --collection COLL [--dim 100 --window 10 --epochs N --x-max 100 --min-count 5 --memory BYTES --threads N --seed 1]",
		Short: "Train GloVe word vectors (co-occurrence counts, weighted least squares with AdaGrad)",
		Long: `Count windowed, distance-weighted co-occurrences (spilling sorted runs to
--tmp when they outgrow --memory), then fit GloVe's weighted least squares with
AdaGrad and write W + W~ into a collection (cosine metric; ID = the word;
metadata "count" and "rank").`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := cf.input()
			if err != nil {
				return errors.Wrap(err, "train glove")
			}
			o.Threads, o.Seed = cf.threads, cf.seed
			status := c.statusLine()
			o.Progress = func(p glove.Progress) {
				switch p.Stage {
				case glove.StageTrain:
					status("glove: epoch %d/%d  cost %.5f  %d records  %s", p.Epoch, p.Epochs, p.Cost, p.Records, p.Elapsed.Round(time.Second))
				default:
					status("glove: %s  %d tokens  %d records  %d runs spilled  %s", p.Stage, p.Tokens, p.Records, p.Runs, p.Elapsed.Round(time.Second))
				}
			}
			st, err := c.trainWords(cf.collection, status, func(out train.Output) (train.WordStats, error) {
				return train.GloVe(cmd.Context(), in, o, out)
			})
			if err != nil {
				return err
			}
			return c.printWordTrain(wordTrainJSON{
				Collection: cf.collection, Trainer: "glove", Words: st.Words, Tokens: st.Tokens, VocabTokens: st.VocabTokens,
				Dim: o.Dim, Epochs: o.Epochs, Threads: cf.threadCount(), VocabSeconds: st.VocabTime.Seconds(), TrainSeconds: st.TrainTime.Seconds(),
				WriteSeconds: st.WriteTime.Seconds(),
			})
		},
	}
	f := cmd.Flags()
	cf.register(f)
	f.IntVar(&o.Dim, "dim", o.Dim, "vector dimension")
	f.IntVar(&o.Window, "window", o.Window, "co-occurrence window (each side)")
	f.IntVar(&o.Epochs, "epochs", o.Epochs, "passes over the co-occurrence records")
	f.Float64Var(&o.XMax, "x-max", o.XMax, "co-occurrence count where the weight reaches 1")
	f.Float64Var(&o.LearningRate, "lr", o.LearningRate, "AdaGrad initial learning rate")
	f.Int64Var(&o.MemoryBytes, "memory", o.MemoryBytes, "bytes of co-occurrence counts held in memory before spilling to disk")
	f.StringVar(&o.TempDir, "tmp", "", "directory for spilled counts (default: the system's)")
	return cmd
}

// trainWords opens the database and runs a word trainer into coll,
// clearing the status line afterwards.
func (c *cli) trainWords(coll string, status func(string, ...any), fit func(train.Output) (train.WordStats, error)) (st train.WordStats, err error) {
	err = c.withDB(false, true, func(d *db.DB) error {
		st, err = fit(train.Output{DB: d, Collection: coll})
		return err
	})
	status("")
	return st, err
}

// statusLine returns a function that shows a one-line status on stderr
// when stderr is a terminal (overwriting the previous one; an empty format
// clears it) and does nothing otherwise.
func (c *cli) statusLine() func(format string, args ...any) {
	f, ok := c.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func(string, ...any) {}
	}
	return func(format string, args ...any) {
		// The status line is cosmetic; a failed write is not an error.
		_, _ = fmt.Fprintf(f, "\r\x1b[K"+format, args...)
	}
}
