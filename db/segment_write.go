package db

import (
	"bufio"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"

	"github.com/cockroachdb/errors"
)

// segmentWriter writes a segment file (see segment.go): rows first,
// streamed in ascending doc order by addRow, then everything else by
// finish. It writes a temporary file and renames it into place once it is
// synced, so a crash leaves no file or a whole one; a whole one that no
// index pointer names is removed at the next writable open. Memory: 8
// bytes per row (its doc and ID end) beside the caller's lists; the IDs
// themselves go through a side file.
//
// Not goroutine-safe.
type segmentWriter struct {
	path, tmp string
	f         *os.File
	bw        *bufio.Writer
	off       uint64
	pageCRC   []uint32
	cur       uint32 // CRC of the current page so far
	fill      int    // bytes in the current page

	shape    segShape
	rowDocs  []uint32
	idEnds   []uint32
	idGroups []uint64
	ids      *os.File
	idw      *bufio.Writer
	idLen    uint64
	buf      []byte
	closed   bool
	// written is how far the file has been written back (writeBack);
	// err is the first error of a write-back.
	written int64
	err     error
	// dropCache drops what is written from the page cache (see
	// createSegment).
	dropCache bool
}

// writeBackBytes is how much a writer leaves in the page cache before it
// writes it back and drops it (see writeBack).
const writeBackBytes = 8 << 20

// createSegment starts the segment of collection coll's generation gen in
// dir. Rows must be docs below docHi (the build's watermark). dropCache
// drops the file from the page cache as it is written: a build sets it
// when the file will be larger than the process's budget, since so large
// a file would only push out what readers use (and, written as large
// folios, be mapped whole by the first faults); a smaller file stays, so
// the first queries after a build do not read it back from disk.
func createSegment(dir string, coll, gen uint32, shape segShape, dropCache bool) (*segmentWriter, error) {
	path := segmentPath(dir, coll, gen)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, errors.Wrap(err, "creating the vector file directory")
	}
	w := &segmentWriter{path: path, tmp: path + ".tmp", shape: shape, dropCache: dropCache}
	w.shape.rows, w.shape.docLo = 0, shape.docHi
	var err error
	if w.f, err = os.Create(w.tmp); err != nil {
		return nil, errors.Wrap(err, "creating vector file")
	}
	if w.ids, err = os.Create(w.tmp + ".ids"); err != nil {
		_ = w.f.Close() // the create error is the one to report
		_ = os.Remove(w.tmp)
		return nil, errors.Wrap(err, "creating vector file")
	}
	w.bw = bufio.NewWriterSize(w.f, 1<<20)
	w.idw = bufio.NewWriterSize(w.ids, 256<<10)
	w.write(make([]byte, segHeaderLen)) // patched by finish
	return w, nil
}

// write appends p to the file, keeping the page checksums, and writes back
// every writeBackBytes.
func (w *segmentWriter) write(p []byte) {
	w.off += uint64(len(p))
	_, _ = w.bw.Write(p) // a write error sticks in bw; finish reports it
	if int64(w.off)-w.written >= writeBackBytes && w.err == nil {
		if w.err = w.bw.Flush(); w.err == nil {
			end := int64(w.off) - int64(w.bw.Buffered())
			w.err = writeBack(w.f, w.written, end-w.written, w.dropCache)
			w.written = end
		}
	}
	for len(p) > 0 {
		n := min(len(p), segPage-w.fill)
		w.cur = crc32.Update(w.cur, crcTable, p[:n])
		w.fill += n
		p = p[n:]
		if w.fill == segPage {
			w.pageCRC = append(w.pageCRC, w.cur)
			w.cur, w.fill = 0, 0
		}
	}
}

// pad writes zeros up to the next multiple of segAlign.
func (w *segmentWriter) pad() {
	if n := alignUp(w.off) - w.off; n > 0 {
		var z [segAlign]byte
		w.write(z[:n])
	}
}

