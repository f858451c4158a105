package vecio

import (
	"image"
	"image/color"
	_ "image/jpeg" // registers the JPEG decoder with image.Decode
	_ "image/png"  // registers the PNG decoder with image.Decode
	"os"

	"github.com/cockroachdb/errors"
	"golang.org/x/image/draw"
)

// ImageShape is the shape an image is converted to: H x W pixels of C
// channels (1: grey, 3: RGB), row-major, channels last.
type ImageShape struct{ H, W, C int }

// ReadImage decodes a PNG or JPEG file and converts it to shape: scaled
// to W x H (bilinear) when its size differs, to grey (luminance) for one
// channel or RGB for three, and each 8-bit value v mapped to
// lo + v/255 x (hi - lo), the value range a model was trained on.
func ReadImage(path string, shape ImageShape, lo, hi float32) ([]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, errors.Wrapf(err, "%s: not a PNG or JPEG image", path)
	}
	return ImageVector(img, shape, lo, hi)
}

// ImageVector converts a decoded image as ReadImage does.
func ImageVector(img image.Image, shape ImageShape, lo, hi float32) ([]float32, error) {
	if shape.H < 1 || shape.W < 1 || (shape.C != 1 && shape.C != 3) {
		return nil, errors.Newf("image shape %dx%dx%d: want H and W of at least 1 and 1 or 3 channels", shape.H, shape.W, shape.C)
	}
	b := img.Bounds()
	if b.Dx() != shape.W || b.Dy() != shape.H {
		dst := image.NewRGBA(image.Rect(0, 0, shape.W, shape.H))
		draw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
		img, b = dst, dst.Bounds()
	}
	out := make([]float32, 0, shape.H*shape.W*shape.C)
	scale := (hi - lo) / 255
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.At(x, y)
			if shape.C == 1 {
				g := color.GrayModel.Convert(c).(color.Gray)
				out = append(out, lo+float32(g.Y)*scale)
				continue
			}
			r, g, bl, _ := c.RGBA()
			out = append(out, lo+float32(r>>8)*scale, lo+float32(g>>8)*scale, lo+float32(bl>>8)*scale)
		}
	}
	return out, nil
}
