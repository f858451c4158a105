package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/train"
)

// embedJSON is the JSON document embed prints.
type embedJSON struct {
	Collection string  `json:"collection"`
	With       string  `json:"with"`
	Model      string  `json:"model"`
	From       string  `json:"from,omitempty"`
	Images     string  `json:"images,omitempty"`
	Records    int     `json:"records"`
	Seconds    float64 `json:"seconds"`
}

func (c *cli) embedCommand() *cobra.Command {
	var with, from, images, dest string
	var threads int
	cmd := &cobra.Command{
		Use:   "embed --with OUT (--from COLL | --images DIR) --collection DEST",
		Short: "Apply the model that produced a collection to other records or to image files",
		Long: `Apply the model that produced collection OUT (vecdb train pca|rp|cnn) to every
record of COLL, keeping their IDs and metadata, or to every PNG or JPEG file in
DIR (ID = the file name without its extension; each image converted to the
model's input shape and value range), and write the results into DEST, created
or replaced atomically, which records the same model. DEST has OUT's metric.
JSON: {"collection":..,"with":..,"model":..,"records":N,"seconds":..}.`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if with == "" || dest == "" || (from == "") == (images == "") {
				return errors.New("embed: give --with, --collection and one of --from and --images")
			}
			start := time.Now()
			var out embedJSON
			err := c.withDB(false, false, func(d *db.DB) error {
				m, err := train.LoadModel(d, with)
				if err != nil {
					return err
				}
				s, err := d.Collection(with)
				if err != nil {
					return err
				}
				o := train.Output{DB: d, Collection: dest}
				var n int
				if from != "" {
					n, err = train.EmbedCollection(cmd.Context(), d, from, o, s.Metric, m, threads)
				} else {
					var recs []db.Record
					if recs, err = readImages(images, m); err != nil {
						return err
					}
					n, err = train.EmbedInputs(cmd.Context(), o, s.Metric, m, recs, threads)
				}
				out = embedJSON{Collection: dest, With: with, Model: m.Kind, From: from, Images: images, Records: n}
				return err
			})
			if err != nil {
				return err
			}
			out.Seconds = time.Since(start).Seconds()
			if c.json {
				return c.printJSON(out)
			}
			src := fmt.Sprintf("%q", from)
			if images != "" {
				src = "the images of " + images
			}
			return c.write(fmt.Appendf(nil, "embedded %d records of %s with the %s model of %q into %q in %s\n",
				out.Records, src, out.Model, with, dest, seconds(out.Seconds)))
		},
	}
	f := cmd.Flags()
	f.StringVar(&with, "with", "", "collection whose model to apply (made by vecdb train pca, rp or cnn)")
	f.StringVar(&from, "from", "", "collection whose records to embed")
	f.StringVar(&images, "images", "", "folder of PNG or JPEG files to embed")
	f.StringVar(&dest, "collection", "", "collection to write (created or replaced)")
	f.IntVar(&threads, "threads", 0, "goroutines (0: all cores)")
	return cmd
}

// readImages reads every PNG or JPEG file of dir, in name order, as a
// record of model m's input shape and value range.
func readImages(dir string, m *train.Model) ([]db.Record, error) {
	if m.Shape == (train.Shape{}) {
		return nil, errors.Newf("--images: the %s model takes vectors, not images", m.Kind)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Wrap(err, "--images")
	}
	var recs []db.Record
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || !slices.Contains([]string{".png", ".jpg", ".jpeg"}, ext) {
			continue
		}
		v, err := vecio.ReadImage(filepath.Join(dir, e.Name()), vecio.ImageShape{H: m.Shape.H, W: m.Shape.W, C: m.Shape.C}, m.Lo, m.Hi)
		if err != nil {
			return nil, errors.Wrap(err, "--images")
		}
		recs = append(recs, db.Record{ID: strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())), Vector: v})
	}
	if len(recs) == 0 {
		return nil, errors.Newf("--images %s: no PNG or JPEG file", dir)
	}
	return recs, nil
}
