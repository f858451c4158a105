package index

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
)

// TestDocCodesByList checks the build's grouping of codes: encoding
// vectors in doc-order batches into DocCodes and handing them out by list
// gives what appending them to Lists gives (docs in doc order within
// a list, the same codes and L2 terms), for every list.
func TestDocCodesByList(t *testing.T) {
	const n, dim, nlist = 3000, 8, 16
	vecs := vectest.Clustered(3, n, dim, 10, 0.4)
	sample := make([]float32, 0, n*dim)
	for _, v := range vecs {
		sample = append(sample, v...)
	}
	ivf, err := Train(context.Background(), sample, dim, quant.L2, TrainOptions{NList: nlist, M: 4, Seed: 1, Threads: 1})
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
	codes := ivf.NewDocCodes(n)
	want := ivf.NewLists()
	enc := ivf.NewEncoder(700, 2)
	for start := 0; start < n; start += 700 {
		end := min(start+700, n)
		batch := slices.Concat(vecs[start:end]...)
		if _, err := enc.EncodeTo(batch, docs[start:end], codes); err != nil {
			t.Fatal(err)
		}
		enc.EncodeToLists(batch, docs[start:end], want)
	}
	if codes.Room() != 0 {
		t.Fatalf("%d slots left", codes.Room())
	}
	if _, err := enc.EncodeTo(vecs[0], docs[:1], codes); err == nil {
		t.Fatal("EncodeTo past the capacity succeeded")
	}
	var written int
	lists := codes.ByList(ivf, func(w int) { written = w })
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

// TestBuildOptions checks the defaults and the validation of a build's
// knobs.
func TestBuildOptions(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		codec                    quant.CodecKind
		n, dim                   int
		lists, m, sample, nprobe int
	}{
		{"pq4fs 1M x 128", quant.KindPQ4FS, 1_000_000, 128, 1024, 64, 32768, 128},
		{"pq4fs 60k x 784", quant.KindPQ4FS, 60_000, 784, 256, 196, 20000, 32},
		{"pq4fs small", quant.KindPQ4FS, 1000, 10, 32, 5, 1000, 8},
		{"pq8 1M x 128", 0, 1_000_000, 128, 4096, 32, 131072, 256},
		{"pq8 60k x 784", quant.KindPQ8, 60_000, 784, 1024, 98, 32768, 64},
		{"pq8 small", quant.KindPQ8, 1000, 10, 128, 5, 1000, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := BuildOptions{Codec: tc.codec}
			o.Fill(tc.n, tc.dim)
			bits := 4
			if tc.codec != quant.KindPQ4FS {
				bits = 8
			}
			if o.Lists != tc.lists || o.M != tc.m || o.Sample != tc.sample || o.NProbe != tc.nprobe || o.Refine != 10 || o.NBits != bits {
				t.Fatalf("Fill(%d, %d) = %+v, want lists %d, M %d, sample %d, nprobe %d", tc.n, tc.dim, o, tc.lists, tc.m, tc.sample, tc.nprobe)
			}
			if err := o.Validate(tc.n, tc.dim); err != nil {
				t.Fatalf("defaults invalid: %v", err)
			}
		})
	}
	if o := DefaultBuildOptions(1000, 8); o.Codec != DefaultCodec {
		t.Fatalf("default codec %v", o.Codec)
	}
	if o := (BuildOptions{OPQ: true}); true {
		o.Fill(1000, 8)
		if o.Codec != quant.KindPQ8 {
			t.Fatalf("OPQ without a codec chose %v", o.Codec)
		}
	}
	bad := []func(o *BuildOptions){
		func(o *BuildOptions) { o.Codec, o.NBits, o.OPQ = quant.KindPQ4FS, 4, true },
		func(o *BuildOptions) { o.Codec, o.NBits, o.M = quant.KindPQ4FS, 4, 512 },
		func(o *BuildOptions) { o.M = 7 },
		func(o *BuildOptions) { o.NBits = 4 },
		func(o *BuildOptions) { o.Codec, o.NBits = quant.KindPQ4FS, 8 },
		func(o *BuildOptions) { o.Lists = 1 << 17 },
		func(o *BuildOptions) { o.Sample = 100 },
		func(o *BuildOptions) { o.Refine = -1 },
		func(o *BuildOptions) { o.Codec = 99 },
	}
	for i, mod := range bad {
		o := DefaultBuildOptions(10_000, 1024)
		mod(&o)
		if err := o.Validate(10_000, 1024); err == nil {
			t.Errorf("case %d: %+v validated", i, o)
		}
	}
}

// TestByListMatchesAppend: a build's codes, encoded in batches on two
// goroutines and grouped with ByList, are the lists that appending each
// code as it comes (Lists.Append) makes, for every codec. (ByList once
// packed a list into the buffer its codes were gathered in, which a codec
// reading its input while writing its output garbled.)
func TestByListMatchesAppend(t *testing.T) {
	for _, kind := range []quant.CodecKind{quant.KindPQ8, quant.KindPQ4FS, quant.KindRaBitQ} {
		const n, dim, nlist = 2000, 32, 16
		opts := TrainOptions{Codec: kind, NList: nlist, Seed: 1, M: 8}
		if kind == quant.KindRaBitQ {
			opts.M, opts.Bits = 0, 3
		}
		ivf, lists, data := trainTestOpts(t, quant.L2, opts, n, dim)
		dc := ivf.NewDocCodes(n)
		enc := ivf.NewEncoder(500, 2)
		docs := make([]uint32, n)
		for i := range docs {
			docs[i] = uint32(i)
		}
		for b := 0; b < n; b += 500 {
			if _, err := enc.EncodeTo(flatten(data[b:b+500]), docs[b:b+500], dc); err != nil {
				t.Fatal(err)
			}
		}
		next := dc.ByList(ivf, nil)
		for l := range nlist {
			d, c, terms := next(l)
			a := lists.List(l)
			// Terms are sums computed in another order: equal to rounding.
			if !slices.Equal(d, a.Docs) || !bytes.Equal(c, a.Codes) || !slices.EqualFunc(terms, a.Terms, func(x, y float32) bool {
				return math.Abs(float64(x-y)) <= 1e-5*math.Max(1, math.Abs(float64(y)))
			}) {
				t.Fatalf("%v list %d: ByList's docs, codes or terms differ from the appended list's (%v %v %v; %v vs %v)", kind, l,
					slices.Equal(d, a.Docs), bytes.Equal(c, a.Codes), slices.Equal(terms, a.Terms), terms[:min(3, len(terms))], a.Terms[:min(3, len(a.Terms))])
			}
		}
	}
}
