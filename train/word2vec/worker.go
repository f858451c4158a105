package word2vec

import (
	"context"
	"math"
	"unsafe"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/quant"
	"github.com/vecdb/vecdb/train/text"
)

// worker trains on the chunks it receives. It owns its random numbers and
// scratch vectors; the matrices are shared with the other workers and
// updated without locks.
type worker struct {
	_   [cacheLine]byte // keeps the fields below off other objects' lines
	t   *trainer
	rng rng
	// alpha is the current learning rate, recomputed every syncWords.
	alpha float32
	// pending counts the words trained since the last sync.
	pending int64
	// lossSum and lossN accumulate the loss since the last sync.
	lossSum float64
	lossN   int64
	// kept is the current sentence after subsampling.
	kept []int32
	// e is the gradient of the input vector of one example; h a hidden
	// (mean) input vector; grad the summed gradient of a subword centre.
	e, h, grad []float32
	// rows lists input rows (CBOW with subwords).
	rows []int32
	// ids and scores hold the targets of one negative-sampling step and
	// their scores, then gradients.
	ids    []int32
	scores []float32
	// plans are the current and the next centre word's random choices.
	plans [2]plan
	// hot holds private copies of the hottest output rows (nil with one
	// worker); see hot.go.
	hot *hotRows
	// cold is scratch for prefetchOut.
	cold []int32
	_    [cacheLine]byte
}

func newWorker(t *trainer, i int) *worker {
	return &worker{
		t:      t,
		rng:    newRNG(t.opts.Seed, i),
		alpha:  float32(t.opts.Alpha),
		e:      isolated[float32](t.dim),
		h:      isolated[float32](t.dim),
		grad:   isolated[float32](t.dim),
		ids:    isolated[int32](t.opts.Negative + 1)[:0],
		scores: isolated[float32](t.opts.Negative + 1),
		hot:    newHotRows(t.hot, t.out, t.dim),
	}
}

// isolated returns a slice of n zero elements with a cache line of padding
// on either side. Every worker writes its scratch slices all the time;
// were two workers' slices to share a cache line, the line would bounce
// between cores at a cost far above the arithmetic (false sharing).
func isolated[T any](n int) []T {
	var z T
	pad := (cacheLine + int(unsafe.Sizeof(z)) - 1) / int(unsafe.Sizeof(z))
	return make([]T, n+2*pad)[pad : pad+n : pad+n]
}

// cacheLine is the cache line size of the machines that matter (x86-64 and
// most arm64; Apple's 128-byte lines are covered by the two lines padding
// isolated's neighbours).
const cacheLine = 64

func (w *worker) run(ctx context.Context, chunks <-chan *text.Chunk) error {
	for ch := range chunks {
		if err := w.chunk(ctx, ch); err != nil {
			return err
		}
	}
	w.sync()
	return nil
}

// sync publishes the words and loss since the last sync and takes the
// learning rate for the words trained so far by all workers.
func (w *worker) sync() {
	t := w.t
	if w.hot != nil {
		w.hot.merge(t.out, t.dim)
	}
	done := t.done.Add(w.pending)
	w.pending = 0
	w.alpha = float32(t.alphaAt(done))
	if w.lossN > 0 {
		t.loss.Lock()
		t.loss.sum += w.lossSum
		t.loss.n += w.lossN
		t.loss.Unlock()
		w.lossSum, w.lossN = 0, 0
	}
}

// checkChunk reports a chunk whose sentence ends or ids are out of range,
// so that a faulty Source gives an error rather than a panic.
func checkChunk(ch *text.Chunk, n int) error {
	prev := int32(0)
	for i, end := range ch.Ends {
		if end < prev || int(end) > len(ch.IDs) {
			return errors.Newf("word2vec: chunk sentence %d ends at %d, outside [%d, %d]", i, end, prev, len(ch.IDs))
		}
		prev = end
	}
	if int(prev) != len(ch.IDs) {
		return errors.Newf("word2vec: chunk has %d ids after its last sentence end", len(ch.IDs)-int(prev))
	}
	for _, id := range ch.IDs {
		if id < 0 || int(id) >= n {
			return errors.Newf("word2vec: id %d out of range [0, %d)", id, n)
		}
	}
	return nil
}

