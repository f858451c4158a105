package vecio

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestJSONLRoundTrip(t *testing.T) {
	vecs := testVectors(100, 7)
	ids := wordIDs(100)
	ids[1] = "quote\" back\\slash\ttab\x01ctl <html> é"
	metas := make([]map[string]any, 100)
	for i := range metas {
		if i%3 != 0 {
			metas[i] = map[string]any{"n": json.Number("12345678901234567890"), "f": json.Number("0.5"), "s": "x", "tags": []any{"a", "b"}, "ok": true}
		}
	}
	var buf bytes.Buffer
	w := NewJSONLWriter(&buf)
	for i := range vecs {
		if err := w.Write(ids[i], vecs[i], metas[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, dim, err := readAll(t, buf.Bytes(), JSONL)
	if err != nil {
		t.Fatal(err)
	}
	checkRecords(t, recs, ids, vecs)
	for i, rec := range recs {
		if !reflect.DeepEqual(rec.Meta, metas[i]) {
			t.Errorf("record %d: Meta = %#v, want %#v", i, rec.Meta, metas[i])
		}
		if rec.Row != i+1 {
			t.Errorf("record %d: Row = %d", i, rec.Row)
		}
	}
	if dim != 7 {
		t.Errorf("Dim() = %d", dim)
	}
}

func TestJSONLVariants(t *testing.T) {
	in := strings.Join([]string{
		`{"id": 17, "vector": [1, 2.5e0], "meta": null}`,
		``,
		`  {"vector":[ -0 , 3 ],"id":"b"}  `,
		`{"id": 1e3, "vector": [1E-2, 4]}` + "\r",
		`{"id": -5, "vector": [0,0], "meta": {"year": 1999, "w": 1.5}}`,
	}, "\n")
	recs := mustReadAll(t, []byte(in), JSONL)
	checkRecords(t, recs, []string{"17", "b", "1000", "-5"}, [][]float32{{1, 2.5}, {float32(math.Copysign(0, -1)), 3}, {0.01, 4}, {0, 0}})
	if recs[1].Row != 3 || recs[3].Row != 5 {
		t.Errorf("rows %d %d, want lines 3 and 5", recs[1].Row, recs[3].Row)
	}
	if recs[0].Meta != nil || recs[3].Meta["year"] != json.Number("1999") {
		t.Errorf("meta = %v, %v", recs[0].Meta, recs[3].Meta)
	}
}

func TestJSONLErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"missing vector", `{"id":"a","vector":[1]}` + "\n" + `{"id":"b"}`, []string{"line 2:", `missing "vector"`}},
		{"null vector", `{"id":"b","vector":null}`, []string{"line 1:", `missing "vector"`}},
		{"missing id", `{"vector":[1]}`, []string{"line 1:", `missing "id"`}},
		{"bool id", `{"id":true,"vector":[1]}`, []string{"line 1:", "id true is not a string or an integer"}},
		{"fractional id", `{"id":1.5,"vector":[1]}`, []string{"line 1:", "id 1.5 is not an integer"}},
		{"empty id", `{"id":"","vector":[1]}`, []string{"line 1:", "empty id"}},
		{"string value", `{"id":"a","vector":[1,"2"]}`, []string{"line 1:", "vector[1] is not a number"}},
		{"nested", `{"id":"a","vector":[[1]]}`, []string{"line 1:", "vector[0] is not a number"}},
		{"not array", `{"id":"a","vector":{"x":1}}`, []string{"line 1:", "vector is not an array"}},
		{"overflow", `{"id":"a","vector":[1e39]}`, []string{"line 1:", "vector[0]", "overflows float32"}},
		{"dim", `{"id":"a","vector":[1,2]}` + "\n\n" + `{"id":"b","vector":[1]}`, []string{"line 3:", "vector has 1 values, want 2"}},
		{"empty vector", `{"id":"a","vector":[]}`, []string{"line 1:", "dimension 0 out of range"}},
		{"bad json", `{"id":"a","vector":[1,]}`, []string{"line 1:", "invalid JSON"}},
		{"not object", `[1,2]`, []string{"line 1:", "not a JSON object"}},
		{"meta not object", `{"id":"a","vector":[1],"meta":[1]}`, []string{"line 1:", "meta", "not a JSON object"}},
		{"two objects", `{"id":"a","vector":[1]} {}`, []string{"line 1:", "invalid JSON"}},
		{"misspelt meta", `{"id":"a","vector":[1],"mata":{"x":1}}`, []string{"line 1:", `unknown key "mata"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, []byte(tc.in), JSONL)
			wantErr(t, err, tc.want...)
		})
	}
}

func TestJSONLWriterErrors(t *testing.T) {
	var buf bytes.Buffer
	w := NewJSONLWriter(&buf)
	if err := w.Write("a", []float32{1, float32(math.NaN())}, nil); err == nil {
		t.Error("writing NaN succeeded")
	}
	if err := w.Write("a", []float32{float32(math.Inf(1))}, nil); err == nil {
		t.Error("writing +Inf succeeded")
	}
	if err := w.Write("\xff", []float32{1}, nil); err == nil {
		t.Error("writing an invalid UTF-8 id succeeded")
	}
	if err := w.Write("a", []float32{1}, map[string]any{"f": func() {}}); err == nil {
		t.Error("writing unencodable meta succeeded")
	}
	if err := w.Flush(); err != nil || buf.Len() != 0 {
		t.Errorf("failed writes wrote %q, %v", buf.String(), err)
	}
}

// BenchmarkReadJSONL reads 5,000 records of 100 values with metadata.
func BenchmarkReadJSONL(b *testing.B) {
	var buf bytes.Buffer
	w := NewJSONLWriter(&buf)
	for i, v := range testVectors(5000, 100) {
		if err := w.Write(strconv.Itoa(i), v, map[string]any{"year": 1990 + i%30, "genre": "g"}); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), JSONL)
		if err != nil {
			b.Fatal(err)
		}
		for r.Next() {
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
}
