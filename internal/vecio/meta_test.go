package vecio

import (
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestMetaReader(t *testing.T) {
	m := NewMetaReader(strings.NewReader("{\"label\": 3, \"name\": \"Dress\"}\r\n{}\n  {\"x\": [1.5]}"))
	want := []map[string]any{
		{"label": json.Number("3"), "name": "Dress"},
		{},
		{"x": []any{json.Number("1.5")}},
	}
	for i, w := range want {
		got, err := m.Next()
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("line %d = %#v, want %#v", i+1, got, w)
		}
		if m.Line() != i+1 {
			t.Errorf("Line() = %d, want %d", m.Line(), i+1)
		}
	}
	if _, err := m.Next(); err != io.EOF {
		t.Errorf("after the last line: %v, want io.EOF", err)
	}
}

func TestMetaReaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"blank line", "{}\n\n{}\n", []string{"line 2:", "blank line"}},
		{"whitespace line", "{}\n \t\r\n", []string{"line 2:", "blank line"}},
		{"array", "{}\n{}\n[1]\n", []string{"line 3:", "not a JSON object"}},
		{"null", "null\n", []string{"line 1:", "not a JSON object"}},
		{"bad json", "{\"a\":}\n", []string{"line 1:", "invalid JSON"}},
		{"trailing", "{} 1\n", []string{"line 1:", "text after the object"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMetaReader(strings.NewReader(tc.in))
			var err error
			for err == nil {
				_, err = m.Next()
			}
			if err == io.EOF {
				t.Fatalf("no error, want %q", tc.want)
			}
			wantErr(t, err, tc.want...)
			if _, err2 := m.Next(); err2 != err {
				t.Errorf("error is not sticky: %v then %v", err, err2)
			}
		})
	}
}
