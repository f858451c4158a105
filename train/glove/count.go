package glove

import (
	"cmp"
	"context"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/train/text"
	"golang.org/x/sync/errgroup"
)

// Cooccurrences holds the co-occurrence counts X_ij of a corpus, as made by
// [Count]: partly in memory (a dense table of frequent pairs and a sorted
// buffer of the others) and partly in sorted run files in a temporary
// directory. Read it with [Cooccurrences.NewIter] or train on it with
// [TrainCooccurrences], any number of times, then Close it to free the
// memory and remove the files.
//
// The matrix is symmetric: X_ij = X_ji is the sum of 1/d over the
// occurrences of words i and j d ≤ Window positions apart in a line, and
// X_ii counts each such occurrence of i near itself from both sides (2/d),
// as GloVe's symmetric counting does. Counts are exact: they are kept as
// integers in units of 1/lcm(1..Window), so the result does not depend on
// the memory budget or the order of the additions.
//
// A Cooccurrences is not goroutine-safe.
type Cooccurrences struct {
	vocab  int
	unit   uint64   // 1/unit is the smallest weight step
	weight []uint64 // weight[d] = unit/d, d = 1..window

	// The dense table holds the pairs i ≤ j < rowEnd[i] at
	// dense[rowBase[i]+j]: GloVe's table of pairs whose rank product
	// (i+1)(j+1) is at most maxProduct, the most frequent ones.
	dense   []uint64
	rowBase []int64
	rowEnd  []uint32

	// buf holds the other pairs; sorted and compacted when sorted is set.
	// It grows by doubling up to bufLimit records.
	buf      []pairRec
	bufLimit int
	sorted   bool

	tempDir string // where dir is made
	dir     string // this Count's spill directory, made on first use
	runs    []runInfo
	nextRun int

	tokens, updates int64
	closed          bool
}

// pairRec is one buffered count: key packs the word ids i ≤ j as i<<32 | j,
// n is the count in units.
type pairRec struct{ key, n uint64 }

func pairKey(i, j uint32) uint64 { return uint64(i)<<32 | uint64(j) }

func splitKey(key uint64) (i, j uint32) { return uint32(key >> 32), uint32(key) }

// Count reads the corpus once and counts the co-occurrences of the words of
// v within opts.Window (see [Cooccurrences]), within opts.MemoryBytes,
// spilling to opts.TempDir past it. Only Window, MemoryBytes, TempDir and
// Progress matter here, but all the options are validated. The caller must
// Close the result. On error nothing is left behind on disk.
func Count(ctx context.Context, c *text.Corpus, v *text.Vocab, opts Options) (*Cooccurrences, error) {
	o, err := prepare(opts)
	if err != nil {
		return nil, err
	}
	return count(ctx, c, v, &o, time.Now())
}

