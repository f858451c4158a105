package vecio

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }() // EncodeAll needs no flush
	return w.EncodeAll(b, nil)
}

func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpenDetectsCompression(t *testing.T) {
	plain := bytes.Repeat([]byte("the quick brown fox 0.25 -1e3\n"), 20000)
	for _, tc := range []struct {
		name string // deliberately misleading
		data []byte
	}{
		{"plain.gz", plain},
		{"gzip.txt", gzipBytes(t, plain)},
		{"gzip.zst", gzipBytes(t, plain)},
		{"zstd.txt", zstdBytes(t, plain)},
		{"zstd.gz", zstdBytes(t, plain)},
		{"two-gzip-members", append(gzipBytes(t, plain[:1000]), gzipBytes(t, plain[1000:])...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := Open(writeFile(t, tc.name, tc.data))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			if err := rc.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("read %d bytes, want %d", len(got), len(plain))
			}
		})
	}
}

func TestOpenShortAndEmpty(t *testing.T) {
	for _, data := range [][]byte{nil, {0x1f}, {0x28, 0xb5}, []byte("ab")} {
		rc, err := Open(writeFile(t, "f", data))
		if err != nil {
			t.Fatalf("Open(%x): %v", data, err)
		}
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("Open(%x) read %x, %v", data, got, err)
		}
		if err := rc.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Open of a missing file succeeded")
	}
	// A gzip magic followed by garbage fails on the header.
	if _, err := Open(writeFile(t, "bad.gz", []byte{0x1f, 0x8b, 0, 0, 0, 0})); err == nil {
		t.Error("Open of a corrupt gzip file succeeded")
	}
	// A corrupt body surfaces as a read error naming the row.
	body := gzipBytes(t, AppendFvecs(nil, []float32{1, 2, 3}))
	body[len(body)-5] ^= 0xff // corrupt the CRC
	r, err := OpenReader(writeFile(t, "x.fvecs", body), "")
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
	}
	if r.Err() == nil {
		t.Error("reading a corrupt gzip stream gave no error")
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
}

func TestNewCompressor(t *testing.T) {
	plain := bytes.Repeat([]byte("0123456789"), 1000)
	for _, name := range []string{"x.jsonl.zst", "x.fvecs.gz", "x.fvecs", "X.GZ"} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewCompressor(&buf, name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(plain); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			compressed := filepath.Ext(name) != ".fvecs"
			if got := !bytes.Equal(buf.Bytes(), plain); got != compressed {
				t.Errorf("compressed = %v, want %v", got, compressed)
			}
			d, err := NewDecompressor(&buf)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(d)
			if err != nil || !bytes.Equal(got, plain) {
				t.Errorf("round trip: %d bytes, %v", len(got), err)
			}
			if err := d.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}
