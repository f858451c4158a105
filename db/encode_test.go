package db

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
)

// TestDocCodesByList checks the build's grouping of codes: encoding
// vectors in doc-order batches into docCodes and handing them out by list
// gives what appending them to index.Lists gives (docs in doc order within
// a list, the same codes and L2 terms), for every list.
func TestDocCodesByList(t *testing.T) {
	const n, dim, nlist = 3000, 8, 16
	vecs := vectest.Clustered(3, n, dim, 10, 0.4)
	sample := make([]float32, 0, n*dim)
	for _, v := range vecs {
		sample = append(sample, v...)
	}
	ivf, err := index.Train(context.Background(), sample, dim, quant.L2, index.TrainOptions{NList: nlist, M: 4, Seed: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	docs := make([]uint32, n)
	doc := uint32(0)
	for i := range docs {
		doc += 1 + uint32(r.IntN(3))
		docs[i] = doc
	}
	codes := newDocCodes(n, ivf.CodeSize())
	want := ivf.NewLists()
	enc := newEncoder(ivf, 700, 2)
	for start := 0; start < n; start += 700 {
		end := min(start+700, n)
		batch := slices.Concat(vecs[start:end]...)
		enc.encodeTo(batch, docs[start:end], codes)
		enc.encode(batch, docs[start:end], want)
	}
	if codes.room() != 0 {
		t.Fatalf("%d slots left", codes.room())
	}
	var written int
	lists := codes.byList(ivf, func(w int) { written = w })
	for l := range nlist {
		gotDocs, gotCodes, gotTerms := lists(l)
		w := want.List(l)
		// Terms agree to rounding: a list's terms come from a table when it
		// has 256 codes or more, from decoding each code otherwise.
		close := slices.EqualFunc(gotTerms, w.Terms, func(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-4*max(1, math.Abs(float64(b))) })
		if !slices.Equal(gotDocs, w.Docs) || !bytes.Equal(gotCodes, w.Codes) || !close {
			t.Fatalf("list %d: %d docs, %d code bytes, %d terms; want %d, %d, %d", l, len(gotDocs), len(gotCodes), len(gotTerms), len(w.Docs), len(w.Codes), len(w.Terms))
		}
		if !slices.IsSorted(gotDocs) {
			t.Fatalf("list %d: docs out of order", l)
		}
	}
	if written > n {
		t.Fatalf("progress %d beyond %d", written, n)
	}
}
