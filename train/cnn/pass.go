package cnn

import "math"

// scratch holds one image's activations (and, for training, their
// gradients). Each goroutine uses its own.
type scratch struct {
	col1, a1, p1, col2, a2, p2 []float32
	arg1, arg2                 []int32
	emb, unit, logits          []float32
	norm                       float32 // ‖emb‖ (at least normEps)

	// Gradients, allocated only for training.
	dp1, da1, dcol2, da2, dp2 []float32
	demb, dunit, dlogits      []float32
	cb                        convBack
}

// normEps is the smallest norm the normalisation divides by.
const normEps = 1e-12

func newScratch(l *layout, train bool) *scratch {
	s := &scratch{
		col1: make([]float32, l.h*l.w*l.k1), a1: make([]float32, l.h*l.w*l.f1),
		p1: make([]float32, l.ph*l.pw*l.f1), arg1: make([]int32, l.ph*l.pw*l.f1),
		col2: make([]float32, l.ph*l.pw*l.k2), a2: make([]float32, l.ph*l.pw*l.f2),
		p2: make([]float32, l.flat), arg2: make([]int32, l.flat),
		emb: make([]float32, l.dim), unit: make([]float32, l.dim), logits: make([]float32, l.classes),
	}
	if train {
		s.dp1, s.da1 = make([]float32, len(s.p1)), make([]float32, len(s.a1))
		s.dcol2, s.da2 = make([]float32, len(s.col2)), make([]float32, len(s.a2))
		s.dp2 = make([]float32, l.flat)
		s.demb, s.dunit = make([]float32, l.dim), make([]float32, l.dim)
		s.dlogits = make([]float32, l.classes)
	}
	return s
}

// forward runs img through the network up to the normalised embedding
// (s.unit).
func (n *Net) forward(s *scratch, img []float32) {
	l, p := &n.l, n.params
	im2col(s.col1, img, l.h, l.w, l.c)
	convReLU(s.a1, s.col1, n.wk1, p[l.b1:l.w2], l.h*l.w, l.k1, l.f1)
	maxPool2(s.p1, s.arg1, s.a1, l.h, l.w, l.f1)
	im2col(s.col2, s.p1, l.ph, l.pw, l.f1)
	convReLU(s.a2, s.col2, n.wk2, p[l.b2:l.we], l.ph*l.pw, l.k2, l.f2)
	maxPool2(s.p2, s.arg2, s.a2, l.ph, l.pw, l.f2)
	dense(s.emb, s.p2, p[l.we:l.be], p[l.be:l.wh])
	var ss float64
	for _, v := range s.emb {
		ss += float64(v) * float64(v)
	}
	s.norm = float32(max(math.Sqrt(ss), normEps))
	inv := 1 / s.norm
	for i, v := range s.emb {
		s.unit[i] = v * inv
	}
}

// headInput returns the vector the classification head sees: Scale times
// the unit embedding, or the raw embedding when Scale is 0.
func (n *Net) headInput(s *scratch) []float32 {
	if n.cfg.Scale == 0 {
		return s.emb
	}
	for i, v := range s.unit {
		s.dunit[i] = v * n.cfg.Scale // dunit is free until backward
	}
	return s.dunit
}

// lossGrad runs img forward through the head and, when grad is not nil,
// adds the gradient of weight × the cross-entropy loss of label to grad
// (laid out as the parameters). It returns the loss and whether the head's
// top class is the label.
func (n *Net) lossGrad(s *scratch, img []float32, label int, weight float32, grad []float32) (float64, bool) {
	l, p := &n.l, n.params
	n.forward(s, img)
	z := n.headInput(s)
	dense(s.logits, z, p[l.wh:l.bh], p[l.bh:])
	top, mx := 0, s.logits[0]
	for i, v := range s.logits {
		if v > mx {
			top, mx = i, v
		}
	}
	var sum float64
	for _, v := range s.logits {
		sum += math.Exp(float64(v - mx))
	}
	loss := math.Log(sum) - float64(s.logits[label]-mx)
	if grad == nil {
		return loss, top == label
	}
	for i, v := range s.logits {
		q := math.Exp(float64(v-mx)) / sum
		if i == label {
			q--
		}
		s.dlogits[i] = weight * float32(q)
	}
	g := grad
	denseBack(g[l.wh:l.bh], g[l.bh:], s.demb, s.dlogits, z, p[l.wh:l.bh])
	if sc := n.cfg.Scale; sc != 0 {
		// d unit = Scale × d z; d emb = (d unit − unit·(unit·d unit)) / ‖emb‖.
		var ud float32
		for i, u := range s.unit {
			ud += u * sc * s.demb[i]
		}
		inv := 1 / s.norm
		for i, u := range s.unit {
			s.demb[i] = (sc*s.demb[i] - u*ud) * inv
		}
	}
	denseBack(g[l.we:l.be], g[l.be:l.wh], s.dp2, s.demb, s.p2, p[l.we:l.be])
	maxPool2Back(s.da2, s.dp2, s.arg2)
	convReLUBack(&s.cb, g[l.w2:l.b2], g[l.b2:l.we], s.dcol2, s.da2, s.a2, s.col2, p[l.w2:l.b2], l.ph*l.pw, l.k2, l.f2)
	col2im(s.dp1, s.dcol2, l.ph, l.pw, l.f1)
	maxPool2Back(s.da1, s.dp1, s.arg1)
	convReLUBack(&s.cb, g[l.w1:l.b1], g[l.b1:l.w2], nil, s.da1, s.a1, s.col1, p[l.w1:l.b1], l.h*l.w, l.k1, l.f1)
	return loss, top == label
}
