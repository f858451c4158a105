package wordeval_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vecdb/vecdb/train/wordeval"
)

func ExampleAnalogies() {
	// Three-dimensional toy vectors: royalty, gender, and a little noise.
	e := &wordeval.Embedding{
		Words: []string{"man", "woman", "king", "queen", "apple"},
		Dim:   3,
		Vectors: []float32{
			0, 1, 0.1,
			0, -1, 0.1,
			1, 1, 0.1,
			1, -1, 0.1,
			0.1, 0, 1,
		},
	}
	qs, err := wordeval.ReadAnalogies(strings.NewReader(": royalty\nMan King Woman Queen\nman woman king queen\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := wordeval.Analogies(context.Background(), e, qs, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(res) // an AnalogyResult always marshals
	fmt.Println(string(b))

	nb, err := wordeval.Analogy3CosAdd(e, "man", "king", "woman", 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("man:king :: woman:%s (%.2f)\n", nb[0].Word, nb[0].Score)
	// Output:
	// {"accuracy":1,"seen":2,"total":2,"sections":{"royalty":{"correct":2,"seen":2,"total":2,"accuracy":1}}}
	// man:king :: woman:queen (0.96)
}
