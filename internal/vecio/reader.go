package vecio

import (
	"bufio"
	"io"
	"strconv"

	"github.com/cockroachdb/errors"
)

// MaxDim is the largest vector dimension a reader accepts. A declared or
// observed dimension above it (or below 1) is an error.
const MaxDim = 1 << 20

// Record is one row of a vector file.
//
// Vector and Meta are owned by the [Reader] and valid only until the next
// call to [Reader.Next]; the caller copies what it keeps. ID may be kept.
type Record struct {
	// Row is the 1-based row number in the file: the record number for
	// fvecs, bvecs, ivecs, npy and w2vbin, the (starting) line number for
	// text, csv and jsonl.
	Row int
	// ID is the record's external ID: the 0-based row index in decimal
	// ("0", "1", ...) for fvecs, bvecs, ivecs and npy; the first field or
	// word for text, csv and w2vbin; the "id" member for jsonl.
	ID string
	// Vector holds the values, converted to float32.
	Vector []float32
	// Meta is the jsonl "meta" object, decoded with json.Decoder.UseNumber
	// so that numbers are json.Number. It is nil for the other formats and
	// for jsonl lines without (or with a null) "meta".
	Meta map[string]any
}

// Reader is a cursor over the records of a vector file, with a sticky error:
//
//	for r.Next() {
//		rec := r.Record()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
//
// Every record of a file has the same dimension; a row that differs is an
// error naming it. A Reader is not safe for concurrent use.
type Reader interface {
	// Next advances to the next record and reports whether there is one. It
	// returns false at the end of the input and after the first error.
	Next() bool
	// Record returns the current record. It and its Vector and Meta are
	// valid until the next call to Next.
	Record() *Record
	// Err returns the first error met, or nil if the input ended cleanly.
	// Errors name the 1-based row ("row 17: ...") or, for line-oriented
	// formats, the line ("line 17: ...").
	Err() error
	// Dim returns the dimension once it is known (from a header, or from
	// the first record), and 0 before.
	Dim() int
	// Close releases the reader. It closes the underlying file only when
	// the reader owns it (readers from OpenReader). It is idempotent.
	Close() error
}

// NewReader returns a Reader of format f over r, which must already be
// decompressed (see [NewDecompressor]). Formats with a header (npy, w2vbin)
// read and check it here. Close does not close r.
func NewReader(r io.Reader, f Format) (Reader, error) {
	br := bufferInput(r)
	switch f {
	case Fvecs, Bvecs, Ivecs:
		return newTexmexReader(br, f), nil
	case Npy:
		return newNpyReader(br)
	case Text:
		return newTextReader(br), nil
	case W2VBin:
		return newW2VReader(br)
	case CSV:
		return newCSVReader(br), nil
	case JSONL:
		return newJSONLReader(br), nil
	}
	return nil, errors.Newf("unknown format %q (want %s)", f, formatList())
}

// OpenReader opens path (decompressing gzip or zstd data, see [Open]) and
// returns a Reader of format f over it. An empty f means
// [FormatFromName](path). The Reader's Close closes the file.
func OpenReader(path string, f Format) (Reader, error) {
	if f == "" {
		var err error
		if f, err = FormatFromName(path); err != nil {
			return nil, err
		}
	}
	rc, err := Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(rc, f)
	if err != nil {
		_ = rc.Close() // the format error is the one to report
		return nil, errors.Wrapf(err, "reading %s", path)
	}
	owned, ok := r.(interface{ setCloser(io.Closer) })
	if !ok {
		panic(errors.AssertionFailedf("vecio: %T does not embed base", r))
	}
	owned.setCloser(rc)
	return r, nil
}

// bufferInput returns a large bufio.Reader over r, reusing the one of a
// stream that NewDecompressor left uncompressed.
func bufferInput(r io.Reader) *bufio.Reader {
	if b, ok := r.(interface{ bufferedReader() *bufio.Reader }); ok {
		if br := b.bufferedReader(); br != nil {
			return br
		}
	}
	return bufio.NewReaderSize(r, readBufferSize)
}

