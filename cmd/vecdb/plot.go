package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/errors"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The chart is drawn directly with image/png and the 7x13 bitmap font of
// golang.org/x/image/font/basicfont: one small dependency instead of a
// plotting library, enough for axes, ticks, labels and a legend.

// Chart geometry in pixels.
const (
	plotWidth   = 960
	plotHeight  = 640
	plotLeft    = 96  // left of the plot area: y tick labels and the y axis label
	plotRight   = 40  // right margin
	plotTop     = 80  // two title lines
	plotBottom  = 110 // x tick labels, the x axis label and the legend
	glyphWidth  = 7   // basicfont.Face7x13 advance
	glyphHeight = 13  // basicfont.Face7x13 height
)

var (
	colorBackground = color.RGBA{255, 255, 255, 255}
	colorText       = color.RGBA{20, 20, 20, 255}
	colorAxis       = color.RGBA{60, 60, 60, 255}
	colorGrid       = color.RGBA{225, 225, 225, 255}
	colorLeader     = color.RGBA{150, 150, 150, 255}
	colorIVF        = color.RGBA{31, 119, 180, 255}
	colorExact      = color.RGBA{214, 39, 40, 255}
)

// chart is a recall/QPS scatter chart being drawn.
type chart struct {
	img *image.RGBA
	// The plot area, and the data range it shows: x linear, y as log10.
	area       image.Rectangle
	x0, x1     float64
	ly0, ly1   float64
	labelRects []image.Rectangle // data labels and markers placed so far
}