// addRow appends doc's row; docs must ascend and lie below docHi.
func (w *segmentWriter) addRow(doc uint32, id string, row []float32) error {
	switch {
	case len(row) != w.shape.dim:
		return errors.AssertionFailedf("segment: row of %d values, dim %d", len(row), w.shape.dim)
	case doc >= w.shape.docHi:
		return errors.AssertionFailedf("segment: doc %d at or beyond the watermark %d", doc, w.shape.docHi)
	case len(w.rowDocs) > 0 && doc <= w.rowDocs[len(w.rowDocs)-1]:
		return errors.AssertionFailedf("segment: doc %d after %d", doc, w.rowDocs[len(w.rowDocs)-1])
	}
	if len(w.rowDocs) == 0 {
		w.shape.docLo = doc
	}
	w.buf = w.buf[:0]
	for _, x := range row {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, math.Float32bits(x))
	}
	w.write(w.buf)
	r := len(w.rowDocs)
	if r%segIDGroup == 0 {
		w.idGroups = append(w.idGroups, w.idLen)
	}
	_, _ = w.idw.WriteString(id) // a write error sticks in idw; finish reports it
	w.idLen += uint64(len(id))
	w.rowDocs = append(w.rowDocs, doc)
	w.idEnds = append(w.idEnds, uint32(w.idLen-w.idGroups[len(w.idGroups)-1]))
	return nil
}

// segLists gives finish the posting lists: list l's docs, codes (in the
// shape's layout) and (L2, with terms) terms.
type segLists func(l int) (docs []uint32, codes []byte, terms []float32)

// finish writes the look-up sections and the lists, syncs the file and
// renames it into place. It returns the segment's identity (its footer's
// checksum). On error the temporary files are removed.
func (w *segmentWriter) finish(lists segLists) (ident uint32, err error) {
	defer func() {
		if err != nil {
			w.abort()
		}
	}()
	w.shape.rows = uint64(len(w.rowDocs))
	if w.shape.rows == 0 {
		w.shape.docLo = w.shape.docHi
	}
	le := binary.LittleEndian
	var ft segFooter
	ft.off[secRows] = segHeaderLen
	w.pad()
	ft.off[secRowDocs] = w.off
	w.writeU32s(w.rowDocs)
	w.pad()
	nw := rankWords(&w.shape)
	rank := make([]uint64, nw)
	for _, d := range w.rowDocs {
		x := d - w.shape.docLo
		rank[x/64] |= 1 << (x % 64)
	}
	ft.off[secRankBits] = w.off
	for _, b := range rank {
		w.buf = le.AppendUint64(w.buf[:0], b)
		w.write(w.buf)
	}
	w.pad()
	ft.off[secRankCount] = w.off
	var n uint32
	for _, b := range rank {
		w.buf = le.AppendUint32(w.buf[:0], n)
		w.write(w.buf)
		n += uint32(bits.OnesCount64(b))
	}
	w.pad()
	ft.off[secIDEnds] = w.off
	w.writeU32s(w.idEnds)
	w.pad()
	ft.off[secIDGroups] = w.off
	for _, g := range append(w.idGroups, w.idLen) {
		w.buf = le.AppendUint64(w.buf[:0], g)
		w.write(w.buf)
	}
	w.pad()
	ft.off[secIDBytes] = w.off
	ft.idBytes = w.idLen
	if err := w.copyIDs(); err != nil {
		return 0, err
	}
	w.pad()
	ft.off[secLists] = w.off
	dir := make([]byte, 0, w.shape.nlist*segListDirLen)
	for l := range w.shape.nlist {
		docs, codes, terms := lists(l)
		if uint64(len(codes)) != w.shape.codeBytes(uint64(len(docs))) || (w.shape.terms() && len(terms) != len(docs)) {
			return 0, errors.AssertionFailedf("segment: list %d has %d docs, %d code bytes, %d terms", l, len(docs), len(codes), len(terms))
		}
		dir = le.AppendUint64(dir, w.off)
		dir = le.AppendUint32(dir, uint32(len(docs)))
		dir = le.AppendUint32(dir, 0)
		w.writeU32s(docs)
		w.pad()
		w.write(codes)
		w.pad()
		if w.shape.terms() {
			w.buf = w.buf[:0]
			for _, t := range terms {
				w.buf = le.AppendUint32(w.buf, math.Float32bits(t))
			}
			w.write(w.buf)
			w.pad()
		}
	}
	ft.off[secListDir] = w.off
	w.write(dir)
	w.pad()
	ft.off[secPageCRC] = w.off
	return w.seal(&ft)
}

