package wordeval

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadAnalogies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    []Analogy
		wantErr string // substring of the error; "" for none
	}{
		{
			name: "empty",
			in:   "",
		},
		{
			name: "no sections",
			in:   "a b c d\nA B C D\n",
			want: []Analogy{
				{A: "a", B: "b", C: "c", D: "d", Line: 1},
				{A: "A", B: "B", C: "C", D: "D", Line: 2},
			},
		},
		{
			name: "sections",
			in:   ": capital-common-countries\nAthens Greece Baghdad Iraq\n: family\nboy girl brother sister\nboy girl dad mom",
			want: []Analogy{
				{Section: "capital-common-countries", A: "Athens", B: "Greece", C: "Baghdad", D: "Iraq", Line: 2},
				{Section: "family", A: "boy", B: "girl", C: "brother", D: "sister", Line: 4},
				{Section: "family", A: "boy", B: "girl", C: "dad", D: "mom", Line: 5},
			},
		},
		{
			name: "crlf blank lines tabs and comments",
			in:   "\uFEFF# comment\r\n\r\n:  gram1 \r\n a\tb  c d \r\n\r\n   \r\n# a b c\r\ne f g h\r\n",
			want: []Analogy{
				{Section: "gram1", A: "a", B: "b", C: "c", D: "d", Line: 4},
				{Section: "gram1", A: "e", B: "f", C: "g", D: "h", Line: 8},
			},
		},
		{
			name:    "three words",
			in:      ": s\na b c d\na b c\n",
			wantErr: "line 3: analogy question has 3 words, want 4",
		},
		{
			name:    "five words",
			in:      "a b c d\n\na b c d e\n",
			wantErr: "line 3: analogy question has 5 words, want 4",
		},
		{
			name:    "empty section",
			in:      "a b c d\n:\n",
			wantErr: "line 2: section line",
		},
		{
			name:    "line too long",
			in:      "a b c d\n" + strings.Repeat("x", MaxLineBytes+1) + "\n",
			wantErr: "line 2",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadAnalogies(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ReadAnalogies() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadAnalogies() error = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ReadAnalogies() = %+v, want %+v", got, tc.want)
			}
		})
	}
}
