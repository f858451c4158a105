package vecio

import (
	"io"
	"strings"
	"testing"
)

func TestCSVRoundTrip(t *testing.T) {
	vecs := testVectors(100, 6)
	ids := wordIDs(100)
	ids[3] = `has "quotes", and a comma`
	var b strings.Builder
	b.WriteString("ID,a,b,c,d,e,f\r\n")
	for i, v := range vecs {
		line := string(textBytes([]string{"x"}, [][]float32{v}, ", ", "\r\n"))
		id := ids[i]
		if strings.ContainsAny(id, `",`) {
			id = `"` + strings.ReplaceAll(id, `"`, `""`) + `"`
		}
		b.WriteString(id + line[1:])
	}
	recs, dim, err := readAll(t, []byte(b.String()), CSV)
	if err != nil {
		t.Fatal(err)
	}
	checkRecords(t, recs, ids, vecs)
	if dim != 6 || recs[0].Row != 2 {
		t.Errorf("Dim() = %d, first Row = %d, want 6 and 2", dim, recs[0].Row)
	}
}

func TestCSVNoHeaderQuotedNumbersBOM(t *testing.T) {
	in := "\xef\xbb\xbfa,\" 1.5 \",2\n\nb,3,\t4\n"
	recs := mustReadAll(t, []byte(in), CSV)
	checkRecords(t, recs, []string{"a", "b"}, [][]float32{{1.5, 2}, {3, 4}})
	if recs[1].Row != 3 {
		t.Errorf("second Row = %d, want line 3", recs[1].Row)
	}
	// Only the first record can be a header.
	_, _, err := readAll(t, []byte("a,1\nid,2\n"), CSV)
	if err != nil {
		t.Errorf("an ID \"id\" after the first row: %v", err)
	}
}

func TestCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"wrong field count", "id,x,y\na,1,2\nb,1,2\nc,1\n", []string{"line 4:", "1 values, want 2"}},
		{"bad number", "a,1,2\nb,1,two\n", []string{"line 2:", "value 2", `"two" is not a number`}},
		{"empty value", "a,1,,2\n", []string{"line 1:", "value 2", `"" is not a number`}},
		{"only id", "a\n", []string{"line 1:", "no values after the ID"}},
		{"empty id", ",1,2\n", []string{"line 1:", "empty ID"}},
		{"bad quote", "a,1\nb,\"2\n", []string{"line 2", "extraneous or missing \" in quoted-field"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, []byte(tc.in), CSV)
			wantErr(t, err, tc.want...)
		})
	}
}

// endlessLine yields "id," then digits forever, with no newline.
type endlessLine struct{ started bool }

func (e *endlessLine) Read(p []byte) (int, error) {
	n := 0
	if !e.started {
		n = copy(p, "id,")
		e.started = true
	}
	for ; n < len(p); n++ {
		p[n] = '1'
	}
	return n, nil
}

// TestCSVLineLimit: a csv line longer than MaxLineBytes is an error naming
// it, read in bounded memory (encoding/csv would hold the whole line).
func TestCSVLineLimit(t *testing.T) {
	r, err := NewReader(io.MultiReader(strings.NewReader("a,1,2\n"), &endlessLine{}), CSV)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r.Next() {
		n++
	}
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "line 2: longer than") || n != 1 {
		t.Fatalf("after %d records: %v, want line 2 too long", n, err)
	}
}