func count(ctx context.Context, c *text.Corpus, v *text.Vocab, o *Options, start time.Time) (*Cooccurrences, error) {
	if c == nil || v == nil || v.Len() == 0 {
		return nil, errors.New("glove: a corpus and a non-empty vocabulary are required")
	}
	if int64(v.Len()) > 1<<31-1 {
		return nil, errors.Newf("glove: vocabulary of %d words is too large", v.Len())
	}
	co := newCooccurrences(v.Len(), o.Window, o.MemoryBytes, o.TempDir)
	g, gctx := errgroup.WithContext(ctx)
	chunks := make(chan *text.Chunk, 2)
	g.Go(func() error {
		defer close(chunks)
		return c.Stream(gctx, v, text.StreamOptions{}, func(ch *text.Chunk) error {
			select {
			case chunks <- ch:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	g.Go(func() error {
		for ch := range chunks {
			if err := gctx.Err(); err != nil {
				return err
			}
			if err := co.addChunk(ch, o.Window); err != nil {
				return err
			}
			o.report(Progress{Stage: StageCount, Tokens: co.tokens, Records: co.updates,
				Runs: len(co.runs), Elapsed: time.Since(start)})
		}
		return nil
	})
	err := g.Wait()
	if err == nil {
		err = ctx.Err() // a cancellation the stream did not notice
	}
	if err != nil {
		return nil, errors.CombineErrors(errors.Wrap(err, "counting co-occurrences"), co.Close())
	}
	co.compact()
	return co, nil
}

// newCooccurrences sizes the tables for a vocabulary of n words and a
// budget of mem bytes, half for the dense table and half for the buffer.
func newCooccurrences(n, window int, mem int64, tempDir string) *Cooccurrences {
	co := &Cooccurrences{vocab: n, unit: 1, weight: make([]uint64, window+1), tempDir: tempDir}
	for d := 2; d <= window; d++ {
		co.unit = lcm(co.unit, uint64(d))
	}
	for d := 1; d <= window; d++ {
		co.weight[d] = co.unit / uint64(d)
	}
	maxProduct := denseProduct(n, mem/2/denseCellBytes)
	co.rowBase = make([]int64, n)
	co.rowEnd = make([]uint32, n)
	var cells int64
	for i := range n {
		end := rowEnd(n, i, maxProduct)
		co.rowEnd[i] = uint32(end)
		co.rowBase[i] = cells - int64(i)
		cells += max(0, end-int64(i))
	}
	co.dense = make([]uint64, cells)
	co.bufLimit = int(max(1, mem/2/sparseRecordBytes))
	co.buf = make([]pairRec, 0, min(co.bufLimit, 1<<12))
	return co
}

func lcm(a, b uint64) uint64 {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

// rowEnd returns the end of row i of the dense table for a vocabulary of n
// words: the pairs (i, j) with i ≤ j and (i+1)(j+1) ≤ maxProduct.
func rowEnd(n, i int, maxProduct int64) int64 {
	return min(int64(n), maxProduct/int64(i+1))
}

// denseCells returns the number of cells of the dense table.
func denseCells(n int, maxProduct int64) int64 {
	var cells int64
	for i := range n {
		end := rowEnd(n, i, maxProduct)
		if end <= int64(i) {
			break // rows only get shorter
		}
		cells += end - int64(i)
	}
	return cells
}

// denseProduct returns the largest rank product whose dense table fits in
// maxCells cells.
func denseProduct(n int, maxCells int64) int64 {
	lo, hi := int64(0), int64(n)*int64(n)
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if denseCells(n, mid) <= maxCells {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// addChunk counts the pairs of each sentence of ch.
func (co *Cooccurrences) addChunk(ch *text.Chunk, window int) error {
	co.tokens += ch.Tokens
	for s := range ch.Ends {
		ids := ch.Sentence(s)
		for p := 1; p < len(ids); p++ {
			w := uint32(ids[p])
			lo := max(0, p-window)
			for q := p - 1; q >= lo; q-- {
				if err := co.add(uint32(ids[q]), w, co.weight[p-q]); err != nil {
					return err
				}
			}
			co.updates += int64(p - lo)
		}
	}
	return nil
}

// add adds u to X_ab (and so to X_ba).
func (co *Cooccurrences) add(a, b uint32, u uint64) error {
	if a > b {
		a, b = b, a
	} else if a == b {
		u *= 2
	}
	if b < co.rowEnd[a] {
		co.dense[co.rowBase[a]+int64(b)] += u
		return nil
	}
	if len(co.buf) == cap(co.buf) {
		if err := co.makeRoom(); err != nil {
			return err
		}
	}
	co.buf = append(co.buf, pairRec{key: pairKey(a, b), n: u})
	co.sorted = false
	return nil
}

// makeRoom makes room in the full buffer: it doubles it while under the
// limit, and otherwise compacts it, and spills it to a run file when
// compacting freed less than half.
func (co *Cooccurrences) makeRoom() error {
	if cap(co.buf) < co.bufLimit {
		co.buf = append(make([]pairRec, 0, min(co.bufLimit, 2*cap(co.buf))), co.buf...)
		return nil
	}
	co.compact()
	if len(co.buf) <= cap(co.buf)/2 {
		return nil
	}
	if err := co.spill(&bufSource{recs: co.buf}); err != nil {
		return err
	}
	co.buf = co.buf[:0]
	return nil
}

// compact sorts the buffer by key and sums the counts of equal keys.
func (co *Cooccurrences) compact() {
	if co.sorted {
		return
	}
	buf := co.buf
	slices.SortFunc(buf, func(a, b pairRec) int { return cmp.Compare(a.key, b.key) })
	n := 0
	for i := range buf {
		if n > 0 && buf[n-1].key == buf[i].key {
			buf[n-1].n += buf[i].n
			continue
		}
		buf[n] = buf[i]
		n++
	}
	co.buf = buf[:n]
	co.sorted = true
}

// spill writes the records of src, sorted by key, to a new run file.
func (co *Cooccurrences) spill(src source) error {
	if err := co.ensureDir(); err != nil {
		return err
	}
	info, err := writeRun(co.dir, co.nextRun, co.vocab, src)
	if err != nil {
		return err
	}
	co.nextRun++
	co.runs = append(co.runs, info)
	return nil
}

// ensureDir makes the spill directory if it does not exist yet.
func (co *Cooccurrences) ensureDir() error {
	if co.dir != "" {
		return nil
	}
	dir, err := os.MkdirTemp(co.tempDir, "glove-")
	if err != nil {
		return errors.Wrap(err, "making spill directory")
	}
	co.dir = dir
	return nil
}

// spillTables moves the in-memory counts into a run file and frees the
// tables, so that the memory budget is free for the training records.
func (co *Cooccurrences) spillTables() error {
	co.compact()
	if len(co.buf) > 0 || co.denseNonZero() {
		src := newMerger([]source{newDenseSource(co), &bufSource{recs: co.buf}})
		if err := co.spill(src); err != nil {
			return err
		}
	}
	co.dense, co.buf = nil, nil
	co.rowEnd = make([]uint32, co.vocab) // no dense cells: all zero
	// Collect the tables now, so that the training records allocated next
	// can reuse their memory instead of adding to it.
	runtime.GC()
	return nil
}

func (co *Cooccurrences) denseNonZero() bool {
	for _, n := range co.dense {
		if n != 0 {
			return true
		}
	}
	return false
}

// memRecords returns an upper bound on the number of (i ≤ j) records held
// in memory, and the bytes the tables take.
func (co *Cooccurrences) memRecords() (records, bytes int64) {
	for _, n := range co.dense {
		if n != 0 {
			records++
		}
	}
	records += int64(len(co.buf))
	bytes = int64(len(co.dense))*denseCellBytes + int64(cap(co.buf))*sparseRecordBytes
	return records, bytes
}

// Runs returns the number of sorted run files the counts currently occupy
// on disk (0 when everything fitted in memory).
func (co *Cooccurrences) Runs() int { return len(co.runs) }

// Tokens returns the number of corpus tokens read, out-of-vocabulary ones
// included.
func (co *Cooccurrences) Tokens() int64 { return co.tokens }

// VocabSize returns the size of the vocabulary the counts were made with.
func (co *Cooccurrences) VocabSize() int { return co.vocab }

// Close frees the tables and removes the spill directory. It is idempotent.
func (co *Cooccurrences) Close() error {
	if co == nil || co.closed {
		return nil
	}
	co.closed = true
	co.dense, co.buf, co.runs = nil, nil, nil
	if co.dir == "" {
		return nil
	}
	return errors.Wrap(os.RemoveAll(co.dir), "removing spill directory")
}
