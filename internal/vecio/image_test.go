package vecio

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestReadImage: a grey PNG of the model's size reads back as its pixel
// values mapped to the range; an RGB one keeps its channels in order; a
// larger one is scaled down; a file that is no image is an error.
func TestReadImage(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, img image.Image) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 51) // 0, 51, ..., 255
	}
	v, err := ReadImage(write("g.png", g), ImageShape{H: 2, W: 3, C: 1}, 0, 255)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range v {
		if x != float32(i*51) {
			t.Fatalf("grey pixel %d = %g, want %d (all %v)", i, x, i*51, v)
		}
	}
	v, err = ReadImage(write("g.png", g), ImageShape{H: 2, W: 3, C: 1}, 0, 1)
	if err != nil || v[5] != 1 || v[0] != 0 {
		t.Fatalf("range [0,1]: %v, %v", v, err)
	}
	rgb := image.NewRGBA(image.Rect(0, 0, 1, 1))
	rgb.Set(0, 0, color.RGBA{R: 10, G: 20, B: 30, A: 255})
	v, err = ReadImage(write("c.png", rgb), ImageShape{H: 1, W: 1, C: 3}, 0, 255)
	if err != nil || len(v) != 3 || v[0] != 10 || v[1] != 20 || v[2] != 30 {
		t.Fatalf("RGB: %v, %v", v, err)
	}
	big := image.NewGray(image.Rect(0, 0, 56, 56))
	for i := range big.Pix {
		big.Pix[i] = 200
	}
	v, err = ReadImage(write("big.png", big), ImageShape{H: 28, W: 28, C: 1}, 0, 255)
	if err != nil || len(v) != 784 || v[400] < 199 || v[400] > 201 {
		t.Fatalf("scaled: len %d, %v", len(v), err)
	}
	bad := filepath.Join(dir, "bad.png")
	if err := os.WriteFile(bad, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadImage(bad, ImageShape{H: 1, W: 1, C: 1}, 0, 1); err == nil {
		t.Fatal("a file that is no image was read")
	}
}
