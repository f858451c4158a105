package vecio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

func fvecsBytes(vecs [][]float32) []byte {
	var b []byte
	for _, v := range vecs {
		b = AppendFvecs(b, v)
	}
	return b
}

func TestFvecsRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 3, 2500} {
		for _, d := range []int{1, 7, 128} {
			t.Run(fmt.Sprintf("n=%d/d=%d", n, d), func(t *testing.T) {
				vecs := testVectors(n, d)
				recs, dim, err := readAll(t, fvecsBytes(vecs), Fvecs)
				if err != nil {
					t.Fatal(err)
				}
				checkRecords(t, recs, rowNumberIDs(n), vecs)
				for i, rec := range recs {
					if rec.Row != i+1 || rec.Meta != nil {
						t.Fatalf("record %d: Row %d Meta %v", i, rec.Row, rec.Meta)
					}
				}
				if n > 0 && dim != d {
					t.Errorf("Dim() = %d, want %d", dim, d)
				}
			})
		}
	}
}

func TestBvecsIvecsRoundTrip(t *testing.T) {
	var bv, iv []byte
	var want [][]float32
	for i := range 300 {
		u := make([]uint8, 5)
		w := make([]int32, 5)
		f := make([]float32, 5)
		for j := range u {
			u[j] = uint8(i*5 + j)
			w[j] = int32(i*5+j) * -7919
			f[j] = float32(u[j])
		}
		bv = AppendBvecs(bv, u)
		iv = AppendIvecs(iv, w)
		want = append(want, f)
	}
	checkRecords(t, mustReadAll(t, bv, Bvecs), rowNumberIDs(300), want)
	recs := mustReadAll(t, iv, Ivecs)
	if len(recs) != 300 || recs[299].Vector[4] != float32(int32(299*5+4)*-7919) {
		t.Errorf("ivecs read back wrongly: %d records", len(recs))
	}
}

func TestTexmexErrors(t *testing.T) {
	good := fvecsBytes(testVectors(3, 4))
	le := func(x int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(x)) }
	for _, tc := range []struct {
		name string
		f    Format
		data []byte
		want []string
		rows int // records read before the error
	}{
		{"inconsistent dim", Fvecs, append(slices.Clone(good), AppendFvecs(nil, []float32{1, 2})...), []string{"row 4:", "dimension 2, want 4"}, 3},
		{"truncated row", Fvecs, good[:len(good)-3], []string{"row 3:", "truncated"}, 2},
		{"truncated dim", Fvecs, append(slices.Clone(good), 4, 0), []string{"row 4:", "truncated"}, 3},
		{"zero dim", Fvecs, append(slices.Clone(good), le(0)...), []string{"row 4:", "dimension 0 out of range"}, 3},
		{"negative dim", Fvecs, le(-5), []string{"row 1:", "dimension -5 out of range"}, 0},
		{"absurd dim", Bvecs, le(1<<20 + 1), []string{"row 1:", "dimension 1048577 out of range"}, 0},
		{"huge declared row", Fvecs, append(le(1<<20), 1, 2, 3), []string{"row 1:", "truncated (7 of 4194308 bytes)"}, 0},
		{"bvecs truncated", Bvecs, append(AppendBvecs(nil, []byte{1, 2, 3}), 3, 0, 0, 0, 1), []string{"row 2:", "truncated"}, 1},
		{"ivecs inconsistent", Ivecs, append(AppendIvecs(nil, []int32{1}), AppendIvecs(nil, []int32{1, 2})...), []string{"row 2:", "dimension 2, want 1"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, _, err := readAll(t, tc.data, tc.f)
			wantErr(t, err, tc.want...)
			if len(recs) != tc.rows {
				t.Errorf("read %d records before the error, want %d", len(recs), tc.rows)
			}
		})
	}
}

