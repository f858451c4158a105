package glove_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/vecdb/vecdb/train/glove"
	"github.com/vecdb/vecdb/train/text"
)

func ExampleTrain() {
	const lines = "the cat sat on the mat\nthe dog sat on the rug\nthe cat and the dog\n"
	corpus := &text.Corpus{
		Open:      func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(lines)), nil },
		Tokenizer: text.DefaultTokenizer(),
	}
	ctx := context.Background()
	vocab, err := text.BuildVocab(ctx, corpus, text.VocabOptions{MinCount: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := glove.Train(ctx, corpus, vocab, glove.Options{Dim: 8, Epochs: 20, Threads: 1, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	id, _ := vocab.ID("cat")
	fmt.Println(m.Len(), "words,", len(m.Vector(int(id))), "floats each")
	fmt.Println("cost fell:", m.Cost[len(m.Cost)-1] < m.Cost[0])
	// Output:
	// 8 words, 8 floats each
	// cost fell: true
}
