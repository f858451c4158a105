package train

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train/cnn"
)

// barImage draws an 8x8 grey image (values 0..255) with a bright bar:
// horizontal for class 0, vertical for class 1, at a random place.
func barImage(rng *rand.Rand, class int) []float32 {
	img := make([]float32, 64)
	for i := range img {
		img[i] = float32(rng.IntN(40))
	}
	at := 1 + rng.IntN(6)
	for j := range 8 {
		if class == 0 {
			img[at*8+j] = 255
		} else {
			img[j*8+at] = 255
		}
	}
	return img
}

// TestCNNCollection: vecdb train cnn's path. The embeddings of every
// record land in a cosine collection with the records' IDs and metadata,
// the network is stored with it (shape, pixel range, normalising inputs)
// and embeds new raw images near images of their class.
func TestCNNCollection(t *testing.T) {
	d := openDB(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	if err := d.CreateCollection(db.Schema{Name: "img", Dim: 64, Metric: db.L2, Fields: []db.Field{{Name: "label", Type: db.Keyword}}}); err != nil {
		t.Fatal(err)
	}
	const n = 400
	b := d.NewBatch()
	for i := range n {
		meta := db.Meta{"label": []string{"h", "v"}[i%2]}
		if i == 7 {
			meta = nil // no label: embedded, not trained on
		}
		if err := b.Put("img", strconv.Itoa(i), barImage(rng, i%2), meta); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	b.Close()
	opts := CNNOptions{Label: "label", Shape: Shape{H: 8, W: 8, C: 1},
		Net: cnn.Options{Dim: 8, Epochs: 4, Conv1: 4, Conv2: 8, Threads: 1, Seed: 3}}
	st, err := CNN(ctx, d, "img", Output{DB: d, Collection: "emb", IndexAbove: -1}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.Images != n-1 || st.Classes != 2 || st.Written != n || st.Lo != 0 || st.Hi != 255 {
		t.Fatalf("stats %+v", st)
	}
	s, err := d.Collection("emb")
	if err != nil || s.Dim != 8 || s.Metric != db.Cosine {
		t.Fatalf("output schema %+v, %v", s, err)
	}
	if rec, err := d.Get("emb", "7"); err != nil || rec.Meta["label"] != nil {
		t.Fatalf("the unlabelled record: %+v, %v", rec, err)
	}
	m, err := LoadModel(d, "emb")
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != "cnn" || m.Shape != opts.Shape || !m.Normalize || m.Hi != 255 || m.In != 64 || m.Out != 8 {
		t.Fatalf("stored model %+v", m.ModelInfo)
	}
	right := 0
	for i := range 40 {
		q := make([]float32, 8)
		m.Embed(q, barImage(rng, i%2))
		res, err := d.Search(ctx, "emb", &db.SearchRequest{Vector: q, K: 5, WithMeta: true})
		if err != nil {
			t.Fatal(err)
		}
		votes := 0
		for _, r := range res {
			if r.Meta["label"] == []string{"h", "v"}[i%2] {
				votes++
			}
		}
		if votes >= 3 {
			right++
		}
	}
	if right < 36 {
		t.Fatalf("%d of 40 new images had most of their 5 nearest embeddings in their class", right)
	}
	if _, err := CNN(ctx, d, "img", Output{DB: d, Collection: "x"}, CNNOptions{Label: "label", Shape: Shape{H: 4, W: 4, C: 1}}); !errors.Is(err, db.ErrDimensionMismatch) {
		t.Fatalf("a shape of the wrong size: %v", err)
	}
	if _, err := CNN(ctx, d, "img", Output{DB: d, Collection: "x"}, CNNOptions{Label: "nope", Shape: opts.Shape}); !errors.Is(err, db.ErrInvalid) {
		t.Fatalf("an unknown label field: %v", err)
	}
}
