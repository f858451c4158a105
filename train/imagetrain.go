package train

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/train/cnn"
)

func init() {
	modelDecoders["cnn"] = func(config []byte, params []float32) (Embedder, error) {
		var c cnn.Config
		if err := json.Unmarshal(config, &c); err != nil {
			return nil, errors.Wrap(err, "cnn configuration")
		}
		return cnn.New(c, params)
	}
}

// CNNOptions configure CNN.
type CNNOptions struct {
	// Label is the metadata field holding each image's class; images
	// without it are embedded but not trained on.
	Label string
	// Shape is the images' shape: the collection's dimension must be
	// H x W x C.
	Shape Shape
	// Net are the network's training options (embedding dimension,
	// epochs, threads, seed, progress).
	Net cnn.Options
}

// CNNStats report what CNN did.
type CNNStats struct {
	// Images is the number of labelled images trained on; Classes the
	// number of distinct labels.
	Images, Classes int
	// Lo and Hi are the range of the pixel values, which the model maps
	// to [0, 1].
	Lo, Hi float32
	// Train is the training's summary.
	Train cnn.Stats
	// Written is the number of records written into the output.
	Written int
}

// CNN trains a convolutional image embedding (see package cnn) on the
// images of collection from (raw pixel vectors of opts.Shape, classes in
// the field opts.Label) and writes every record's embedding, with its ID
// and metadata, into out.Collection (cosine; the embeddings have unit
// length), which records the network: vectors of the images' dimension
// searched or upserted there are embedded by it (see infer.Embedded). The
// images are held in memory as float32 while training (H x W x C x 4
// bytes each).
func CNN(ctx context.Context, d *db.DB, from string, out Output, opts CNNOptions) (CNNStats, error) {
	if out.DB == nil {
		out.DB = d
	}
	s, err := d.Collection(from)
	if err != nil {
		return CNNStats{}, err
	}
	if opts.Shape.Size() != s.Dim {
		return CNNStats{}, sentinel.Mark(errors.Newf("shape %s holds %d values; collection %q has dimension %d", opts.Shape, opts.Shape.Size(), from, s.Dim), db.ErrDimensionMismatch)
	}
	if _, ok := s.Field(opts.Label); !ok {
		return CNNStats{}, sentinel.Mark(errors.Newf("collection %q has no field %q to take labels from", from, opts.Label), db.ErrInvalid)
	}
	imgs, labels, names, err := readLabelled(ctx, d, from, opts.Label)
	if err != nil {
		return CNNStats{}, err
	}
	st := CNNStats{Images: len(labels), Classes: len(names)}
	if st.Images == 0 {
		return st, sentinel.Mark(errors.Newf("collection %q has no record with the field %q", from, opts.Label), db.ErrInvalid)
	}
	if st.Classes < 2 {
		return st, sentinel.Mark(errors.Newf("field %q of %q has %d distinct value(s); a classifier needs at least 2", opts.Label, from, st.Classes), db.ErrInvalid)
	}
	st.Lo, st.Hi = slices.Min(imgs), slices.Max(imgs)
	if !(st.Hi > st.Lo) || math.IsInf(float64(st.Hi-st.Lo), 0) {
		return st, sentinel.Mark(errors.Newf("the pixels of %q span [%g, %g]: nothing to learn from", from, st.Lo, st.Hi), db.ErrInvalid)
	}
	scale := 1 / (st.Hi - st.Lo)
	for i, v := range imgs {
		imgs[i] = (v - st.Lo) * scale
	}
	net, ts, err := cnn.Train(ctx, imgs, labels, st.Classes, cnn.Shape{H: opts.Shape.H, W: opts.Shape.W, C: opts.Shape.C}, opts.Net)
	if err != nil {
		return st, err
	}
	st.Train = ts
	imgs = nil // the embedding reads the images again, batch by batch
	cfg, err := json.Marshal(net.Config())
	if err != nil {
		return st, errors.Wrap(err, "encoding the network's configuration")
	}
	m := NewModel(ModelInfo{Kind: "cnn", Shape: opts.Shape, Lo: st.Lo, Hi: st.Hi, Normalize: true, Config: cfg}, net, net.Params())
	st.Written, err = EmbedCollection(ctx, d, from, out, db.Cosine, m, opts.Net.Threads)
	return st, err
}

// readLabelled reads the vectors of coll's records that have the field
// label, their labels as class indices, and the label values in class
// order (sorted).
func readLabelled(ctx context.Context, d *db.DB, coll, label string) (vecs []float32, classes []int32, names []string, err error) {
	n, err := d.Count(coll)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := d.Collection(coll)
	if err != nil {
		return nil, nil, nil, err
	}
	it, err := d.NewRecordIterator(coll)
	if err != nil {
		return nil, nil, nil, err
	}
	// Sized for every record up front: growing by appends would hold up
	// to twice the images while it copies.
	vecs = make([]float32, 0, int(n)*s.Dim)
	var keys []string
	for it.First(); it.Valid(); it.Next() {
		if len(keys)%4096 == 0 && ctx.Err() != nil {
			_ = it.Close() // the cancellation is the error to report
			return nil, nil, nil, ctx.Err()
		}
		rec := it.Record()
		v, ok := rec.Meta[label]
		if !ok {
			continue
		}
		keys = append(keys, fmt.Sprint(v))
		vecs = append(vecs, rec.Vector...)
	}
	if err := it.Close(); err != nil {
		return nil, nil, nil, err
	}
	names = slices.Clone(keys)
	slices.Sort(names)
	names = slices.Compact(names)
	classes = make([]int32, len(keys))
	for i, k := range keys {
		c, _ := slices.BinarySearch(names, k)
		classes[i] = int32(c)
	}
	return vecs, classes, names, nil
}
