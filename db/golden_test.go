package db

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/vecdb/vecdb/internal/vectest"
)

var update = flag.Bool("update", false, "rewrite golden files in ../testdata")

// goldenEncodings returns every persisted encoding, by name, from fixed
// inputs. A change to any of them changes the on-disk format and needs a
// FormatVersion bump.
func goldenEncodings() map[string][]byte {
	s := Schema{Name: "docs", Dim: 3, Metric: Cosine, Fields: testSchema.Fields}
	e := catalogEntry{id: 7, schema: s}
	vals, err := normalizeMeta(&s, "id", Meta{"color": "red", "tags": []string{"b", "a"}, "year": -3, "price": 2.5, "sold": true})
	if err != nil {
		panic(err)
	}
	adds := roaring.BitmapOf(1, 2, 3, 1000, 70000)
	removes := roaring.BitmapOf(5)
	var keys bytes.Buffer
	for _, k := range [][]byte{
		keyFormat, keyNextColl, catalogKey("docs"), nextDocKey(7), liveKey(7),
		appendIDMapKey(nil, 7, "rec-1"), appendDocKey(nil, famDoc, 7, 42), appendDocKey(nil, famVec, 7, 42),
		appendFieldPrefix(nil, 7, 2, tagExists),
		appendSortableInt(appendFieldPrefix(nil, 7, 2, tagValue), -3),
		appendSortableFloat(appendFieldPrefix(nil, 7, 3, tagValue), -2.5),
		append(appendFieldPrefix(nil, 7, 0, tagValue), "red"...),
		appendSliceKey(appendFieldPrefix(nil, 7, 3, tagSlice), 63),
	} {
		fmt.Fprintf(&keys, "%x\n", k)
	}
	return map[string][]byte{
		"key":     keys.Bytes(),
		"catalog": e.encode(),
		"doc":     encodeDoc(nil, &s, "id", vals),
		"bitmap":  encodeBitmapDelta(adds, removes),
		"vector":  appendVector(nil, []float32{1, -0.5, 3e-7}),
	}
}

func TestGoldenEncodings(t *testing.T) {
	for name, got := range goldenEncodings() {
		text := []byte(hex.Dump(got))
		if name == "key" {
			text = got
		}
		vectest.CheckGolden(t, "db_"+name+".golden", text, *update)
	}
}

// goldenBytes returns the raw bytes of a golden file, for fuzz seeds.
func goldenBytes(t testing.TB, name string) []byte {
	return goldenEncodings()[name]
}

func FuzzDecodeDoc(f *testing.F) {
	f.Add(goldenBytes(f, "doc"))
	s := Schema{Name: "docs", Dim: 3, Metric: Cosine, Fields: testSchema.Fields}
	f.Fuzz(func(t *testing.T, b []byte) {
		id, vals, err := decodeDoc(&s, b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to the same bytes.
		if again := encodeDoc(nil, &s, id, vals); !bytes.Equal(again, b) {
			// Non-canonical varints decode but re-encode shorter; accept
			// only that difference.
			if _, vals2, err := decodeDoc(&s, again); err != nil || !sameMeta(vals, vals2) {
				t.Fatalf("re-encoding changed the record: %x -> %x", b, again)
			}
		}
	})
}

func FuzzDecodeCatalog(f *testing.F) {
	f.Add(goldenBytes(f, "catalog"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeCatalogEntry("x", b)
		if err != nil {
			return
		}
		if err := e.schema.Validate(); err != nil {
			t.Fatalf("decoded an invalid schema: %v", err)
		}
	})
}

func FuzzDecodeBitmap(f *testing.F) {
	f.Add(goldenBytes(f, "bitmap"))
	f.Add(encodeBitmapDelta(roaring.BitmapOf(), nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d bitmapDelta
		if err := d.decode(b); err != nil {
			return
		}
		// A decodable value merges with itself without error.
		m, err := bitmapMerger.Merge(nil, b)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.MergeNewer(b); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Finish(true); err != nil {
			t.Fatalf("merging a decodable value: %v", err)
		}
	})
}

// TestMergeOperatorAlgebra checks delta composition against applying the
// deltas one by one to a set.
func TestMergeOperatorAlgebra(t *testing.T) {
	ops := []struct{ adds, removes []uint32 }{
		{[]uint32{1, 2, 3}, nil},
		{[]uint32{4}, []uint32{2}},
		{nil, []uint32{1, 4}},
		{[]uint32{2, 9}, []uint32{3}},
	}
	want := roaring.New()
	var vals [][]byte
	for _, op := range ops {
		a, r := roaring.BitmapOf(op.adds...), roaring.BitmapOf(op.removes...)
		want.AndNot(r)
		want.Or(a)
		vals = append(vals, encodeBitmapDelta(a, r))
	}
	for split := range vals {
		// Merge newer-first from the split point, older-first before it,
		// as the storage engine may.
		m, err := bitmapMerger.Merge(nil, vals[split])
		if err != nil {
			t.Fatal(err)
		}
		for i := split + 1; i < len(vals); i++ {
			if err := m.MergeNewer(vals[i]); err != nil {
				t.Fatal(err)
			}
		}
		for i := split - 1; i >= 0; i-- {
			if err := m.MergeOlder(vals[i]); err != nil {
				t.Fatal(err)
			}
		}
		out, _, err := m.Finish(true)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeBitmapValue(out)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equals(want) {
			t.Errorf("split %d: merged %v, want %v", split, got.ToArray(), want.ToArray())
		}
	}
	// Partial merges (without the base) keep removals.
	m, _ := bitmapMerger.Merge(nil, vals[1])
	_ = m.MergeNewer(vals[2])
	out, _, _ := m.Finish(false)
	var d bitmapDelta
	if err := d.decode(out); err != nil || !d.removes.Contains(1) || !d.removes.Contains(2) {
		t.Fatalf("partial merge lost removals: %v", err)
	}
	if strings.Contains(fmt.Sprint(d.adds.ToArray()), "4") {
		t.Fatalf("partial merge kept an add that a newer delta removed")
	}
}
