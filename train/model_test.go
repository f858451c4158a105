package train

import (
	"context"
	"encoding/json"
	stderrors "errors"
	"strconv"
	"testing"

	"github.com/cockroachdb/errors"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train/traintest"
)

// affine is a test model: y = params[:out*in] x + params[out*in:].
type affine struct {
	in, out int
	p       []float32
}

func (a *affine) InDim() int  { return a.in }
func (a *affine) OutDim() int { return a.out }
func (a *affine) Embed(dst, src []float32) {
	for o := range a.out {
		s := a.p[a.out*a.in+o]
		for i, x := range src {
			s += a.p[o*a.in+i] * x
		}
		dst[o] = s
	}
}

func init() {
	modelDecoders["affine-test"] = func(config []byte, params []float32) (Embedder, error) {
		var c struct{ In, Out int }
		if err := json.Unmarshal(config, &c); err != nil {
			return nil, err
		}
		if len(params) != c.Out*c.In+c.Out {
			return nil, errors.Newf("%d parameters", len(params))
		}
		return &affine{in: c.In, out: c.Out, p: params}, nil
	}
}

// newAffine returns a model of in x out with parameters from a formula
// (more than one chunk of them when in*out is large).
func newAffine(in, out int) *Model {
	p := make([]float32, out*in+out)
	for i := range p {
		p[i] = float32(i%17-8) / 8
	}
	cfg, _ := json.Marshal(struct{ In, Out int }{in, out})
	return NewModel(ModelInfo{Kind: "affine-test", Config: cfg, Shape: Shape{H: in, W: 1, C: 1}, Lo: 0, Hi: 255, Normalize: true}, &affine{in: in, out: out, p: p}, p)
}

// TestEmbedCollection: the model's output for every record, with the
// record's ID and metadata, lands in the new collection, which records the
// model: it loads back (parameters spanning several rows, checksum
// verified) and embeds alike; a flipped parameter is an ErrCorruption
// error; replacing the collection with vectors no model made drops the
// model, and dropping the collection drops it too.
func TestEmbedCollection(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	const in, out, n = 40, 30, 1300 // 1,230 parameters: two rows
	if err := d.CreateCollection(db.Schema{Name: "src", Dim: in, Metric: db.L2, Fields: []db.Field{{Name: "label", Type: db.Keyword}}}); err != nil {
		t.Fatal(err)
	}
	b := d.NewBatch()
	for i := range n {
		v := make([]float32, in)
		for j := range v {
			v[j] = float32((i*7 + j*3) % 256)
		}
		if err := b.Put("src", strconv.Itoa(i), v, db.Meta{"label": strconv.Itoa(i % 10)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	b.Close()
	m := newAffine(in, out)
	got, err := EmbedCollection(ctx, d, "src", Output{DB: d, Collection: "emb", IndexAbove: -1}, db.L2, m, 2)
	if err != nil || got != n {
		t.Fatalf("EmbedCollection: %d, %v", got, err)
	}
	loaded, err := LoadModel(d, "emb")
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Kind != "affine-test" || loaded.In != in || loaded.Out != out || loaded.Shape != (Shape{H: in, W: 1, C: 1}) || loaded.Hi != 255 || !loaded.Normalize {
		t.Fatalf("loaded model info %+v", loaded.ModelInfo)
	}
	for _, id := range []string{"0", "7", "1299"} {
		src, err := d.Get("src", id)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := d.Get("emb", id)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, out)
		loaded.Embed(want, src.Vector)
		for i := range want {
			if want[i] != rec.Vector[i] {
				t.Fatalf("record %s: value %d is %g, the loaded model gives %g", id, i, rec.Vector[i], want[i])
			}
		}
		if rec.Meta["label"] != src.Meta["label"] {
			t.Fatalf("record %s: metadata %v, source %v", id, rec.Meta, src.Meta)
		}
	}
	if _, err := LoadModel(d, "src"); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("LoadModel of a collection no model made: %v, want ErrNotFound", err)
	}

	// A changed parameter: the checksum no longer matches.
	row, err := d.Get(ModelName("emb"), "1")
	if err != nil {
		t.Fatal(err)
	}
	row.Vector[3] += 1
	if err := d.Put(ModelName("emb"), "1", row.Vector, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModel(d, "emb"); !stderrors.Is(err, db.ErrCorruption) {
		t.Fatalf("LoadModel after a parameter changed: %v, want ErrCorruption", err)
	}

	// Vectors no model made replace the collection: its model goes.
	st, err := stage(ctx, Output{DB: d, Collection: "emb", IndexAbove: -1}, db.L2, 2, 1, func(int) (string, []float32, db.Meta) {
		return "x", []float32{1, 2}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := swapIn(d, st); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Collection(ModelName("emb")); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("the model outlived the vectors it made: %v", err)
	}
	// Dropping a collection drops its model.
	if _, err := EmbedCollection(ctx, d, "src", Output{DB: d, Collection: "emb2", IndexAbove: -1}, db.L2, m, 1); err != nil {
		t.Fatal(err)
	}
	if err := d.DropCollection("emb2"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Collection(ModelName("emb2")); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("the model outlived its collection: %v", err)
	}
	// A model of another input dimension is refused.
	if _, err := EmbedCollection(ctx, d, "src", Output{DB: d, Collection: "emb3"}, db.L2, newAffine(in+1, 3), 1); !errors.Is(err, db.ErrDimensionMismatch) {
		t.Fatalf("a model of the wrong input dimension: %v", err)
	}
}

// TestParseShape: shapes parse, print back and refuse nonsense.
func TestParseShape(t *testing.T) {
	for in, want := range map[string]Shape{"28x28x1": {28, 28, 1}, "32X32x3": {32, 32, 3}, "28x28": {28, 28, 1}} {
		got, err := ParseShape(in)
		if err != nil || got != want {
			t.Errorf("ParseShape(%q) = %v, %v", in, got, err)
		}
	}
	if (Shape{28, 28, 1}).String() != "28x28x1" {
		t.Error("String")
	}
	for _, bad := range []string{"", "28", "0x28x1", "axbxc", "28x28x1x1", "-1x2x3"} {
		if _, err := ParseShape(bad); !errors.Is(err, db.ErrInvalid) {
			t.Errorf("ParseShape(%q): %v, want ErrInvalid", bad, err)
		}
	}
}