// writeBenchPlot draws the runs of b as recall (x) against queries per
// second (y, log scale) and writes the chart to path as a PNG.
func writeBenchPlot(path string, b *benchJSON) error {
	img := drawBenchChart(b)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return errors.Wrap(err, "encoding PNG")
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// drawBenchChart returns the chart of the runs of b.
func drawBenchChart(b *benchJSON) *image.RGBA {
	c := &chart{
		img:  image.NewRGBA(image.Rect(0, 0, plotWidth, plotHeight)),
		area: image.Rect(plotLeft, plotTop, plotWidth-plotRight, plotHeight-plotBottom),
	}
	fill(c.img, c.img.Bounds(), colorBackground)
	var xs, ys []float64
	for _, r := range b.Runs {
		xs = append(xs, r.Recall)
		ys = append(ys, math.Log10(max(r.QPS, 1e-3)))
	}
	c.x0, c.x1 = dataRange(xs, 0.05, 0, 1) // recall is in [0, 1]
	c.ly0, c.ly1 = dataRange(ys, 1, math.Inf(-1), math.Inf(1))
	c.drawTitle(b)
	c.drawXAxis(fmt.Sprintf("recall@%d", b.K))
	c.drawYAxis("queries per second (log scale)")
	c.drawRuns(b.Runs)
	c.drawLegend(b.Runs)
	return c.img
}

// dataRange returns the axis range for values: their span widened to at
// least minSpan without leaving [floor, ceil], which holds every value
// (and is wider than minSpan), plus a margin of 8% on each side.
func dataRange(vs []float64, minSpan, floor, ceil float64) (lo, hi float64) {
	lo, hi = slices.Min(vs), slices.Max(vs)
	if span := hi - lo; span < minSpan {
		mid := (lo + hi) / 2
		lo, hi = mid-minSpan/2, mid+minSpan/2
		if hi > ceil {
			lo, hi = lo-(hi-ceil), ceil
		}
		if lo < floor {
			lo, hi = floor, hi+(floor-lo)
		}
	}
	pad := 0.08 * (hi - lo)
	return lo - pad, hi + pad
}

// px returns the pixel position of the data point (x, log10 y).
func (c *chart) px(x, ly float64) (float64, float64) {
	a := c.area
	fx := float64(a.Min.X) + (x-c.x0)/(c.x1-c.x0)*float64(a.Dx())
	fy := float64(a.Max.Y) - (ly-c.ly0)/(c.ly1-c.ly0)*float64(a.Dy())
	return fx, fy
}

func (c *chart) drawTitle(b *benchJSON) {
	title := fmt.Sprintf("vecdb bench %q: recall@%d vs queries per second", b.Collection, b.K)
	scale := 2
	if len(title)*glyphWidth*scale > plotWidth-20 {
		scale = 1
	}
	drawText(c.img, fit(title, (plotWidth-20)/(glyphWidth*scale)), plotWidth/2, 12, scale, alignCenter, colorText)
	sub := fmt.Sprintf("k=%d, %d queries", b.K, b.Queries)
	if b.Filter != "" {
		sub += ", filter: " + b.Filter
	}
	if b.Refine != 0 {
		sub += ", refine " + strconv.Itoa(b.Refine)
	}
	sub += ", truth: " + b.Truth
	drawText(c.img, fit(sub, (plotWidth-20)/glyphWidth), plotWidth/2, 50, 1, alignCenter, colorText)
}

// drawXAxis draws the vertical grid lines, the x ticks and their labels
// (recall, only within [0, 1]) and the axis label.
func (c *chart) drawXAxis(label string) {
	a := c.area
	step := niceStep((c.x1 - c.x0) / 6)
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	for x := math.Ceil(c.x0/step-1e-9) * step; x <= c.x1; x += step {
		if x < -1e-9 || x > 1+1e-9 {
			continue
		}
		fx, _ := c.px(x, c.ly0)
		line(c.img, fx, float64(a.Min.Y), fx, float64(a.Max.Y), 1, colorGrid)
		line(c.img, fx, float64(a.Max.Y), fx, float64(a.Max.Y)+5, 1, colorAxis)
		drawText(c.img, strconv.FormatFloat(math.Abs(x), 'f', decimals, 64), int(fx), a.Max.Y+9, 1, alignCenter, colorText)
	}
	drawText(c.img, label, a.Min.X+a.Dx()/2, a.Max.Y+32, 1, alignCenter, colorText)
	line(c.img, float64(a.Min.X), float64(a.Max.Y), float64(a.Max.X), float64(a.Max.Y), 1, colorAxis)
}

// drawYAxis draws the horizontal grid lines at 1, 2 and 5 times the powers
// of ten (only the powers of ten over more than three decades), their
// labels and the axis label, rotated.
func (c *chart) drawYAxis(label string) {
	a := c.area
	mantissas := []float64{1, 2, 5}
	if c.ly1-c.ly0 > 3 {
		mantissas = []float64{1}
	}
	for e := math.Floor(c.ly0); e <= math.Ceil(c.ly1); e++ {
		for _, m := range mantissas {
			v := m * math.Pow(10, e)
			ly := math.Log10(v)
			if ly < c.ly0 || ly > c.ly1 {
				continue
			}
			_, fy := c.px(c.x0, ly)
			line(c.img, float64(a.Min.X), fy, float64(a.Max.X), fy, 1, colorGrid)
			line(c.img, float64(a.Min.X)-5, fy, float64(a.Min.X), fy, 1, colorAxis)
			drawText(c.img, formatTick(v), a.Min.X-9, int(fy)-glyphHeight/2, 1, alignRight, colorText)
		}
	}
	drawTextUp(c.img, label, 22, a.Min.Y+a.Dy()/2, colorText)
	line(c.img, float64(a.Min.X), float64(a.Min.Y), float64(a.Min.X), float64(a.Max.Y), 1, colorAxis)
}

// formatTick renders a QPS tick value: 0.5, 20, 500, 2k, 10k, 1M.
func formatTick(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// niceStep returns the smallest of 1, 2 and 5 times a power of ten that is
// at least raw.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// drawRuns draws the nprobe runs as a line of dots in nprobe order and the
// exact runs as squares, each labelled.
func (c *chart) drawRuns(runs []benchRunJSON) {
	ivf := slices.DeleteFunc(slices.Clone(runs), func(r benchRunJSON) bool { return r.Exact })
	slices.SortStableFunc(ivf, func(a, b benchRunJSON) int { return a.NProbe - b.NProbe })
	for i := 1; i < len(ivf); i++ {
		x0, y0 := c.px(ivf[i-1].Recall, math.Log10(max(ivf[i-1].QPS, 1e-3)))
		x1, y1 := c.px(ivf[i].Recall, math.Log10(max(ivf[i].QPS, 1e-3)))
		line(c.img, x0, y0, x1, y1, 2, colorIVF)
	}
	var placed []struct {
		x, y  float64
		label string
	}
	for _, r := range runs {
		x, y := c.px(r.Recall, math.Log10(max(r.QPS, 1e-3)))
		if r.Exact {
			square(c.img, x, y, 5, colorExact)
		} else {
			disc(c.img, x, y, 4.5, colorIVF)
		}
		c.labelRects = append(c.labelRects, image.Rect(int(x)-5, int(y)-5, int(x)+6, int(y)+6))
		placed = append(placed, struct {
			x, y  float64
			label string
		}{x, y, r.label()})
	}
	for _, p := range placed {
		c.placeLabel(p.label, p.x, p.y)
	}
}

// placeLabel writes a data label beside the marker at (x, y), at the first
// of a few positions that stays inside the plot area and overlaps no marker
// or label drawn so far (at the first position when none is free).
func (c *chart) placeLabel(s string, x, y float64) {
	w, h := len(s)*glyphWidth, glyphHeight
	ix, iy := int(x), int(y)
	var candidates []image.Point
	for d := range 6 {
		off := d * (h + 1)
		candidates = append(candidates,
			image.Pt(ix+8, iy-h/2-off), // right, then up the right side
			image.Pt(ix-8-w, iy-h/2-off),
			image.Pt(ix+8, iy-h/2+off),
			image.Pt(ix-8-w, iy-h/2+off),
		)
	}
	best, moved := candidates[0], false
	for i, p := range candidates {
		r := image.Rect(p.X-1, p.Y-1, p.X+w+1, p.Y+h+1)
		if !r.In(c.area) || slices.ContainsFunc(c.labelRects, r.Overlaps) {
			continue
		}
		best, moved = p, i >= 2 // the first two sit level with the marker
		break
	}
	if moved { // a thin leader line ties a displaced label to its marker
		lx, ly := float64(best.X-2), float64(best.Y+h/2)
		if best.X < ix {
			lx = float64(best.X + w + 1)
		}
		// Start outside the marker, which has a radius of about 5.
		if d := math.Hypot(lx-x, ly-y); d > 7 {
			line(c.img, x+(lx-x)*7/d, y+(ly-y)*7/d, lx, ly, 1, colorLeader)
		}
	}
	c.labelRects = append(c.labelRects, image.Rect(best.X-1, best.Y-1, best.X+w+1, best.Y+h+1))
	drawText(c.img, s, best.X, best.Y, 1, alignLeft, colorText)
}

// drawLegend explains the two marker kinds under the x axis label.
func (c *chart) drawLegend(runs []benchRunJSON) {
	type entry struct {
		text  string
		exact bool
	}
	var entries []entry
	if slices.ContainsFunc(runs, func(r benchRunJSON) bool { return !r.Exact }) {
		entries = append(entries, entry{"IVF search (point label = nprobe)", false})
	}
	if slices.ContainsFunc(runs, func(r benchRunJSON) bool { return r.Exact }) {
		entries = append(entries, entry{"exact search", true})
	}
	const sample, gap = 30, 28 // marker sample width, space between entries
	width := 0
	for _, e := range entries {
		width += sample + 8 + len(e.text)*glyphWidth
	}
	width += gap * (len(entries) - 1)
	box := image.Rect(0, 0, width+24, glyphHeight+14).Add(
		image.Pt(c.area.Min.X+(c.area.Dx()-width-24)/2, c.area.Max.Y+60))
	strokeRect(c.img, box, colorAxis)
	x, y := box.Min.X+12, float64(box.Min.Y+box.Dy()/2)
	for _, e := range entries {
		if e.exact {
			square(c.img, float64(x+sample/2), y, 5, colorExact)
		} else {
			line(c.img, float64(x), y, float64(x+sample), y, 2, colorIVF)
			disc(c.img, float64(x+sample/2), y, 4.5, colorIVF)
		}
		x += sample + 8
		drawText(c.img, e.text, x, int(y)-glyphHeight/2, 1, alignLeft, colorText)
		x += len(e.text)*glyphWidth + gap
	}
}

// fit shortens s to at most n characters, ending it with "..." when cut.
func fit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:max(n-3, 0)] + "..."
}

