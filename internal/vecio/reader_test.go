package vecio

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// readAll reads every record of data in format f, copying each, and returns
// them with the reader's final error and dimension.
func readAll(t testing.TB, data []byte, f Format) ([]Record, int, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), f)
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	var out []Record
	for r.Next() {
		rec := r.Record()
		out = append(out, Record{Row: rec.Row, ID: rec.ID, Vector: slices.Clone(rec.Vector), Meta: rec.Meta})
	}
	if r.Next() {
		t.Errorf("Next after the end returned true")
	}
	return out, r.Dim(), r.Err()
}

// mustReadAll is readAll that fails the test on an error.
func mustReadAll(t testing.TB, data []byte, f Format) []Record {
	t.Helper()
	recs, _, err := readAll(t, data, f)
	if err != nil {
		t.Fatalf("reading %s: %v", f, err)
	}
	return recs
}

// wantErr checks that err is non-nil and contains every one of substrs.
func wantErr(t testing.TB, err error, substrs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", substrs)
	}
	for _, s := range substrs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

// sameBits reports whether a and b hold bit-identical values.
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// checkRecords compares records read back with the IDs and vectors written.
func checkRecords(t testing.TB, got []Record, ids []string, vecs [][]float32) {
	t.Helper()
	if len(got) != len(vecs) {
		t.Fatalf("got %d records, want %d", len(got), len(vecs))
	}
	for i, rec := range got {
		if rec.ID != ids[i] {
			t.Errorf("record %d: ID = %q, want %q", i, rec.ID, ids[i])
		}
		if !sameBits(rec.Vector, vecs[i]) {
			t.Errorf("record %d: Vector = %v, want %v", i, rec.Vector, vecs[i])
		}
	}
}

// rowNumberIDs returns "0", "1", ..., the IDs of n rows of a binary format.
func rowNumberIDs(n int) []string {
	ids := make([]string, n)
	var g rowIDs
	for i := range ids {
		ids[i] = g.id(i)
	}
	return ids
}

// testVectors returns n deterministic vectors of dimension d with awkward
// values (negative, fractional, tiny, large).
func testVectors(n, d int) [][]float32 {
	vs := make([][]float32, n)
	for i := range vs {
		v := make([]float32, d)
		for j := range v {
			v[j] = float32(i*d+j)*0.37 - 11.25
			if j%5 == 3 {
				v[j] = float32(math.Ldexp(1.5, -20-j))
			}
			if j%7 == 6 {
				v[j] = 1e30 * float32(i+1)
			}
		}
		vs[i] = v
	}
	return vs
}

func TestRowIDs(t *testing.T) {
	var g rowIDs
	for _, i := range []int{0, 1, 9, 10, 1023, 1024, 5000, 3, 123456789} {
		if got, want := g.id(i), strconv.Itoa(i); got != want {
			t.Errorf("id(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestReadFullGrow(t *testing.T) {
	data := bytes.Repeat([]byte{7}, 200<<10)
	buf, err := readFullGrow(bytes.NewReader(data), nil, len(data))
	if err != nil || !bytes.Equal(buf, data) {
		t.Fatalf("readFullGrow = %d bytes, %v", len(buf), err)
	}
	// A declared size far beyond the input allocates about what the input
	// supplies, not the declared size.
	buf, err = readFullGrow(bytes.NewReader(data[:100]), nil, 1<<30)
	if err == nil || len(buf) != 100 || cap(buf) > 64<<10 {
		t.Fatalf("readFullGrow short = len %d cap %d err %v", len(buf), cap(buf), err)
	}
	buf, err = readFullGrow(bytes.NewReader(nil), nil, 8)
	if err == nil || len(buf) != 0 {
		t.Fatalf("readFullGrow empty = %d, %v", len(buf), err)
	}
}

func TestNewReaderUnknownFormat(t *testing.T) {
	_, err := NewReader(bytes.NewReader(nil), "parquet")
	wantErr(t, err, "unknown format", "parquet")
}
