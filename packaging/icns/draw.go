package icns

import (
	"image"
	"image/color"
	"math"
)

// Draw renders the icon at size×size pixels: a rounded square in a
// vertical blue gradient with two interlocking rings, the two ends of a
// portal. Coverage is supersampled per pixel (4×4 up to 64 px, 2×2 up to
// 512 px, none above) so edges stay smooth at small sizes without making
// the 1024 px image slow to draw. Only float64 arithmetic on pixel indices
// is used, so the result is the same on every platform.
func Draw(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	samples := 1
	switch {
	case size <= 64:
		samples = 4
	case size <= 512:
		samples = 2
	}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var bg, ring float64
			for sy := 0; sy < samples; sy++ {
				for sx := 0; sx < samples; sx++ {
					u := (float64(x) + (float64(sx)+0.5)/float64(samples)) / float64(size)
					v := (float64(y) + (float64(sy)+0.5)/float64(samples)) / float64(size)
					if inRoundedSquare(u, v) {
						bg++
						if onRing(u, v, 0.38) || onRing(u, v, 0.62) {
							ring++
						}
					}
				}
			}
			n := float64(samples * samples)
			img.SetNRGBA(x, y, shade(float64(y)/float64(size), bg/n, ring/n))
		}
	}
	return img
}

// inRoundedSquare reports whether (u, v), in units of the icon's width,
// lies in the background: a square inset by 10% with corners of radius 18%,
// the proportions of a macOS app icon.
func inRoundedSquare(u, v float64) bool {
	const inset, radius = 0.10, 0.18
	lo, hi := inset+radius, 1-inset-radius
	dx := math.Max(math.Max(lo-u, u-hi), 0)
	dy := math.Max(math.Max(lo-v, v-hi), 0)
	if u < inset || u > 1-inset || v < inset || v > 1-inset {
		return false
	}
	return dx*dx+dy*dy <= radius*radius
}

// onRing reports whether (u, v) lies on a ring centred at (cx, 0.5).
func onRing(u, v, cx float64) bool {
	const radius, width = 0.17, 0.045
	d := math.Hypot(u-cx, v-0.5)
	return math.Abs(d-radius) <= width/2
}

// shade mixes the gradient background and the white rings by their
// coverage; t is the vertical position from 0 (top) to 1 (bottom).
func shade(t, bg, ring float64) color.NRGBA {
	r := 40 + 20*t
	g := 120 - 50*t
	b := 230 - 60*t
	r += (255 - r) * ring / math.Max(bg, 1e-9)
	g += (255 - g) * ring / math.Max(bg, 1e-9)
	b += (255 - b) * ring / math.Max(bg, 1e-9)
	return color.NRGBA{R: uint8(math.Round(r)), G: uint8(math.Round(g)), B: uint8(math.Round(b)), A: uint8(math.Round(255 * bg))}
}
