package main

import (
	"fmt"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/cnn"
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
	f.IntVar(&o.Epochs, "epochs", cnn.DefaultEpochs, "passes over the images")
	f.IntVar(&o.Threads, "threads", 0, "goroutines (0: all cores; 1 is deterministic with --seed)")
	f.Uint64Var(&o.Seed, "seed", 1, "random seed (weights, image order)")
	return cmd
}
