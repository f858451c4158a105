package glove

// adagradGo is the portable AdaGrad update of one record: for each k it
// computes the clipped scaled gradients t1 = clip(fdiff·wj[k]) of wi[k] and
// t2 = clip(fdiff·wi[k]) of wj[k] from the old values, moves wi[k] by
// −t1/√gi[k] and wj[k] by −t2/√gj[k], and adds t1², t2² to gi[k], gj[k].
// Every operation is rounded to float32 on its own (no fused multiply-add),
// so that the vector kernels give bit-identical results. All four slices
// have the length of wi.
func adagradGo(wi, wj, gi, gj []float32, fdiff float32) {
	wj, gi, gj = wj[:len(wi)], gi[:len(wi)], gj[:len(wi)]
	for k := range wi {
		t1 := clip(fdiff * wj[k])
		t2 := clip(fdiff * wi[k])
		wi[k] -= t1 / sqrt32(gi[k])
		wj[k] -= t2 / sqrt32(gj[k])
		gi[k] += float32(t1 * t1)
		gj[k] += float32(t2 * t2)
	}
}

// clip bounds a scaled gradient component to ±gradClip.
func clip(x float32) float32 {
	if x > gradClip {
		return gradClip
	}
	if x < -gradClip {
		return -gradClip
	}
	return x
}
