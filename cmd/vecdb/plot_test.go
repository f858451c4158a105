package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// checkPNG decodes the PNG at path and checks its size and, when
// wantExact, that it shows the exact run's marker colour.
func checkPNG(t *testing.T, path string, wantExact bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != plotWidth || b.Dy() != plotHeight {
		t.Fatalf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), plotWidth, plotHeight)
	}
	found := false
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && !found; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == colorExact.R && uint8(g>>8) == colorExact.G && uint8(bl>>8) == colorExact.B {
				found = true
				break
			}
		}
	}
	if found != wantExact {
		t.Errorf("%s: exact marker shown = %t, want %t", path, found, wantExact)
	}
}

// TestBenchPlotShapes draws charts of unusual run sets: they must not
// panic and must write a valid PNG.
func TestBenchPlotShapes(t *testing.T) {
	run := func(nprobe int, recall, qps float64) benchRunJSON {
		return benchRunJSON{NProbe: nprobe, Exact: nprobe == 0, Recall: recall, QPS: qps}
	}
	tests := []struct {
		name string
		runs []benchRunJSON
	}{
		{"exact only", []benchRunJSON{run(0, 1, 250)}},
		{"one nprobe", []benchRunJSON{run(4, 0.5, 1e4)}},
		{"zero recall and qps", []benchRunJSON{run(1, 0, 0), run(2, 0, 0)}},
		{"same point", []benchRunJSON{run(1, 1, 900), run(2, 1, 900), run(4, 1, 900), run(8, 1, 900), run(16, 1, 900),
			run(32, 1, 900), run(64, 1, 900), run(0, 1, 900)}},
		{"wide", []benchRunJSON{run(1, 0.05, 2e6), run(2, 0.3, 1e5), run(4, 0.7, 3e3), run(0, 1, 0.5)}},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &benchJSON{K: 10, Collection: "c", Queries: 100, Filter: `a = "b"`, Truth: "exact search", Runs: tc.runs}
			path := filepath.Join(dir, tc.name+".png")
			if err := writeBenchPlot(path, b); err != nil {
				t.Fatal(err)
			}
			checkPNG(t, path, tc.runs[len(tc.runs)-1].Exact)
		})
	}
}

func TestNiceStep(t *testing.T) {
	tests := []struct{ raw, want float64 }{
		{0.01, 0.01}, {0.011, 0.02}, {0.03, 0.05}, {0.07, 0.1}, {0.2, 0.2}, {3, 5}, {60, 100},
	}
	for _, tc := range tests {
		if got := niceStep(tc.raw); got != tc.want {
			t.Errorf("niceStep(%v) = %v, want %v", tc.raw, got, tc.want)
		}
	}
}