// seal patches the header, completes the page table (re-reading the first
// page, which the header changed), writes it and the footer, syncs, and
// renames the file into place.
func (w *segmentWriter) seal(ft *segFooter) (uint32, error) {
	if w.fill > 0 {
		w.pageCRC = append(w.pageCRC, w.cur)
		w.cur, w.fill = 0, 0
	}
	if err := w.bw.Flush(); err != nil {
		return 0, errors.Wrap(err, "writing vector file")
	}
	hdr := w.shape.appendHeader(nil)
	if _, err := w.f.WriteAt(hdr, 0); err != nil {
		return 0, errors.Wrap(err, "writing vector file")
	}
	first := make([]byte, min(uint64(segPage), w.off))
	if _, err := w.f.ReadAt(first, 0); err != nil {
		return 0, errors.Wrap(err, "re-reading vector file header")
	}
	if w.err != nil {
		return 0, errors.Wrap(w.err, "writing vector file")
	}
	w.pageCRC[0] = crc32.Checksum(first, crcTable)
	table := make([]byte, 0, 4*len(w.pageCRC))
	for _, c := range w.pageCRC {
		table = binary.LittleEndian.AppendUint32(table, c)
	}
	ft.pageCRC = crc32.Checksum(table, crcTable)
	if _, err := w.bw.Write(table); err != nil {
		return 0, errors.Wrap(err, "writing vector file")
	}
	w.off += uint64(len(table))
	if n := alignUp(w.off) - w.off; n > 0 {
		_, _ = w.bw.Write(make([]byte, n))
		w.off += n
	}
	footer := ft.append(nil, hdr)
	if _, err := w.bw.Write(footer); err != nil {
		return 0, errors.Wrap(err, "writing vector file")
	}
	if err := w.bw.Flush(); err != nil {
		return 0, errors.Wrap(err, "writing vector file")
	}
	if want, err := layout(&w.shape, ft.idBytes, ft.off[secListDir]-ft.off[secLists]); err != nil || want.off != ft.off || want.size != w.off+segFooterLen {
		return 0, errors.AssertionFailedf("segment: layout mismatch (%v)", err)
	}
	if err := w.f.Sync(); err != nil {
		return 0, errors.Wrap(err, "syncing vector file")
	}
	if w.dropCache {
		dropFileCache(w.f)
	}
	if err := w.f.Close(); err != nil {
		return 0, errors.Wrap(err, "closing vector file")
	}
	w.closed = true
	w.removeIDs()
	if err := os.Rename(w.tmp, w.path); err != nil {
		return 0, errors.Wrap(err, "renaming vector file")
	}
	if err := syncDir(filepath.Dir(w.path)); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(footer[segFooterLen-12:]), nil
}

func (w *segmentWriter) writeU32s(xs []uint32) {
	const step = 4096
	for i := 0; i < len(xs); i += step {
		w.buf = w.buf[:0]
		for _, x := range xs[i:min(i+step, len(xs))] {
			w.buf = binary.LittleEndian.AppendUint32(w.buf, x)
		}
		w.write(w.buf)
	}
}

// copyIDs appends the side file of IDs.
func (w *segmentWriter) copyIDs() error {
	if err := w.idw.Flush(); err != nil {
		return errors.Wrap(err, "writing record IDs")
	}
	if _, err := w.ids.Seek(0, io.SeekStart); err != nil {
		return errors.Wrap(err, "reading record IDs back")
	}
	buf := make([]byte, 256<<10)
	var copied uint64
	for {
		n, err := w.ids.Read(buf)
		w.write(buf[:n])
		copied += uint64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return errors.Wrap(err, "reading record IDs back")
		}
	}
	if copied != w.idLen {
		return errors.Newf("record ID side file holds %d bytes, want %d", copied, w.idLen)
	}
	return nil
}

func (w *segmentWriter) removeIDs() {
	if w.ids != nil {
		_ = w.ids.Close() // a scratch file: its errors do not matter
		_ = os.Remove(w.ids.Name())
		w.ids = nil
	}
}

// abort removes the temporary files.
func (w *segmentWriter) abort() {
	w.removeIDs()
	if !w.closed {
		_ = w.f.Close() // abandoned: the file is removed
		w.closed = true
	}
	_ = os.Remove(w.tmp) // best effort: the next writable open removes leftovers too
}

// syncDir makes a directory's entries (a rename, a removal) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return errors.Wrapf(err, "syncing %s", dir)
	}
	err = d.Sync()
	return errors.CombineErrors(errors.Wrapf(err, "syncing %s", dir), d.Close())
}
