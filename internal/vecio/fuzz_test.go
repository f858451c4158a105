package vecio

import (
	"bytes"
	"runtime/metrics"
	"testing"
)

// heapAllocs returns the bytes allocated on the heap so far.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// fuzzRead reads data in format f to the end, checking that the reader
// neither panics nor allocates more than perByte bytes per input byte (plus
// a fixed allowance for its buffers), and that records are sane.
func fuzzRead(t *testing.T, data []byte, f Format, perByte uint64) {
	before := heapAllocs()
	r, err := NewReader(bytes.NewReader(data), f)
	if err == nil {
		for r.Next() {
			rec := r.Record()
			if len(rec.Vector) == 0 || len(rec.Vector) != r.Dim() || len(rec.Vector) > MaxDim {
				t.Fatalf("record with %d values, Dim %d", len(rec.Vector), r.Dim())
			}
			if rec.Row < 1 {
				t.Fatalf("Row = %d", rec.Row)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if r.Next() {
			t.Fatal("Next after Close returned true")
		}
	}
	// The bufio buffer plus slack: the runtime counts small allocations a
	// span at a time, so the measurement is coarse. A row buffer sized by a
	// declared dimension (up to 8 MiB) would still exceed it.
	const fixed = readBufferSize + 1<<20
	if got, limit := heapAllocs()-before, fixed+perByte*uint64(len(data)); got > limit {
		t.Fatalf("allocated %d bytes for %d input bytes (limit %d)", got, len(data), limit)
	}
}

func FuzzReadFvecs(f *testing.F) {
	f.Add(byte(0), fvecsBytes(testVectors(3, 4)))
	f.Add(byte(1), AppendBvecs(AppendBvecs(nil, []byte{1, 2}), []byte{3}))
	f.Add(byte(2), AppendIvecs(nil, []int32{1, -2, 3}))
	f.Add(byte(0), []byte{0, 0, 16, 0, 1, 2, 3})
	f.Add(byte(0), []byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		format := []Format{Fvecs, Bvecs, Ivecs}[int(which)%3]
		// Rows are read into buffers that grow with the input: at most
		// about twice the input for the row bytes, plus the float32s.
		fuzzRead(t, data, format, 16)
	})
}

func FuzzReadNpy(f *testing.F) {
	f.Add(npyBytes(1, npyDict("<f4", 2, 3), f32Bytes(testVectors(2, 3))))
	f.Add(npyBytes(2, npyDict("<f8", 1, 1), make([]byte, 8)))
	f.Add(npyBytes(3, npyDict("|u1", 2, 2), []byte{1, 2, 3, 4}))
	f.Add(npyBytes(1, npyDict("<f2", 1, 2), []byte{0, 0x3c, 0, 0xc0}))
	f.Add(npyBytes(1, npyDict("<f4", 1000000000, 1000000), nil))
	f.Add(npyBytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }", make([]byte, 4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, Npy, 32)
	})
}

func FuzzReadText(f *testing.F) {
	f.Add([]byte("2 3\nthe 1 2 3\r\nof\t4 5 6\n"))
	f.Add([]byte("a inf nan -0 1e-50\n\n b 1 2 3 4"))
	f.Add([]byte("\xef\xbb\xbfx 1e39\n"))
	f.Add(textBytes(wordIDs(3), testVectors(3, 5), "\t", "\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Values are float32s (4 bytes) from fields of at least 2 bytes,
		// plus the ID strings and the long-line buffer.
		fuzzRead(t, data, Text, 16)
	})
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("id,a,b\r\nx,1,2\r\n\"y,z\", 3 ,4\n"))
	f.Add([]byte("a,\"1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, CSV, 64)
	})
}

func FuzzReadJSONL(f *testing.F) {
	var buf bytes.Buffer
	w := NewJSONLWriter(&buf)
	_ = w.Write("a", []float32{1, 2}, map[string]any{"k": "v", "n": 3}) // a seed; errors would show below
	_ = w.Write("b", []float32{3, 4}, nil)
	if err := w.Flush(); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"id":7,"vector":[1e39]}` + "\n" + `{"id":"x","vector":[1,[2]]}`))
	f.Add([]byte(`{"id":"a","vector":[1],"meta":{"a":{"b":{"c":[1,2,{"d":null}]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// encoding/json builds maps and interface values for meta, which
		// cost far more than the bytes that describe them.
		fuzzRead(t, data, JSONL, 256)
	})
}

func FuzzReadW2VBin(f *testing.F) {
	f.Add(w2vBytes("2 3\n", []string{"</s>", "the"}, testVectors(2, 3), true))
	f.Add(w2vBytes("2 3\r\n", []string{"a", "b"}, testVectors(2, 3), false))
	f.Add([]byte("100000000 1000000\nx \x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, W2VBin, 16)
	})
}

func FuzzMetaReader(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{}\r\n"))
	f.Add([]byte("{}\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := NewMetaReader(bytes.NewReader(data))
		for {
			if _, err := m.Next(); err != nil {
				break
			}
		}
	})
}