// base holds what every format's reader shares: the input, the current
// record, the sticky error and the dimension.
type base struct {
	br     *bufio.Reader
	rec    Record
	err    error
	dim    int
	done   bool
	closer io.Closer
}

// Record implements Reader.
func (b *base) Record() *Record { return &b.rec }

// Err implements Reader.
func (b *base) Err() error { return b.err }

// Dim implements Reader.
func (b *base) Dim() int { return b.dim }

// Close implements Reader.
func (b *base) Close() error {
	b.done = true
	c := b.closer
	b.closer = nil
	if c == nil {
		return nil
	}
	return c.Close()
}

func (b *base) setCloser(c io.Closer) { b.closer = c }

// fail records err as the sticky error and returns false, for Next.
func (b *base) fail(err error) bool {
	b.err = err
	b.done = true
	return false
}

// finish marks a clean end of input and returns false, for Next.
func (b *base) finish() bool {
	b.done = true
	return false
}

// checkDim checks the dimension n of the record that unit ("row" or
// "line") number at holds against MaxDim and the dimension of the records
// before it, and sets the reader's dimension from the first record.
func (b *base) checkDim(unit string, at, n int) error {
	if n < 1 || n > MaxDim {
		return errors.Newf("%s %d: dimension %d out of range [1, %d]", unit, at, n, MaxDim)
	}
	if b.dim == 0 {
		b.dim = n
		return nil
	}
	if n != b.dim {
		return errors.Newf("%s %d: dimension %d, want %d (from the first record)", unit, at, n, b.dim)
	}
	return nil
}

// resize returns v with length n, reusing its storage when it is big enough.
func resize(v []float32, n int) []float32 {
	if cap(v) >= n {
		return v[:n]
	}
	return make([]float32, n)
}

// readFullGrow reads exactly n bytes from r into buf (reusing its storage)
// and returns them. When buf is too small it grows in steps no larger than
// what has already been read (and at least 64 KiB), so a declared size that
// the input does not back never causes a large allocation. On a short read
// it returns the bytes read with io.ErrUnexpectedEOF (or io.EOF when none).
func readFullGrow(r io.Reader, buf []byte, n int) ([]byte, error) {
	if cap(buf) >= n {
		buf = buf[:n]
		k, err := io.ReadFull(r, buf)
		return buf[:k], err
	}
	buf = buf[:0]
	for len(buf) < n {
		step := min(n-len(buf), max(64<<10, len(buf)))
		if cap(buf)-len(buf) < step {
			nb := make([]byte, len(buf), len(buf)+step)
			copy(nb, buf)
			buf = nb
		}
		k, err := io.ReadFull(r, buf[len(buf):len(buf)+step])
		buf = buf[:len(buf)+k]
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}

// rowIDBatch is how many consecutive row IDs rowIDs formats at once.
const rowIDBatch = 1024

// rowIDs hands out the decimal strings "0", "1", ... for row indexes with
// one allocation per rowIDBatch rows: it formats a batch into one string and
// returns substrings of it.
type rowIDs struct {
	s       string
	ends    []int // ends[k] is where the ID of row first+k ends in s
	first   int
	scratch []byte
}

// id returns the decimal string of the 0-based row index i.
func (g *rowIDs) id(i int) string {
	if i < g.first || i >= g.first+len(g.ends) {
		g.fill(i)
	}
	k := i - g.first
	start := 0
	if k > 0 {
		start = g.ends[k-1]
	}
	return g.s[start:g.ends[k]]
}

func (g *rowIDs) fill(first int) {
	g.first = first
	g.ends = g.ends[:0]
	g.scratch = g.scratch[:0]
	for i := first; i < first+rowIDBatch; i++ {
		g.scratch = strconv.AppendInt(g.scratch, int64(i), 10)
		g.ends = append(g.ends, len(g.scratch))
	}
	g.s = string(g.scratch)
}

// ioErr turns an error from the input stream met while reading the record
// that unit number at holds into the reader's error: a short read is
// "truncated", anything else (a decompression error, say) is wrapped.
func ioErr(unit string, at int, err error, got, want int) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.Newf("%s %d: truncated (%d of %d bytes)", unit, at, got, want)
	}
	return errors.Wrapf(err, "%s %d", unit, at)
}
