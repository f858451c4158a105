package train_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strings"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/text"
	"github.com/vecdb/vecdb/train/word2vec"
)

// Train word vectors from text straight into a collection, then search
// them: the capitals share their contexts, so they are each other's
// nearest words.
func Example() {
	dir, err := os.MkdirTemp("", "vecdb-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	d, err := db.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	var corpus strings.Builder
	for i := range 400 {
		c := [][2]string{{"france", "paris"}, {"italy", "rome"}, {"spain", "madrid"}, {"japan", "tokyo"}}[i%4]
		fmt.Fprintf(&corpus, "the capital of %s is %s\n%s has %s as its capital city\n", c[0], c[1], c[0], c[1])
	}
	in := train.Corpus{
		Text: &text.Corpus{
			Open:      func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(corpus.String())), nil },
			Tokenizer: text.DefaultTokenizer(),
		},
		Vocab: text.VocabOptions{MinCount: 1},
	}
	opts := word2vec.DefaultOptions()
	opts.Dim, opts.Window, opts.Epochs, opts.Sample, opts.Threads, opts.Seed = 16, 3, 20, 0, 1, 1
	st, err := train.Word2Vec(context.Background(), in, opts, train.Output{DB: d, Collection: "words"})
	if err != nil {
		log.Fatal(err)
	}
	res, err := d.Search(context.Background(), "words", &db.SearchRequest{ID: "paris", K: 3})
	if err != nil {
		log.Fatal(err)
	}
	var near []string
	for _, r := range res {
		near = append(near, r.ID)
	}
	slices.Sort(near)
	fmt.Println(st.Words, "words; nearest to paris:", near)
	// Output: 16 words; nearest to paris: [madrid rome tokyo]
}
