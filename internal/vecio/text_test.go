package vecio

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
)

// textBytes writes vecs as "ID v1 ... vd" lines with separator sep and line
// ending eol, using the shortest float32 round-trip form.
func textBytes(ids []string, vecs [][]float32, sep, eol string) []byte {
	var b []byte
	for i, v := range vecs {
		b = append(b, ids[i]...)
		for _, x := range v {
			b = append(b, sep...)
			b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
		}
		b = append(b, eol...)
	}
	return b
}

func wordIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "w" + strconv.Itoa(i) + "é"
	}
	return ids
}

func TestTextRoundTrip(t *testing.T) {
	vecs := testVectors(200, 11)
	ids := wordIDs(200)
	for _, tc := range []struct{ name, sep, eol string }{
		{"space/LF", " ", "\n"},
		{"tab/CRLF", "\t", "\r\n"},
		{"mixed runs", " \t  ", "  \r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, dim, err := readAll(t, textBytes(ids, vecs, tc.sep, tc.eol), Text)
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, recs, ids, vecs)
			if dim != 11 || recs[5].Row != 6 {
				t.Errorf("Dim() = %d, Row = %d", dim, recs[5].Row)
			}
		})
	}
}

func TestTextHeaderBlankLinesAndLastLine(t *testing.T) {
	in := "\xef\xbb\xbf3 2\r\n\nthe 1 2\n   \n\t of 3\t4\r\nand -5 6e-3" // BOM, header, blanks, no final newline
	recs := mustReadAll(t, []byte(in), Text)
	checkRecords(t, recs, []string{"the", "of", "and"}, [][]float32{{1, 2}, {3, 4}, {-5, 6e-3}})
	if recs[0].Row != 3 || recs[1].Row != 5 || recs[2].Row != 6 {
		t.Errorf("rows = %d %d %d, want line numbers 3 5 6", recs[0].Row, recs[1].Row, recs[2].Row)
	}
	// "N D" only counts as a header on line 1.
	recs = mustReadAll(t, []byte("a 1 2\n5 3 4\n"), Text)
	checkRecords(t, recs, []string{"a", "5"}, [][]float32{{1, 2}, {3, 4}})
	// A single-value first line that is not all integers is data.
	recs = mustReadAll(t, []byte("7 0.5\n8 1.5\n"), Text)
	checkRecords(t, recs, []string{"7", "8"}, [][]float32{{0.5}, {1.5}})
}

func TestTextSpecialValues(t *testing.T) {
	recs := mustReadAll(t, []byte("x inf -Inf NaN 1e-50 -0\n"), Text)
	v := recs[0].Vector
	if !math.IsInf(float64(v[0]), 1) || !math.IsInf(float64(v[1]), -1) || !math.IsNaN(float64(v[2])) || v[3] != 0 || !math.Signbit(float64(v[4])) {
		t.Errorf("special values read as %v", v)
	}
}

func TestTextErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"wrong field count", "a 1 2 3\nb 1 2 3\n\nc 1 2\n", []string{"line 4:", "2 values, want 3"}},
		{"too many fields", "a 1 2\nb 1 2 3\n", []string{"line 2:", "3 values, want 2"}},
		{"bad number", "a 1 2\nb 1 x2\n", []string{"line 2:", "value 2", `"x2" is not a number`}},
		{"overflow", "a 1 1e39\n", []string{"line 1:", "value 2", "overflows float32"}},
		{"no values", "a 1\nlonely\n", []string{"line 2:", `no values after the ID "lonely"`}},
		{"header dim mismatch", "2 3\na 1 2\n", []string{"line 2:", "2 values, but the header on line 1 says 3"}},
		{"comma decimal", "a 1,5 2\n", []string{"line 1:", `"1,5" is not a number`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, []byte(tc.in), Text)
			wantErr(t, err, tc.want...)
		})
	}
}

func TestTextLongLine(t *testing.T) {
	// A line longer than the bufio buffer.
	d := readBufferSize/4 + 100
	v := make([]float32, d)
	for i := range v {
		v[i] = float32(i % 97)
	}
	in := textBytes([]string{"long", "next"}, [][]float32{v, v}, " ", "\n")
	recs := mustReadAll(t, in, Text)
	checkRecords(t, recs, []string{"long", "next"}, [][]float32{v, v})
}

func TestTextNoPerFieldAllocs(t *testing.T) {
	line := "word" + strings.Repeat(" -0.123456", 100) + "\n"
	data := bytes.Repeat([]byte(line), 3000)
	r, err := NewReader(bytes.NewReader(data), Text)
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	allocs := testing.AllocsPerRun(1000, func() {
		if !r.Next() {
			t.Fatal(r.Err())
		}
	})
	if allocs > 1 { // the ID string
		t.Errorf("%.1f allocations per line, want at most 1", allocs)
	}
}

func BenchmarkReadText(b *testing.B) {
	vecs := testVectors(5000, 100)
	data := textBytes(wordIDs(5000), vecs, " ", "\n")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), Text)
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