type textAlign int

const (
	alignLeft textAlign = iota
	alignCenter
	alignRight
)

// textMask renders s in basicfont.Face7x13 as an alpha mask of
// len(s)*7 x 13 pixels. Characters outside the font show as its
// replacement glyph.
func textMask(s string) *image.Alpha {
	mask := image.NewAlpha(image.Rect(0, 0, max(len(s), 1)*glyphWidth, glyphHeight))
	d := font.Drawer{
		Dst:  mask,
		Src:  image.Opaque,
		Face: basicfont.Face7x13,
		Dot:  fixed.P(0, basicfont.Face7x13.Ascent),
	}
	d.DrawString(s)
	return mask
}

// drawText draws s scaled by an integer factor with its top at y and its
// left, centre or right at x.
func drawText(img *image.RGBA, s string, x, y, scale int, align textAlign, col color.RGBA) {
	s = strings.ToValidUTF8(s, "?")
	mask := textMask(s)
	w := mask.Rect.Dx() * scale
	switch align {
	case alignCenter:
		x -= w / 2
	case alignRight:
		x -= w
	}
	for my := range mask.Rect.Dy() {
		for mx := range mask.Rect.Dx() {
			a := mask.AlphaAt(mx, my).A
			if a == 0 {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					blend(img, x+mx*scale+dx, y+my*scale+dy, col, float64(a)/255)
				}
			}
		}
	}
}

