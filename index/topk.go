package index

import "slices"

// Hit is one search result before ID resolution: a doc id and its distance
// (smaller is closer).
type Hit struct {
	Doc      uint32
	Distance float32
	// Err, in the results of a search whose SearchStats.Bounded is set,
	// bounds the estimate's error: with high probability the exact
	// distance is within Distance ± Err.
	Err float32
	// Probe is the position, in the search's probe order, of the list the
	// hit came from (0: the list whose centroid is closest to the query).
	Probe int32
}

// Less orders hits by distance, then doc id (insertion order), so results
// are deterministic when distances tie.
func Less(a, b Hit) bool {
	return a.Distance < b.Distance || (a.Distance == b.Distance && a.Doc < b.Doc)
}

// TopK keeps the k best hits seen so far in a max-heap (worst on top).
// Not goroutine-safe; reuse with Reset.
type TopK struct {
	k int
	h []Hit
}

// NewTopK returns an empty collector of the k best hits.
func NewTopK(k int) *TopK { return &TopK{k: k, h: make([]Hit, 0, k)} }

// Reset empties t and sets its capacity to k.
func (t *TopK) Reset(k int) { t.k, t.h = k, t.h[:0] }

// Len returns the number of hits held.
func (t *TopK) Len() int { return len(t.h) }

// Full reports whether t holds k hits.
func (t *TopK) Full() bool { return len(t.h) >= t.k }

// Worst returns the distance a new hit must beat (or tie with a smaller doc
// id) once t is full; +Inf-like behaviour is left to callers via Full.
func (t *TopK) Worst() float32 { return t.h[0].Distance }

// Push offers a hit.
func (t *TopK) Push(x Hit) {
	if t.k <= 0 {
		return
	}
	if len(t.h) < t.k {
		t.h = append(t.h, x)
		t.up(len(t.h) - 1)
		return
	}
	if !Less(x, t.h[0]) {
		return
	}
	t.h[0] = x
	t.down(0)
}

func (t *TopK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !Less(t.h[p], t.h[i]) {
			return
		}
		t.h[p], t.h[i] = t.h[i], t.h[p]
		i = p
	}
}

func (t *TopK) down(i int) {
	n := len(t.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && Less(t.h[l], t.h[r]) {
			m = r
		}
		if !Less(t.h[i], t.h[m]) {
			return
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// Sorted returns the hits best first, appended to dst. t is emptied.
func (t *TopK) Sorted(dst []Hit) []Hit {
	n := len(t.h)
	start := len(dst)
	dst = append(dst, make([]Hit, n)...)
	for i := n - 1; i >= 0; i-- {
		dst[start+i] = t.h[0]
		last := len(t.h) - 1
		t.h[0] = t.h[last]
		t.h = t.h[:last]
		t.down(0)
	}
	return dst
}

// Kth returns the distance of the k-th best hit (1 <= k <= Len()), using
// buf as working memory, and buf.
func (t *TopK) Kth(k int, buf []float32) (float32, []float32) {
	buf = buf[:0]
	for _, h := range t.h {
		buf = append(buf, h.Distance)
	}
	slices.Sort(buf)
	return buf[k-1], buf
}
