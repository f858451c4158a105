package vecio

import "testing"

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
		err  bool
	}{
		{"fvecs", Fvecs, false},
		{"BVECS", Bvecs, false},
		{"ivecs", Ivecs, false},
		{"npy", Npy, false},
		{"csv", CSV, false},
		{"jsonl", JSONL, false},
		{"json", JSONL, false},
		{"text", Text, false},
		{"txt", Text, false},
		{"w2vbin", W2VBin, false},
		{"", "", true},
		{"parquet", "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseFormat(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("ParseFormat(%q) = %q, %v, want %q (error %v)", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestFormatFromName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Format
	}{
		{"sift_base.fvecs", Fvecs},
		{"/data/x/sift_base.fvecs.gz", Fvecs},
		{"fashion.BVECS.GZ", Bvecs},
		{"gt.ivecs.zst", Ivecs},
		{"emb.npy", Npy},
		{"v.csv", CSV},
		{"v.csv.gz", CSV},
		{"v.jsonl", JSONL},
		{"v.json", JSONL},
		{"glove.6B.100d.txt.gz", Text},
		{"wiki.en.vec", Text},
		{"GoogleNews-vectors-negative300.bin.gz", W2VBin},
		{"vectors.bin", W2VBin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FormatFromName(tc.name)
			if err != nil || got != tc.want {
				t.Errorf("FormatFromName(%q) = %q, %v, want %q", tc.name, got, err, tc.want)
			}
		})
	}
	for _, name := range []string{"data", "data.gz", "x.parquet", "x.fvecs.bz2", ".gz"} {
		if _, err := FormatFromName(name); err == nil {
			t.Errorf("FormatFromName(%q) succeeded, want an error", name)
		} else {
			wantErr(t, err, "--format")
		}
	}
}
