package vecio

import (
	"path/filepath"
	"strings"

	"github.com/cockroachdb/errors"
)

// Format names a vector file format, as spelled on the command line
// (--format).
type Format string

// The supported formats.
const (
	// Fvecs is TEXMEX fvecs: per row a little-endian int32 dimension d, then
	// d little-endian float32 values. IDs are the 0-based row numbers.
	Fvecs Format = "fvecs"
	// Bvecs is TEXMEX bvecs: per row an int32 d, then d uint8 values
	// (converted to float32). IDs are the 0-based row numbers.
	Bvecs Format = "bvecs"
	// Ivecs is TEXMEX ivecs: per row an int32 d, then d int32 values. As
	// vectors they are converted to float32; ground truth is read with
	// [ReadIvecs]. IDs are the 0-based row numbers.
	Ivecs Format = "ivecs"
	// Npy is a NumPy .npy file holding a little-endian 2-D (rows, dim) array
	// of '<f4' (also '<f2', '<f8', '|u1', '|i1'), in C order. IDs are the
	// 0-based row numbers.
	Npy Format = "npy"
	// CSV is "ID,v1,...,vd" per record, with encoding/csv quoting; a first
	// record whose first field is "id" (any case) is a header and skipped.
	CSV Format = "csv"
	// JSONL is one {"id":"..","vector":[..],"meta":{..}} object per line.
	JSONL Format = "jsonl"
	// Text is "ID v1 ... vd" per line, fields separated by runs of spaces or
	// tabs (the GloVe and word2vec text layout). A first line of exactly two
	// integers (the word2vec "N D" header) is skipped.
	Text Format = "text"
	// W2VBin is the word2vec C tool's binary format: a "N D\n" header, then
	// per word the word, a space, D little-endian float32 values and an
	// optional newline.
	W2VBin Format = "w2vbin"
)

// formats lists every Format in the order error messages show them.
var formats = []Format{Fvecs, Bvecs, Ivecs, Npy, CSV, JSONL, Text, W2VBin}

// formatList is the list of valid --format values, for error messages.
func formatList() string {
	var b strings.Builder
	for i, f := range formats {
		if i > 0 {
			b.WriteString("|")
		}
		b.WriteString(string(f))
	}
	return b.String()
}

// ParseFormat parses a --format value. It is case-insensitive and also
// accepts "json" for [JSONL] and "txt" for [Text].
func ParseFormat(s string) (Format, error) {
	switch l := strings.ToLower(strings.TrimSpace(s)); l {
	case "json":
		return JSONL, nil
	case "txt":
		return Text, nil
	default:
		for _, f := range formats {
			if l == string(f) {
				return f, nil
			}
		}
	}
	return "", errors.Newf("unknown format %q (want %s)", s, formatList())
}

// FormatFromName guesses the format from a file name's extension, after
// stripping a trailing .gz or .zst (compression itself is detected from the
// data, see [Open]): .fvecs, .bvecs, .ivecs, .npy, .csv, .jsonl or .json,
// .txt or .vec (text), .bin (w2vbin). Extensions are case-insensitive. Any
// other name is an error that says to pass --format.
func FormatFromName(name string) (Format, error) {
	base := strings.ToLower(filepath.Base(name))
	for _, z := range []string{".gz", ".zst"} {
		base = strings.TrimSuffix(base, z)
	}
	switch filepath.Ext(base) {
	case ".fvecs":
		return Fvecs, nil
	case ".bvecs":
		return Bvecs, nil
	case ".ivecs":
		return Ivecs, nil
	case ".npy":
		return Npy, nil
	case ".csv":
		return CSV, nil
	case ".jsonl", ".json":
		return JSONL, nil
	case ".txt", ".vec":
		return Text, nil
	case ".bin":
		return W2VBin, nil
	}
	return "", errors.Newf("cannot tell the format of %q from its name; pass --format %s", name, formatList())
}
