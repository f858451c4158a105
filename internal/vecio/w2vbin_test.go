package vecio

import (
	"fmt"
	"testing"
)

// w2vBytes writes the word2vec binary format; newline says whether each
// vector is followed by '\n' (the C tool writes it, some writers do not).
func w2vBytes(header string, ids []string, vecs [][]float32, newline bool) []byte {
	b := []byte(header)
	for i, v := range vecs {
		b = append(b, ids[i]...)
		b = append(b, ' ')
		b = append(b, f32Bytes([][]float32{v})...)
		if newline {
			b = append(b, '\n')
		}
	}
	return b
}

func TestW2VBinRoundTrip(t *testing.T) {
	vecs := testVectors(300, 13)
	ids := wordIDs(300)
	ids[0] = "</s>"
	for _, newline := range []bool{true, false} {
		t.Run(fmt.Sprintf("newline=%v", newline), func(t *testing.T) {
			data := w2vBytes("300 13\n", ids, vecs, newline)
			recs, dim, err := readAll(t, data, W2VBin)
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, recs, ids, vecs)
			if dim != 13 || recs[299].Row != 300 {
				t.Errorf("Dim() = %d, last Row = %d", dim, recs[299].Row)
			}
		})
	}
	// CRLF header, trailing newlines after the last word.
	data := append(w2vBytes("2 13\r\n", ids, vecs[:2], true), "\n\n"...)
	checkRecords(t, mustReadAll(t, data, W2VBin), ids[:2], vecs[:2])
	// Zero words.
	if recs, dim, err := readAll(t, []byte("0 5\n"), W2VBin); err != nil || len(recs) != 0 || dim != 5 {
		t.Errorf("empty w2vbin: %d records, dim %d, %v", len(recs), dim, err)
	}
}

func TestW2VBinErrors(t *testing.T) {
	vecs := testVectors(3, 4)
	ids := []string{"a", "b", "c"}
	full := w2vBytes("3 4\n", ids, vecs, true)
	for _, tc := range []struct {
		name string
		data []byte
		want []string
	}{
		{"empty", nil, []string{"empty input"}},
		{"bad header", []byte("3 four\n"), []string{`header line "3 four" is not "N D"`}},
		{"header three fields", []byte("3 4 5\n"), []string{"is not \"N D\""}},
		{"zero dim", []byte("3 0\n"), []string{"dimension 0 out of range"}},
		{"huge dim", []byte("3 2000000\n"), []string{"dimension 2000000 out of range"}},
		{"truncated vector", full[:len(full)-3], []string{"row 3:", `word "c"`, "truncated (14 of 16 vector bytes)"}},
		{"truncated word", full[:len(full)-18], []string{"row 3:", `truncated in the word "c"`}},
		{"fewer words", w2vBytes("5 4\n", ids, vecs, true), []string{"row 4:", "truncated (the header says 5 words)"}},
		{"more words", w2vBytes("2 4\n", ids, vecs, true), []string{"row 3:", "continues after the 2 words"}},
		{"empty word", []byte("1 1\n \x00\x00\x00\x00"), []string{"row 1:", "empty word"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, tc.data, W2VBin)
			wantErr(t, err, tc.want...)
		})
	}
}
