package db

import (
	"context"
	stderrors "errors"
	"testing"
)

// TestSentinelsMatchStdlib: every exported sentinel matches, with the
// standard library's errors.Is, the errors the API returns for it (users
// test them that way; errors.Mark alone is seen only by cockroachdb/errors).
func TestSentinelsMatchStdlib(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	mustCreate(t, d, Schema{Name: "v", Dim: 2, Metric: L2})
	if err := d.Put("v", "a", []float32{1, 2}, nil); err != nil {
		t.Fatal(err)
	}
	_, errGet := d.Get("v", "missing")
	_, errColl := d.Get("nope", "a")
	errExists := d.CreateCollection(Schema{Name: "v", Dim: 2, Metric: L2})
	errDim := d.Put("v", "b", []float32{1, 2, 3}, nil)
	errName := d.CreateCollection(Schema{Name: "", Dim: 2, Metric: L2})
	_, errBuild := d.BuildIndex(context.Background(), "v", nil) // 1 record: too few
	_, errTarget := d.Search(context.Background(), "v", &SearchRequest{Vector: []float32{1, 2}, TargetRecall: 2})
	_, errLocked := Open(dir, nil)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	errClosed := d.Put("v", "c", []float32{1, 2}, nil)
	ro := openTestDBAt(t, dir, &Options{ReadOnly: true})
	errRO := ro.Put("v", "c", []float32{1, 2}, nil)
	errCorrupt := func() error { _, err := decodeCalibration([]byte{1, 2, 3}); return err }()
	errCorruptf := corruptionf("x")
	for _, tc := range []struct {
		name     string
		err, want error
	}{
		{"Get of a missing record", errGet, ErrNotFound},
		{"Get in a missing collection", errColl, ErrNotFound},
		{"CreateCollection of a taken name", errExists, ErrExists},
		{"Put of a wrong dimension", errDim, ErrDimensionMismatch},
		{"CreateCollection without a name", errName, ErrInvalid},
		{"BuildIndex of too few records", errBuild, ErrInvalid},
		{"Search with a target recall of 2", errTarget, ErrInvalid},
		{"a second writable Open", errLocked, ErrLocked},
		{"Put after Close", errClosed, ErrClosed},
		{"Put on a read-only DB", errRO, ErrReadOnly},
		{"corruptionf", errCorruptf, ErrCorruption},
	} {
		if !stderrors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v does not match %v with the standard errors.Is", tc.name, tc.err, tc.want)
		}
	}
	if errCorrupt == nil {
		t.Error("a damaged calibration decoded")
	}
}