// drawTextUp draws s rotated a quarter turn anticlockwise (read bottom to
// top), centred vertically on y, with its top (now its left) at x.
func drawTextUp(img *image.RGBA, s string, x, y int, col color.RGBA) {
	mask := textMask(s)
	w := mask.Rect.Dx()
	for my := range mask.Rect.Dy() {
		for mx := range w {
			if a := mask.AlphaAt(mx, my).A; a != 0 {
				blend(img, x+my, y+w/2-mx, col, float64(a)/255)
			}
		}
	}
}

// blend paints col over the pixel (x, y) with coverage a in [0, 1].
func blend(img *image.RGBA, x, y int, col color.RGBA, a float64) {
	if !(image.Point{x, y}).In(img.Rect) || a <= 0 {
		return
	}
	a = min(a, 1)
	dst := img.RGBAAt(x, y)
	mix := func(d, s uint8) uint8 { return uint8(math.Round(float64(d)*(1-a) + float64(s)*a)) }
	img.SetRGBA(x, y, color.RGBA{mix(dst.R, col.R), mix(dst.G, col.G), mix(dst.B, col.B), 255})
}

// fill paints r with col.
func fill(img *image.RGBA, r image.Rectangle, col color.RGBA) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, col)
		}
	}
}

// strokeRect draws the 1-pixel outline of r.
func strokeRect(img *image.RGBA, r image.Rectangle, col color.RGBA) {
	x0, y0, x1, y1 := float64(r.Min.X), float64(r.Min.Y), float64(r.Max.X), float64(r.Max.Y)
	line(img, x0, y0, x1, y0, 1, col)
	line(img, x0, y1, x1, y1, 1, col)
	line(img, x0, y0, x0, y1, 1, col)
	line(img, x1, y0, x1, y1, 1, col)
}

// line draws an anti-aliased segment of the given width between pixel
// centres (x0, y0) and (x1, y1): each pixel is covered by how far its
// centre lies inside the stroke.
func line(img *image.RGBA, x0, y0, x1, y1, width float64, col color.RGBA) {
	// Pixel (i, j) has its centre at (i+0.5, j+0.5); snapping 1-pixel
	// axis-parallel lines there keeps them crisp.
	x0, y0, x1, y1 = x0+0.5, y0+0.5, x1+0.5, y1+0.5
	half := width / 2
	minX, maxX := int(math.Floor(min(x0, x1)-half-1)), int(math.Ceil(max(x0, x1)+half+1))
	minY, maxY := int(math.Floor(min(y0, y1)-half-1)), int(math.Ceil(max(y0, y1)+half+1))
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	for j := max(minY, img.Rect.Min.Y); j <= min(maxY, img.Rect.Max.Y-1); j++ {
		for i := max(minX, img.Rect.Min.X); i <= min(maxX, img.Rect.Max.X-1); i++ {
			px, py := float64(i)+0.5, float64(j)+0.5
			t := 0.0
			if l2 > 0 {
				t = min(max(((px-x0)*dx+(py-y0)*dy)/l2, 0), 1)
			}
			d := math.Hypot(px-(x0+t*dx), py-(y0+t*dy))
			blend(img, i, j, col, half+0.5-d)
		}
	}
}

// disc draws an anti-aliased filled circle of radius r centred on (x, y).
func disc(img *image.RGBA, x, y, r float64, col color.RGBA) {
	x, y = x+0.5, y+0.5
	for j := int(y - r - 1); j <= int(y+r+1); j++ {
		for i := int(x - r - 1); i <= int(x+r+1); i++ {
			d := math.Hypot(float64(i)+0.5-x, float64(j)+0.5-y)
			blend(img, i, j, col, r+0.5-d)
		}
	}
}

// square draws a filled square of half-side h centred on (x, y).
func square(img *image.RGBA, x, y, h float64, col color.RGBA) {
	r := image.Rect(int(math.Round(x-h)), int(math.Round(y-h)), int(math.Round(x+h))+1, int(math.Round(y+h))+1)
	fill(img, r, col)
}
