package db

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unsafe"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
)

// segFixture is what a test segment holds.
type segFixture struct {
	shape segShape
	docs  []uint32
	ids   []string
	rows  [][]float32
	lists [][]uint32
	codes [][]byte
	terms [][]float32
}

// makeSegFixture returns n rows of dim values with gaps in their doc ids,
// spread over nlist lists; IDs of varied length, some empty groups.
func makeSegFixture(seed uint64, n, dim, nlist, cs int, metric quant.Metric) *segFixture {
	r := rand.New(rand.NewPCG(seed, 1))
	f := &segFixture{shape: segShape{dim: dim, codeSize: cs, nlist: nlist, metric: metric}}
	doc := uint32(r.IntN(100))
	f.lists = make([][]uint32, nlist)
	f.codes = make([][]byte, nlist)
	f.terms = make([][]float32, nlist)
	for i := range n {
		doc += 1 + uint32(r.IntN(3))
		if r.IntN(300) == 0 {
			doc += 200 // whole empty rank words
		}
		row := make([]float32, dim)
		for j := range row {
			row[j] = r.Float32()
		}
		f.docs = append(f.docs, doc)
		f.ids = append(f.ids, fmt.Sprintf("id-%d-%s", i, string(make([]byte, r.IntN(20)))))
		f.rows = append(f.rows, row)
		l := r.IntN(nlist)
		f.lists[l] = append(f.lists[l], doc)
		for range cs {
			f.codes[l] = append(f.codes[l], byte(r.IntN(256)))
		}
		if metric == quant.L2 {
			f.terms[l] = append(f.terms[l], r.Float32())
		}
	}
	f.shape.docHi = doc + 1 + uint32(r.IntN(70))
	return f
}

func (f *segFixture) write(t testing.TB, dir string, coll, gen uint32) (string, uint32) {
	t.Helper()
	w, err := createSegment(dir, coll, gen, f.shape, gen%2 == 0) // both page-cache paths
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range f.docs {
		if err := w.addRow(d, f.ids[i], f.rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	ident, err := w.finish(func(l int) ([]uint32, []byte, []float32) { return f.lists[l], f.codes[l], f.terms[l] })
	if err != nil {
		t.Fatal(err)
	}
	return segmentPath(dir, coll, gen), ident
}

// TestSegmentRoundTrip writes segments of several shapes and reads every
// row, ID and list back, by doc and by range.
func TestSegmentRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name              string
		n, dim, nlist, cs int
		metric            quant.Metric
	}{
		{"empty", 0, 4, 3, 2, quant.L2},
		{"one", 1, 1, 1, 1, quant.Cosine},
		{"l2", 3000, 7, 16, 3, quant.L2},
		{"dot-many-groups", 5000, 3, 5, 8, quant.Dot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := makeSegFixture(uint64(tc.n), tc.n, tc.dim, tc.nlist, tc.cs, tc.metric)
			dir := t.TempDir()
			path, ident := f.write(t, dir, 3, 9)
			s, err := openSegment(path, ident)
			if err != nil {
				t.Fatal(err)
			}
			defer s.retire()
			if s.shape.rows != uint64(tc.n) {
				t.Fatalf("rows = %d, want %d", s.shape.rows, tc.n)
			}
			want := map[uint32]int{}
			for i, d := range f.docs {
				want[d] = i
			}
			for d := uint32(0); d < f.shape.docHi+5; d++ {
				i, has := want[d]
				r, ok := s.rowOf(d)
				if ok != has || (ok && r != i) {
					t.Fatalf("rowOf(%d) = %d, %v; want %d, %v", d, r, ok, i, has)
				}
				if !ok {
					continue
				}
				row, err := s.row(r)
				if err != nil || !slices.Equal(row, f.rows[i]) {
					t.Fatalf("row %d = %v, %v; want %v", r, row, err, f.rows[i])
				}
				id, err := s.id(r)
				if err != nil || id != f.ids[i] {
					t.Fatalf("id %d = %q, %v; want %q", r, id, err, f.ids[i])
				}
			}
			if tc.n > 0 {
				rows, docs, err := s.rowRange(1%tc.n, tc.n)
				if err != nil || !slices.Equal(docs, f.docs[1%tc.n:]) || len(rows) != (tc.n-1%tc.n)*tc.dim {
					t.Fatalf("rowRange: %d docs, %d values, %v", len(docs), len(rows), err)
				}
			}
			for l := range tc.nlist {
				docs, codes, terms, err := s.list(l)
				if err != nil || !slices.Equal(docs, f.lists[l]) || !bytes.Equal(codes, f.codes[l]) || !slices.Equal(terms, f.terms[l]) {
					t.Fatalf("list %d: %d docs, %d codes, %d terms, %v", l, len(docs), len(codes), len(terms), err)
				}
			}
			if _, err := openSegment(path, ident+1); !errors.Is(err, ErrCorruption) {
				t.Fatalf("open with another identity = %v, want ErrCorruption", err)
			}
			if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
				t.Fatalf("temporary file left behind: %v", err)
			}
		})
	}
}

