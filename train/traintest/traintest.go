// Package traintest holds the test fixtures that the trainers' tests, the
// query-time helpers' tests and the command line's tests share: a
// database opened for a test and checked when it ends, a small planted
// text corpus with word2vec options sized for it, and tiny images with a
// planted class (and their PNG files).
package traintest

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train/text"
	"github.com/vecdb/vecdb/train/word2vec"
)

// OpenDB opens a database in a temporary directory (writes unsynced) and,
// when the test ends, checks its consistency and closes it.
func OpenDB(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(t.TempDir(), &db.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Check(); err != nil {
			t.Error(err)
		}
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// PlantedCorpus has countries and their capitals sharing contexts.
func PlantedCorpus() *text.Corpus {
	var b strings.Builder
	pairs := [][2]string{{"france", "paris"}, {"italy", "rome"}, {"spain", "madrid"}, {"japan", "tokyo"}}
	for i := range 400 {
		p := pairs[i%len(pairs)]
		fmt.Fprintf(&b, "the capital of %s is %s\n%s has %s as its capital city\n", p[0], p[1], p[0], p[1])
	}
	s := b.String()
	return &text.Corpus{Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }, Tokenizer: text.DefaultTokenizer()}
}

// W2VOptions are word2vec options sized for PlantedCorpus: small, one
// thread and a seed, so runs are deterministic.
func W2VOptions() word2vec.Options {
	o := word2vec.DefaultOptions()
	o.Dim, o.Window, o.Epochs, o.Threads, o.Seed, o.Sample = 16, 3, 20, 1, 1, 0
	return o
}

// BarImage draws an 8x8 grey image (values 0..255, row-major) with a
// bright bar at a random place over dim noise: horizontal for class 0,
// vertical for class 1.
func BarImage(rng *rand.Rand, class int) []float32 {
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

// WritePNG writes grey pixels (values 0..255, w x h, row-major) as a PNG
// file at path.
func WritePNG(t testing.TB, path string, pix []float32, w, h int) {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i, x := range pix {
		g.Pix[i] = uint8(x)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, g); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
