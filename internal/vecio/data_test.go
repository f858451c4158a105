package vecio

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// dataFile returns the path of a file in the shared real-data folder
// ($VECDB_DATA, else ../shared/data beside the checkout), skipping the test
// when it is missing.
func dataFile(t *testing.T, rel string) string {
	t.Helper()
	dir := os.Getenv("VECDB_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	path := filepath.Join(dir, rel)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("real data %s not available (set VECDB_DATA): %v", path, err)
	}
	return path
}

// readCount reads path to the end and returns the count, the dimension and
// a copy of the first record.
func readCount(t *testing.T, path string, f Format) (int, int, Record) {
	t.Helper()
	r, err := OpenReader(path, f)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	}()
	n := 0
	var first Record
	for r.Next() {
		if n == 0 {
			first = *r.Record()
			first.Vector = slices.Clone(first.Vector)
		}
		n++
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return n, r.Dim(), first
}

// TestSiftSmall checks counts, dimensions and first values against
// sift-small/PROVENANCE.md.
func TestSiftSmall(t *testing.T) {
	base := dataFile(t, "sift-small/siftsmall_base.fvecs")
	n, dim, first := readCount(t, base, "")
	if n != 10000 || dim != 128 {
		t.Errorf("siftsmall_base: %d x %d, want 10000 x 128", n, dim)
	}
	if want := []float32{0, 16, 35, 5, 32, 31, 14, 10}; !slices.Equal(first.Vector[:8], want) || first.ID != "0" {
		t.Errorf("first base vector %q starts %v, want %v", first.ID, first.Vector[:8], want)
	}
	all, err := ReadFvecsAll(base)
	if err != nil || len(all) != 10000 || !slices.Equal(all[0], first.Vector) {
		t.Errorf("ReadFvecsAll: %d rows, %v", len(all), err)
	}
	if n, dim, _ := readCount(t, dataFile(t, "sift-small/siftsmall_query.fvecs"), ""); n != 100 || dim != 128 {
		t.Errorf("siftsmall_query: %d x %d, want 100 x 128", n, dim)
	}
	gt, err := ReadIvecs(dataFile(t, "sift-small/siftsmall_groundtruth.ivecs"))
	if err != nil {
		t.Fatal(err)
	}
	if len(gt) != 100 || len(gt[0]) != 100 || !slices.Equal(gt[0][:5], []int32{2176, 3752, 882, 4009, 2837}) {
		t.Errorf("ground truth: %d rows, first starts %v", len(gt), gt[0][:5])
	}
}

// TestFashionMNIST reads gzip-compressed bvecs and jsonl metadata.
func TestFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 47 MB of bvecs")
	}
	n, dim, _ := readCount(t, dataFile(t, "fashion-mnist/fashion-mnist_train.bvecs.gz"), "")
	if n != 60000 || dim != 784 {
		t.Errorf("fashion-mnist train: %d x %d, want 60000 x 784", n, dim)
	}
	rc, err := Open(dataFile(t, "fashion-mnist/fashion-mnist_test_meta.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rc.Close(); err != nil {
			t.Error(err)
		}
	}()
	m := NewMetaReader(rc)
	lines := 0
	for {
		obj, err := m.Next()
		if err != nil {
			if lines != 10000 || err != io.EOF {
				t.Errorf("meta: %d lines, then %v", lines, err)
			}
			break
		}
		if _, ok := obj["label"]; !ok {
			t.Fatalf("meta line %d has no label: %v", lines+1, obj)
		}
		lines++
	}
}

// TestGloVeText reads gzip-compressed GloVe text.
func TestGloVeText(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100k lines of text")
	}
	n, dim, first := readCount(t, dataFile(t, "glove-6b-100d-100k/glove.6B.100d.base100k.txt.gz"), "")
	if n != 100000 || dim != 100 {
		t.Errorf("glove base: %d x %d, want 100000 x 100", n, dim)
	}
	if first.ID != "the" || first.Vector[0] != -0.038194 || first.Vector[2] != 0.72812 {
		t.Errorf("first line %q %v", first.ID, first.Vector[:3])
	}
}