func (w *worker) chunk(ctx context.Context, ch *text.Chunk) error {
	t := w.t
	if err := checkChunk(ch, t.nwords); err != nil {
		return err
	}
	for i := range ch.Ends {
		sent := ch.Sentence(i)
		w.pending += int64(len(sent))
		w.subsample(sent)
		switch {
		case t.sub != nil && t.opts.Arch == CBOW:
			w.cbowSubword()
		case t.sub != nil:
			w.skipGramSubword()
		case t.opts.Arch == CBOW:
			w.cbow()
		default:
			w.skipGram()
		}
		if w.pending >= syncWords {
			w.sync()
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// subsample sets w.kept to the words of sent that survive frequent-word
// subsampling. Like word2vec and gensim, the windows are then taken over
// the kept words, which widens them past the dropped ones.
func (w *worker) subsample(sent []int32) {
	keep := w.t.keep
	if cap(w.kept) < len(sent) {
		w.kept = isolated[int32](len(sent))
	}
	kept := w.kept[:0]
	for _, id := range sent {
		if k := keep[id]; k == math.MaxUint32 || uint32(w.rng.next()) < k {
			kept = append(kept, id)
		}
	}
	w.kept = kept
}

// plan holds the random choices for one centre word: its window [lo, hi)
// and the negatives of each of its examples, Negative ids apiece. The
// trainers draw the plan of the next centre word before training the
// current one, so that the rows it will need can be prefetched meanwhile.
type plan struct {
	lo, hi int
	negs   []int32
}

// draw fills p for position i of w.kept: the window after the random
// shrink, and Negative negatives for each of examples examples.
func (w *worker) draw(p *plan, i, examples int) {
	n, win := len(w.kept), w.t.opts.Window
	win -= w.rng.intn(win)
	p.lo, p.hi = max(i-win, 0), min(i+win+1, n)
	if examples < 0 {
		examples = p.hi - p.lo - 1
	}
	k := examples * w.t.opts.Negative
	if cap(p.negs) < k {
		p.negs = isolated[int32](k)
	}
	p.negs = p.negs[:k]
	for j := range p.negs {
		p.negs[j] = w.t.neg.draw(w.rng.next())
	}
}

// skipGram trains word2vec's skip-gram over w.kept: for every centre word
// and every context word, the context word's input vector predicts the
// centre word against Negative samples.
func (w *worker) skipGram() {
	in, dim, k := w.t.in, w.t.dim, w.t.opts.Negative
	kept := w.kept
	cur, next := &w.plans[0], &w.plans[1]
	if len(kept) > 0 {
		w.draw(cur, 0, -1)
	}
	for i, word := range kept {
		if i+1 < len(kept) {
			w.draw(next, i+1, -1)
			w.prefetchOut(kept[i+1 : i+2])
			w.prefetchOut(next.negs)
			if next.hi > cur.hi {
				prefetchRows(in, kept[cur.hi:next.hi], dim)
			}
		}
		ex := 0
		for j := cur.lo; j < cur.hi; j++ {
			if j == i {
				continue
			}
			c := int(kept[j]) * dim
			x := in[c : c+dim : c+dim]
			w.negSample(x, word, cur.negs[ex*k:ex*k+k])
			quant.Axpy(1, w.e, x)
			ex++
		}
		cur, next = next, cur
	}
}

// cbow trains CBOW: the mean of the context's input vectors predicts the
// centre word, and every context vector receives the whole gradient (as in
// word2vec and gensim with cbow_mean).
func (w *worker) cbow() {
	in, dim := w.t.in, w.t.dim
	kept, h := w.kept, w.h
	cur, next := &w.plans[0], &w.plans[1]
	if len(kept) > 0 {
		w.draw(cur, 0, 1)
	}
	for i, word := range kept {
		if i+1 < len(kept) {
			w.draw(next, i+1, 1)
			w.prefetchOut(kept[i+1 : i+2])
			w.prefetchOut(next.negs)
			if next.hi > cur.hi {
				prefetchRows(in, kept[cur.hi:next.hi], dim)
			}
		}
		lo, hi, negs := cur.lo, cur.hi, cur.negs
		cur, next = next, cur // negs stays valid until the next draw
		n := hi - lo - 1
		if n == 0 {
			continue
		}
		inv := 1 / float32(n)
		clear(h)
		for j := lo; j < hi; j++ {
			if j != i {
				c := int(kept[j]) * dim
				quant.Axpy(inv, in[c:c+dim:c+dim], h)
			}
		}
		w.negSample(h, word, negs)
		for j := lo; j < hi; j++ {
			if j != i {
				c := int(kept[j]) * dim
				quant.Axpy(1, w.e, in[c:c+dim:c+dim])
			}
		}
	}
}

// skipGramSubword trains fastText's skip-gram: the centre word's input is
// the mean of its rows (its own and its n-grams'), and it predicts each
// context word. fastText recomputes that mean and adds the gradient to
// every row after each context word; since the mean then moves by exactly
// the gradient, this keeps the mean up to date in h and adds the summed
// gradient to the rows once per centre word, which gives the same result
// (up to rounding, repeated n-gram buckets and other threads) for a
// fraction of the work.
func (w *worker) skipGramSubword() {
	in, dim, k := w.t.in, w.t.dim, w.t.opts.Negative
	kept, h, grad, e := w.kept, w.h, w.grad, w.e
	cur, next := &w.plans[0], &w.plans[1]
	if len(kept) > 0 {
		w.draw(cur, 0, -1)
	}
	for i, word := range kept {
		if i+1 < len(kept) {
			w.draw(next, i+1, -1)
			prefetchRows(in, w.t.sub.rows(kept[i+1]), dim)
			w.prefetchOut(kept[next.lo:next.hi])
			w.prefetchOut(next.negs)
		}
		rows := w.t.sub.rows(word)
		w.meanRows(rows)
		clear(grad)
		ex := 0
		for j := cur.lo; j < cur.hi; j++ {
			if j == i {
				continue
			}
			w.negSample(h, kept[j], cur.negs[ex*k:ex*k+k])
			quant.Axpy(1, e, h)
			quant.Axpy(1, e, grad)
			ex++
		}
		for _, r := range rows {
			c := int(r) * dim
			quant.Axpy(1, grad, in[c:c+dim:c+dim])
		}
		cur, next = next, cur
	}
}

// cbowSubword trains fastText's CBOW: the mean of all the rows of all the
// context words predicts the centre word, and each of those rows receives
// the whole gradient.
func (w *worker) cbowSubword() {
	in, dim := w.t.in, w.t.dim
	kept := w.kept
	cur, next := &w.plans[0], &w.plans[1]
	if len(kept) > 0 {
		w.draw(cur, 0, 1)
	}
	for i, word := range kept {
		if i+1 < len(kept) {
			w.draw(next, i+1, 1)
			w.prefetchOut(kept[i+1 : i+2])
			w.prefetchOut(next.negs)
			for j := max(cur.hi, next.lo); j < next.hi; j++ {
				prefetchRows(in, w.t.sub.rows(kept[j]), dim)
			}
		}
		lo, hi := cur.lo, cur.hi
		negs := cur.negs
		n := 0
		for j := lo; j < hi; j++ {
			if j != i {
				n += len(w.t.sub.rows(kept[j]))
			}
		}
		if cap(w.rows) < n {
			w.rows = isolated[int32](2 * n)
		}
		rows := w.rows[:0]
		for j := lo; j < hi; j++ {
			if j != i {
				rows = append(rows, w.t.sub.rows(kept[j])...)
			}
		}
		if len(rows) > 0 {
			w.meanRows(rows)
			w.negSample(w.h, word, negs)
			for _, r := range rows {
				c := int(r) * dim
				quant.Axpy(1, w.e, in[c:c+dim:c+dim])
			}
		}
		cur, next = next, cur
	}
}

// prefetchOut prefetches the output rows of ids. With a hot-row cache it
// leaves out the hot ids: their shared rows are not read while training,
// and pulling their lines in would only take them away from the other
// workers that write them.
func (w *worker) prefetchOut(ids []int32) {
	out, dim := w.t.out, w.t.dim
	if w.hot == nil {
		prefetchRows(out, ids, dim)
		return
	}
	if cap(w.cold) < len(ids) {
		w.cold = isolated[int32](2 * len(ids))
	}
	cold := w.cold[:0]
	for _, id := range ids {
		if w.hot.set.slot[id] < 0 {
			cold = append(cold, id)
		}
	}
	w.cold = cold
	prefetchRows(out, cold, dim)
}

// meanRows sets w.h to the mean of the given input rows.
func (w *worker) meanRows(rows []int32) {
	in, dim, h := w.t.in, w.t.dim, w.h
	inv := 1 / float32(len(rows))
	clear(h)
	for _, r := range rows {
		c := int(r) * dim
		quant.Axpy(inv, in[c:c+dim:c+dim], h)
	}
}

// negSample does one negative-sampling step for input vector x and target
// id: it updates the output rows of the target and of the negatives negs
// (skipping draws of the target itself, as word2vec does) and leaves the
// gradient of x in w.e for the caller to apply.
//
// It computes all the scores before any update. Since x does not change
// during the step, this is what word2vec computes one target at a time,
// except when one id is drawn twice, where the second score misses the
// first update: a rare, harmless difference that lets the CPU overlap the
// independent dot products instead of waiting on each one's latency.
func (w *worker) negSample(x []float32, target int32, negs []int32) {
	out, dim := w.t.out, w.t.dim
	ids := append(w.ids[:0], target)
	for _, id := range negs {
		if id != target {
			ids = append(ids, id)
		}
	}
	w.ids = ids
	f := w.scores[:len(ids)]
	for k, id := range ids {
		f[k] = quant.DotProduct(x, w.hot.row(out, id, dim))
	}
	alpha := w.alpha
	var loss float32
	for k := range f {
		label := float32(0)
		if k == 0 {
			label = 1
		}
		// The table index of the score; NaN (from a diverged run) counts
		// as -inf.
		s := (f[k] + maxExp) * tableStep
		var sig float32
		switch {
		case !(s > 0):
			if label == 1 {
				loss -= f[k]
			}
		case s >= tableSize:
			sig = 1
			if label == 0 {
				loss += f[k]
			}
		default:
			i := int(s)
			sig = sigmoidTable[i]
			if label == 1 {
				loss += softplusTable[tableSize-1-i]
			} else {
				loss += softplusTable[i]
			}
		}
		f[k] = (label - sig) * alpha
	}
	e := w.e[:len(x)]
	clear(e)
	for k, id := range ids {
		quant.AxpyCross(f[k], x, w.hot.row(out, id, dim), e)
	}
	w.lossSum += float64(loss)
	w.lossN++
}