func TestReadFvecsAllAndIvecs(t *testing.T) {
	dir := t.TempDir()
	vecs := testVectors(100, 17)
	rows := [][]int32{{1, 2, 3}, {-4, 5, 1 << 30}, {7, 8, 9}}
	for _, name := range []string{"v.fvecs", "v.fvecs.gz", "v.fvecs.zst"} {
		path := filepath.Join(dir, name)
		if err := WriteFvecsFile(path, vecs); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFvecsAll(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(vecs) {
			t.Fatalf("%s: %d rows, want %d", name, len(got), len(vecs))
		}
		for i := range got {
			if !sameBits(got[i], vecs[i]) || cap(got[i]) != len(got[i]) {
				t.Fatalf("%s: row %d = %v (cap %d), want %v", name, i, got[i], cap(got[i]), vecs[i])
			}
		}
		ipath := filepath.Join(dir, "gt"+name)
		if err := WriteIvecsFile(ipath, rows); err != nil {
			t.Fatal(err)
		}
		gt, err := ReadIvecs(ipath)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(gt, rows, slices.Equal) {
			t.Errorf("%s: ReadIvecs = %v, want %v", name, gt, rows)
		}
	}
	path := writeFile(t, "bad.ivecs", AppendIvecs(AppendIvecs(nil, []int32{1, 2}), []int32{3}))
	_, err := ReadIvecs(path)
	wantErr(t, err, "bad.ivecs", "row 2:", "dimension 1, want 2")
	if _, err := ReadFvecsAll(filepath.Join(dir, "missing.fvecs")); err == nil {
		t.Error("ReadFvecsAll of a missing file succeeded")
	}
}

func TestOpenReaderCompressedMisleadingName(t *testing.T) {
	vecs := testVectors(50, 8)
	raw := fvecsBytes(vecs)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"a.fvecs", gzipBytes(t, raw)},    // gzip without .gz
		{"b.fvecs.gz", raw},               // .gz but plain
		{"c.fvecs.gz", zstdBytes(t, raw)}, // zstd named .gz
		{"d.fvecs", zstdBytes(t, raw)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := OpenReader(writeFile(t, tc.name, tc.data), "")
			if err != nil {
				t.Fatal(err)
			}
			var got []Record
			for r.Next() {
				rec := *r.Record()
				rec.Vector = slices.Clone(rec.Vector)
				got = append(got, rec)
			}
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			checkRecords(t, got, rowNumberIDs(len(vecs)), vecs)
		})
	}
	if _, err := OpenReader(writeFile(t, "noext", raw), ""); err == nil {
		t.Error("OpenReader without a format or known extension succeeded")
	}
	r, err := OpenReader(writeFile(t, "noext", raw), Fvecs)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFvecsSteadyStateAllocs checks that reading fvecs rows does not
// allocate per row once the buffers are sized.
func TestFvecsSteadyStateAllocs(t *testing.T) {
	data := fvecsBytes(testVectors(20000, 32))
	r, err := NewReader(bytes.NewReader(data), Fvecs)
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	allocs := testing.AllocsPerRun(10000, func() {
		if !r.Next() {
			t.Fatal(r.Err())
		}
	})
	if allocs > 0.01 {
		t.Errorf("%.3f allocations per row, want ~0", allocs)
	}
}

func BenchmarkReadFvecs(b *testing.B) {
	for _, f := range []Format{Fvecs, Bvecs} {
		const n, d = 20000, 128
		var data []byte
		vecs := testVectors(n, d)
		for _, v := range vecs {
			if f == Fvecs {
				data = AppendFvecs(data, v)
			} else {
				u := make([]uint8, d)
				for j := range u {
					u[j] = uint8(v[j])
				}
				data = AppendBvecs(data, u)
			}
		}
		b.Run(string(f), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(data), f)
				if err != nil {
					b.Fatal(err)
				}
				rows := 0
				for r.Next() {
					rows++
				}
				if r.Err() != nil || rows != n {
					b.Fatalf("%d rows, %v", rows, r.Err())
				}
			}
		})
	}
}
