package main

import (
	"fmt"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/cnn"
	"github.com/vecdb/vecdb/train/reduce"
)

// cnnTrainJSON is the JSON document train cnn prints.
type cnnTrainJSON struct {
	Collection    string  `json:"collection"`
	Trainer       string  `json:"trainer"`
	From          string  `json:"from"`
	Images        int     `json:"images"`
	Classes       int     `json:"classes"`
	Dim           int     `json:"dim"`
	Epochs        int     `json:"epochs"`
	Loss          float64 `json:"loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	TrainSeconds  float64 `json:"train_seconds"`
	Written       int     `json:"written"`
}

func (c *cli) trainCNNCommand() *cobra.Command {
	var from, label, shape, coll string
	var o cnn.Options
	cmd := &cobra.Command{
		Use:   "cnn --from COLL --label FIELD --shape HxWxC --collection OUT [--dim 64] [--epochs N] [--threads T] [--seed 1]",
		Short: "Train a convolutional image embedding and write every image's embedding",
		Long: `Train a small convolutional network (two 3x3 convolutions with max pooling, then
a dense embedding of --dim values, trained through a classification head on
the labels) on the images of COLL: raw pixel vectors of --shape (H x W x C,
row-major, channels last), their classes in the metadata field --label (images
without it are embedded, not trained on). Every record's embedding (unit
length, cosine) is written, with its ID and metadata, into OUT, which stores
the network: vectors of the images' dimension searched or upserted there, and
"vecdb search OUT --image FILE", are embedded by it. The images are held in
memory while training (4 bytes a value). Deterministic with --threads 1 and a
seed.`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || label == "" || shape == "" || coll == "" {
				return errors.New("train cnn: --from, --label, --shape and --collection are required")
			}
			sh, err := train.ParseShape(shape)
			if err != nil {
				return errors.Wrap(err, "train cnn: --shape")
			}
			status := c.statusLine()
			o.Progress = func(p cnn.Progress) {
				status("cnn: epoch %d/%d  batch %d/%d  loss %.4f  accuracy %.3f  %.0f images/s", p.Epoch, p.Epochs, p.Batch, p.Batches, p.Loss, p.Accuracy, p.ImagesPerSec)
			}
			defer status("")
			var st train.CNNStats
			err = c.withDB(false, false, func(d *db.DB) error {
				st, err = train.CNN(cmd.Context(), d, from, train.Output{DB: d, Collection: coll}, train.CNNOptions{Label: label, Shape: sh, Net: o})
				return err
			})
			if err != nil {
				return errors.Wrap(err, "train cnn")
			}
			out := cnnTrainJSON{Collection: coll, Trainer: "cnn", From: from, Images: st.Images, Classes: st.Classes, Dim: o.Dim,
				Epochs: st.Train.Epochs, Loss: st.Train.Loss, TrainAccuracy: st.Train.TrainAccuracy, TrainSeconds: st.Train.Seconds, Written: st.Written}
			if c.json {
				return c.printJSON(out)
			}
			return c.write(fmt.Appendf(nil, "trained cnn on %d images of %q (%d classes): %d epochs in %s, loss %.4f, training accuracy %.3f; wrote %d embeddings of %d dims into %q\n",
				out.Images, from, out.Classes, out.Epochs, seconds(out.TrainSeconds), out.Loss, out.TrainAccuracy, out.Written, out.Dim, coll))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "collection of images (raw pixel vectors)")
	f.StringVar(&label, "label", "", "metadata field holding each image's class")
	f.StringVar(&shape, "shape", "", "image shape HxWxC, e.g. 28x28x1")
	f.StringVar(&coll, "collection", "", "collection to write (replaced atomically if it exists)")
	f.IntVar(&o.Dim, "dim", cnn.DefaultDim, "embedding dimension")
	f.IntVar(&o.Epochs, "epochs", 0, "passes over the images (0: 3, or as many as make 100 batches on a small set)")
	f.IntVar(&o.Threads, "threads", 0, "goroutines (0: all cores; 1 is deterministic with --seed)")
	f.Uint64Var(&o.Seed, "seed", 1, "random seed (weights, image order)")
	return cmd
}

// reduceTrainJSON is the JSON document train pca and train rp print.
type reduceTrainJSON struct {
	Collection        string  `json:"collection"`
	Trainer           string  `json:"trainer"`
	From              string  `json:"from"`
	Dim               int     `json:"dim"`
	Sampled           int     `json:"sampled,omitempty"`
	ExplainedVariance float64 `json:"explained_variance,omitempty"`
	FitSeconds        float64 `json:"fit_seconds"`
	Written           int     `json:"written"`
}

func (c *cli) trainReduceCommand(kind reduce.Kind) *cobra.Command {
	var from, coll string
	o := train.ReduceOptions{Kind: kind}
	use := "pca --from COLL --collection OUT --dim D [--whiten] [--sample N]"
	long := `Fit a principal component analysis on a sample of COLL (--sample records drawn
at random; all of them when COLL has fewer) and write every record's projection
onto the first --dim components, with its ID and metadata, into OUT (COLL's
metric), which stores the projection: vectors of COLL's dimension searched or
upserted there are projected first. --whiten divides each component by its
standard deviation.`
	if kind == reduce.RP {
		use = "rp --from COLL --collection OUT --dim D [--seed 1]"
		long = `Draw a Gaussian random projection to --dim dimensions (seeded) and write every
record's projection, with its ID and metadata, into OUT (COLL's metric), which
stores the projection: vectors of COLL's dimension searched or upserted there
are projected first. Squared distances are kept on average (Johnson-
Lindenstrauss); no fitting, so it is fast on any collection.`
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: map[reduce.Kind]string{reduce.PCA: "Reduce a collection's dimension by PCA", reduce.RP: "Reduce a collection's dimension by a random projection"}[kind],
		Long:  long,
		Args:  args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || coll == "" || o.Dim == 0 {
				return errors.Newf("train %s: --from, --collection and --dim are required", kind)
			}
			var st train.ReduceStats
			err := c.withDB(false, false, func(d *db.DB) (err error) {
				st, err = train.Reduce(cmd.Context(), d, from, train.Output{DB: d, Collection: coll}, o)
				return err
			})
			if err != nil {
				return errors.Wrapf(err, "train %s", kind)
			}
			out := reduceTrainJSON{Collection: coll, Trainer: string(kind), From: from, Dim: o.Dim, Sampled: st.Sampled,
				ExplainedVariance: st.ExplainedVariance, FitSeconds: st.Fit.Seconds(), Written: st.Written}
			if c.json {
				return c.printJSON(out)
			}
			what := "drew a random projection"
			if kind == reduce.PCA {
				what = fmt.Sprintf("fitted PCA on %d records (%.1f%% of their variance kept)", st.Sampled, 100*st.ExplainedVariance)
			}
			return c.write(fmt.Appendf(nil, "%s of %q to %d dims in %s; wrote %d records into %q\n",
				what, from, o.Dim, seconds(out.FitSeconds), out.Written, coll))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "collection to reduce")
	f.StringVar(&coll, "collection", "", "collection to write (replaced atomically if it exists)")
	f.IntVar(&o.Dim, "dim", 0, "output dimension (required)")
	f.IntVar(&o.Threads, "threads", 0, "goroutines (0: all cores)")
	if kind == reduce.PCA {
		f.BoolVar(&o.Whiten, "whiten", false, "divide each component by its standard deviation")
		f.IntVar(&o.Sample, "sample", train.DefaultReduceSample, "records to fit on")
	} else {
		f.Uint64Var(&o.Seed, "seed", 1, "random seed of the projection")
	}
	return cmd
}