// TestSegmentDetectsCorruption flips one byte in each part of a file: the
// open or the first read of that part fails with ErrCorruption, and reads
// of other pages still work.
func TestSegmentDetectsCorruption(t *testing.T) {
	f := makeSegFixture(1, 3000, 16, 8, 4, quant.L2)
	dir := t.TempDir()
	path, ident := f.write(t, dir, 1, 1)
	clean, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := openSegment(path, ident)
	if err != nil {
		t.Fatal(err)
	}
	sec := s.sec
	s.retire()
	// read touches every part of the segment; it returns the first error.
	read := func(s *segment) error {
		for r := range int(s.shape.rows) {
			if _, err := s.row(r); err != nil {
				return err
			}
			if _, err := s.id(r); err != nil {
				return err
			}
		}
		if _, _, err := s.rowRange(0, int(s.shape.rows)); err != nil {
			return err
		}
		for l := range s.shape.nlist {
			if _, _, _, err := s.list(l); err != nil {
				return err
			}
		}
		return nil
	}
	for _, at := range []struct {
		name string
		off  uint64
	}{
		{"header", 13},
		{"rows", sec[secRows] + 1000},
		{"last row", sec[secRowDocs] - 1},
		{"row docs", sec[secRowDocs] + 5},
		{"rank", sec[secRankBits]},
		{"id ends", sec[secIDEnds] + 2},
		{"id bytes", sec[secIDBytes] + 7},
		{"lists", sec[secLists] + 100},
		{"list dir", sec[secListDir] + 3},
		{"page table", sec[secPageCRC] + 1},
		{"footer", uint64(len(clean)) - 20},
	} {
		t.Run(at.name, func(t *testing.T) {
			bad := slices.Clone(clean)
			bad[at.off] ^= 0x10
			if err := os.WriteFile(path, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := openSegment(path, ident)
			if err == nil {
				err = read(s)
				s.retire()
			}
			if !errors.Is(err, ErrCorruption) {
				t.Fatalf("flipped byte at %d: %v, want ErrCorruption", at.off, err)
			}
		})
	}
	for _, size := range []int{0, 100, len(clean) / 2, len(clean) - 1} {
		if err := os.WriteFile(path, clean[:size], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := openSegment(path, 0); !errors.Is(err, ErrCorruption) {
			t.Fatalf("truncated to %d bytes: %v, want ErrCorruption", size, err)
		}
	}
}

// TestSegmentRefs checks that a retired segment stays mapped until its
// last reader releases it, and refuses new readers.
func TestSegmentRefs(t *testing.T) {
	f := makeSegFixture(2, 10, 2, 1, 1, quant.Dot)
	path, ident := f.write(t, t.TempDir(), 1, 1)
	s, err := openSegment(path, ident)
	if err != nil {
		t.Fatal(err)
	}
	if !s.acquire() {
		t.Fatal("acquire of a fresh segment failed")
	}
	s.retire()
	if row, err := s.row(3); err != nil || !slices.Equal(row, f.rows[3]) {
		t.Fatalf("row after retire, while held: %v, %v", row, err)
	}
	s.release()
	if s.acquire() {
		t.Fatal("acquire after the last release of a retired segment succeeded")
	}
}

func TestSegmentName(t *testing.T) {
	p := segmentPath("/x", 0x12, 0xabcdef01)
	c, g, ok := parseSegmentName(filepath.Base(p))
	if !ok || c != 0x12 || g != 0xabcdef01 {
		t.Fatalf("parse(%q) = %x, %x, %v", p, c, g, ok)
	}
	for _, bad := range []string{"", "x.vseg", "00000012-abcdef01.vseg.tmp", "12-1.vseg", "00000012-abcdef01.vsegx"} {
		if _, _, ok := parseSegmentName(bad); ok {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

// goldenSegment is a tiny segment file from fixed inputs.
func goldenSegment(t testing.TB) []byte {
	f := &segFixture{
		shape: segShape{dim: 2, codeSize: 2, nlist: 2, metric: quant.L2, docHi: 9},
		docs:  []uint32{3, 4, 7},
		ids:   []string{"a", "bb", ""},
		rows:  [][]float32{{1, -1}, {0.5, 2}, {0, 3e-7}},
		lists: [][]uint32{{4}, {3, 7}},
		codes: [][]byte{{1, 2}, {3, 4, 5, 6}},
		terms: [][]float32{{0.25}, {1, 2}},
	}
	path, _ := f.write(t, t.TempDir(), 7, 1)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenSegment(t *testing.T) {
	vectest.CheckGolden(t, "db_segment.golden", []byte(hex.Dump(goldenSegment(t))), *update)
}

// alignedCopy returns b copied into 8-byte-aligned memory, as a mapping is.
func alignedCopy(b []byte) []byte {
	words := make([]uint64, (len(b)+7)/8)
	out := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), len(words)*8)[:len(b)]
	copy(out, b)
	return out
}

// FuzzSegment decodes arbitrary bytes as a segment: it must fail cleanly
// or give reads that stay in bounds (no panic).
func FuzzSegment(f *testing.F) {
	f.Add(goldenSegment(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < segHeaderLen+segFooterLen {
			return
		}
		s := &segment{path: "fuzz", data: alignedCopy(b), size: uint64(len(b))}
		s.mu.unmap = func() error { return nil }
		if err := s.init(0); err != nil {
			return
		}
		for r := range int(min(s.shape.rows, 64)) {
			_, _ = s.row(r)
			_, _ = s.id(r)
		}
		for d := s.shape.docLo; d < min(s.shape.docHi, s.shape.docLo+256); d++ {
			s.rowOf(d)
		}
		for l := range min(s.shape.nlist, 64) {
			_, _, _, _ = s.list(l)
		}
	})
}
