package wire

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/vecio"
)

// TestFloat32RoundTrip: a vector's float32 values, the awkward ones
// included, cross JSON and come back with the same bits.
func TestFloat32RoundTrip(t *testing.T) {
	in := Record{ID: "x", Vector: []float32{0.1, 1e-38, 1e-45, math.MaxFloat32, -math.MaxFloat32, float32(math.Copysign(0, -1)), 1.0000001, 16777217, -3.3333333}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Record
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for i, x := range in.Vector {
		if math.Float32bits(x) != math.Float32bits(out.Vector[i]) {
			t.Errorf("value %d: %g (%08x) came back as %g (%08x) from %s", i, x, math.Float32bits(x), out.Vector[i], math.Float32bits(out.Vector[i]), b)
		}
	}
}

// loadText runs Load over a text-format input with the given metadata
// lines, batches of size, into a sink that refuses a record whose ID is
// "bad" and records the batches it took.
func loadText(t *testing.T, text, meta string, size int) (n int, batches [][]Record, err error) {
	t.Helper()
	r, err := vecio.NewReader(strings.NewReader(text), vecio.Text)
	if err != nil {
		t.Fatal(err)
	}
	var ms *MetaSource
	if meta != "" {
		ms = &MetaSource{path: "meta.jsonl", of: "in.txt", r: vecio.NewMetaReader(strings.NewReader(meta))}
	}
	sink := func(_ context.Context, recs []Record) error {
		for i, rec := range recs {
			if rec.ID == "bad" {
				return &RecordError{Index: i, Err: errors.New("record \"bad\": refused")}
			}
		}
		batches = append(batches, append([]Record(nil), recs...))
		return nil
	}
	n, err = Load(context.Background(), r, ms, size, sink)
	return n, batches, err
}

// TestLoad: records reach the sink in batches of the asked size with
// their own copies of the vectors and their metadata lines; a record the
// sink refuses is named by its row, after the batches before it.
func TestLoad(t *testing.T) {
	n, batches, err := loadText(t, "a 1 2\nb 3 4\nc 5 6\n", "{\"g\":1}\n{\"g\":2}\n{\"g\":3}\n", 2)
	if err != nil || n != 3 || len(batches) != 2 || len(batches[0]) != 2 || len(batches[1]) != 1 {
		t.Fatalf("n %d, batches %v, err %v", n, batches, err)
	}
	if got := batches[0][1]; got.ID != "b" || got.Vector[0] != 3 || got.Vector[1] != 4 || got.Meta["g"] != json.Number("2") {
		t.Fatalf("second record %+v", got)
	}
	if got := batches[1][0]; got.ID != "c" || got.Vector[0] != 5 {
		t.Fatalf("third record %+v (the reader's buffer was not copied?)", got)
	}

	n, batches, err = loadText(t, "a 1 2\nb 3 4\nc 5 6\nbad 7 8\n", "", 2)
	if n != 2 || len(batches) != 1 || err == nil || !strings.Contains(err.Error(), "row 4") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("n %d, batches %d, err %v: want the first batch kept and row 4 named", n, len(batches), err)
	}

	for _, tc := range []struct{ meta, want string }{
		{"{}\n", "row 2: --meta meta.jsonl has only 1 lines"},
		{"{}\n{}\n{}\n", "line 3 has no record: in.txt has only 2 records"},
	} {
		if _, _, err := loadText(t, "a 1 2\nb 3 4\n", tc.meta, 10); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("meta %q: %v, want %q", tc.meta, err, tc.want)
		}
	}
	if _, _, err := loadText(t, "a 1 2\n", "", 0); err == nil {
		t.Error("batch size 0 accepted")
	}
}
