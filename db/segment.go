package db

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/bits"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/quant"
)

// A segment is the immutable file an index build writes for its
// generation: the raw vectors, record IDs and posting lists of the records
// it encoded, laid out to be read in place through a read-only memory
// mapping. A process maps it and reads only the pages its queries touch,
// so opening a collection reads neither its vectors nor its IDs, and the
// operating system's page cache, not the process's heap, holds what is
// hot. Records written after the build live in the storage engine (their
// rows, and their codes as posting-list blocks), as before.
//
// Layout (little-endian; every section starts at a multiple of segAlign,
// so rows, doc ids and codes are read in place):
//
//	+--------------------+ 0
//	| header (64 B)      | magic "vecdbseg", version, dim, metric, code
//	|                    | layout (v2), code size, lists, rows, doc range
//	|                    | [docLo, docHi)
//	| rows               | rows x dim float32, ascending doc order
//	| rowDocs            | rows x uint32: the doc of each row
//	| rankBits           | W x uint64, W = ceil((docHi-docLo)/64): bit d-docLo
//	|                    | set when doc d has a row
//	| rankCount          | W x uint32: rows before word w
//	| idEnds             | rows x uint32: end of row i's ID, from its group start
//	| idGroups           | G+1 x uint64, G = ceil(rows/1024): group starts in idBytes
//	| idBytes            | the IDs, concatenated
//	| lists              | per list: docs (n x uint32), codes (n x codeSize,
//	|                    | or, in blocks of B codes, ceil(n/B) x B x codeSize),
//	|                    | terms (n x float32, L2 indexes with terms only),
//	|                    | each aligned
//	| listDir            | lists x (offset uint64, n uint32, reserved uint32)
//	| pageCRC            | P x uint32: CRC-32C of each segPage bytes of [0, pageCRC)
//	| footer (128 B)     | section offsets, id bytes, pageCRC's CRC, the footer's
//	+--------------------+ CRC (over header and footer), magic
//
// Integrity: the header, footer and page table are checked when the file
// is opened, the pages of the small look-up sections (rank, ID groups,
// list directory) too; every other page is checked the first time a read
// touches it, so a flipped bit is reported as ErrCorruption instead of
// answering with wrong vectors, and no read pays for more than its pages.
// A fault reading the mapping (an I/O error) is turned into an error by
// fault.Guard in the reading goroutine.
const (
	segMagic = "vecdbseg"
	// segVersion is the version of files whose codes follow one another
	// and whose L2 lists have terms (8-bit PQ): every release reads it.
	// segVersionLayout adds the code layout (header bytes 17 and 18:
	// log2 of the codes per block, and a flag for L2 lists without
	// terms), for codecs that store blocks.
	segVersion       = 1
	segVersionLayout = 2
	segAlign         = 64
	segPage          = 16 << 10
	segIDGroup       = 1024
	segHeaderLen     = 64
	segFooterLen     = 128
	segListDirLen    = 16
	segDirName       = "vectors"
)

// Section indexes in the footer's offset table.
const (
	secRows = iota
	secRowDocs
	secRankBits
	secRankCount
	secIDEnds
	secIDGroups
	secIDBytes
	secLists
	secListDir
	secPageCRC
	numSections
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// segShape is what the header records.
type segShape struct {
	dim, codeSize, nlist int
	metric               quant.Metric
	// blockLog is log2 of the codes per block of a list's codes (0: one
	// code after another); noTerms marks L2 lists stored without terms.
	blockLog     uint8
	noTerms      bool
	rows         uint64
	docLo, docHi uint32
}

func (s *segShape) terms() bool { return s.metric == quant.L2 && !s.noTerms }

// codeBytes is the size of the codes of a list of n entries.
func (s *segShape) codeBytes(n uint64) uint64 {
	b := uint64(1) << s.blockLog
	return (n + b - 1) / b * b * uint64(s.codeSize)
}

func (s *segShape) version() uint32 {
	if s.blockLog != 0 || s.noTerms {
		return segVersionLayout
	}
	return segVersion
}

func (s *segShape) appendHeader(dst []byte) []byte {
	dst = append(dst, segMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, s.version())
	dst = binary.LittleEndian.AppendUint32(dst, uint32(s.dim))
	flags := byte(0)
	if s.noTerms {
		flags = 1
	}
	dst = append(dst, byte(s.metric), s.blockLog, flags, 0)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(s.codeSize))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(s.nlist))
	dst = binary.LittleEndian.AppendUint64(dst, s.rows)
	dst = binary.LittleEndian.AppendUint32(dst, s.docLo)
	dst = binary.LittleEndian.AppendUint32(dst, s.docHi)
	return append(dst, make([]byte, segHeaderLen-44)...)
}

func decodeSegHeader(b []byte) (segShape, error) {
	le := binary.LittleEndian
	if len(b) < segHeaderLen || string(b[:8]) != segMagic {
		return segShape{}, errors.New("not a vector file (bad magic)")
	}
	v := le.Uint32(b[8:])
	if v != segVersion && v != segVersionLayout {
		return segShape{}, errors.Newf("vector file version %d, this build reads %d and %d", v, segVersion, segVersionLayout)
	}
	s := segShape{
		dim: int(le.Uint32(b[12:])), metric: quant.Metric(b[16]), codeSize: int(le.Uint32(b[20:])),
		nlist: int(le.Uint32(b[24:])), rows: le.Uint64(b[28:]), docLo: le.Uint32(b[36:]), docHi: le.Uint32(b[40:]),
	}
	if v == segVersionLayout {
		s.blockLog, s.noTerms = b[17], b[18]&1 != 0
		if s.blockLog > 10 || b[18]&^1 != 0 {
			return segShape{}, errors.Newf("bad code layout (block 2^%d, flags %#x)", s.blockLog, b[18])
		}
	}
	switch {
	case s.dim < 1 || s.dim > MaxDim || !s.metric.Valid():
		return segShape{}, errors.Newf("bad shape (dim %d, metric %d)", s.dim, s.metric)
	case s.codeSize < 1 || s.codeSize > 1<<16 || s.nlist < 1 || s.nlist > 1<<20:
		return segShape{}, errors.Newf("bad index shape (code size %d, lists %d)", s.codeSize, s.nlist)
	case s.docHi < s.docLo || s.rows > uint64(s.docHi-s.docLo):
		return segShape{}, errors.Newf("%d rows in doc range [%d, %d)", s.rows, s.docLo, s.docHi)
	}
	return s, nil
}

// segFooter is the section table.
type segFooter struct {
	off     [numSections]uint64
	idBytes uint64
	pageCRC uint32 // CRC-32C of the page table
}

func (f *segFooter) append(dst, header []byte) []byte {
	start := len(dst)
	for _, o := range f.off {
		dst = binary.LittleEndian.AppendUint64(dst, o)
	}
	dst = binary.LittleEndian.AppendUint64(dst, f.idBytes)
	dst = binary.LittleEndian.AppendUint32(dst, f.pageCRC)
	dst = append(dst, make([]byte, segFooterLen-(len(dst)-start)-12)...)
	crc := crc32.Update(crc32.Checksum(header, crcTable), crcTable, dst[start:])
	dst = binary.LittleEndian.AppendUint32(dst, crc)
	return append(dst, segMagic...)
}

func decodeSegFooter(b, header []byte) (segFooter, uint32, error) {
	le := binary.LittleEndian
	if len(b) != segFooterLen || string(b[segFooterLen-8:]) != segMagic {
		return segFooter{}, 0, errors.New("bad footer magic (truncated file?)")
	}
	crc := le.Uint32(b[segFooterLen-12:])
	if got := crc32.Update(crc32.Checksum(header, crcTable), crcTable, b[:segFooterLen-12]); got != crc {
		return segFooter{}, 0, errors.Newf("header or footer checksum mismatch (%08x, want %08x)", got, crc)
	}
	var f segFooter
	for i := range f.off {
		f.off[i] = le.Uint64(b[8*i:])
	}
	f.idBytes = le.Uint64(b[8*numSections:])
	f.pageCRC = le.Uint32(b[8*numSections+8:])
	return f, crc, nil
}

// segLayout computes, from the shape, the offsets every section must have;
// a file whose footer disagrees is corrupt. Only the sizes of idBytes and
// lists are not fixed by the shape.
type segLayout struct {
	off  [numSections]uint64
	end  [numSections]uint64
	size uint64 // the whole file
}

func alignUp(x uint64) uint64 { return (x + segAlign - 1) &^ (segAlign - 1) }

func rankWords(s *segShape) uint64 { return (uint64(s.docHi-s.docLo) + 63) / 64 }

func idGroups(rows uint64) uint64 { return (rows + segIDGroup - 1) / segIDGroup }

// listBytes is the size of a list of n entries, with its internal padding.
func listBytes(s *segShape, n uint64) uint64 {
	b := alignUp(4*n) + alignUp(s.codeBytes(n))
	if s.terms() {
		b += alignUp(4 * n)
	}
	return b
}

// layout places the sections for a shape, idBytes bytes of IDs and
// listsLen bytes of lists. It fails when the sizes overflow.
func layout(s *segShape, idBytes, listsLen uint64) (segLayout, error) {
	var l segLayout
	sizes := [numSections]uint64{
		secRows:      s.rows * uint64(s.dim) * 4,
		secRowDocs:   s.rows * 4,
		secRankBits:  rankWords(s) * 8,
		secRankCount: rankWords(s) * 4,
		secIDEnds:    s.rows * 4,
		secIDGroups:  (idGroups(s.rows) + 1) * 8,
		secIDBytes:   idBytes,
		secLists:     listsLen,
		secListDir:   uint64(s.nlist) * segListDirLen,
	}
	pos := uint64(segHeaderLen)
	for i := range numSections - 1 {
		if sizes[i] > 1<<50 {
			return l, errors.Newf("section %d of %d bytes", i, sizes[i])
		}
		l.off[i] = pos
		l.end[i] = pos + sizes[i]
		pos = alignUp(l.end[i])
	}
	pages := (pos + segPage - 1) / segPage
	l.off[secPageCRC], l.end[secPageCRC] = pos, pos+4*pages
	l.size = alignUp(l.end[secPageCRC]) + segFooterLen
	return l, nil
}

// segment is an open, mapped segment file. It is goroutine-safe. Readers
// hold a reference (acquire/release) while they use its memory; a retired
// segment is unmapped when the last reference goes.
type segment struct {
	path  string
	shape segShape
	data  []byte
	// ident is the footer's CRC: the index pointer records it, so a
	// file replaced under the same name is not taken for the right one.
	ident uint32
	size  uint64

	rows      []float32
	rowDocs   []uint32
	rankBits  []uint64
	rankCount []uint32
	idEnds    []uint32
	idGroups  []uint64
	idBytes   []byte
	listDir   []byte
	pageCRC   []uint32
	sec       [numSections]uint64
	// verified has a bit per page whose checksum has been checked.
	verified []atomic.Uint32
	// prefetch is the number of Fetches left that prefetch their rows
	// (see observeFetch).
	prefetch atomic.Int32
	// residentAt is when (unix ns) the rows' residency was last measured,
	// and rowsInMemory what it found (see rowsResident).
	residentAt   atomic.Int64
	rowsInMemory atomic.Bool

	mu struct {
		sync.Mutex
		refs    int
		retired bool
		unmap   func() error
	}
}

// segmentPath returns the file name of collection coll's generation gen.
func segmentPath(dir string, coll, gen uint32) string {
	return filepath.Join(dir, segDirName, fmt.Sprintf("%08x-%08x.vseg", coll, gen))
}

// parseSegmentName returns the collection and generation of a segment
// file name.
func parseSegmentName(name string) (coll, gen uint32, ok bool) {
	var c, g uint32
	if n, err := fmt.Sscanf(name, "%08x-%08x.vseg", &c, &g); err != nil || n != 2 || name != fmt.Sprintf("%08x-%08x.vseg", c, g) {
		return 0, 0, false
	}
	return c, g, true
}

// nativeLittleEndian reports whether this machine stores integers
// little-endian, as segments do: they are read in place.
var nativeLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// openSegment maps the segment at path and checks it against the identity
// the index pointer recorded (ident 0: accept any, for tools and tests).
func openSegment(path string, ident uint32) (*segment, error) {
	if !nativeLittleEndian {
		return nil, errors.Newf("vecdb: %s: vector files are read in place and need a little-endian machine", path)
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		// The index names it: a missing file is a damaged database.
		return nil, sentinel.Mark(errors.Wrapf(err, "opening vector file"), ErrCorruption)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "opening vector file")
	}
	defer f.Close() // the mapping outlives the descriptor
	fi, err := f.Stat()
	if err != nil {
		return nil, errors.Wrapf(err, "opening vector file")
	}
	if fi.Size() < segHeaderLen+segFooterLen {
		return nil, corruptionf("vector file %s: %d bytes, too short", path, fi.Size())
	}
	data, unmap, err := mapFile(f, fi.Size())
	if err != nil {
		return nil, errors.Wrapf(err, "mapping vector file %s", path)
	}
	s := &segment{path: path, data: data, size: uint64(len(data))}
	s.mu.unmap = unmap
	if err := s.init(ident); err != nil {
		_ = unmap() // the format error is the one to report
		if !errors.Is(err, ErrCorruption) {
			err = sentinel.Mark(errors.Wrapf(err, "vector file %s", path), ErrCorruption)
		}
		return nil, err
	}
	return s, nil
}

// init decodes and checks the header, footer, page table and look-up
// sections, and sets up the in-place views. Reads run under fault.Guard in
// the caller.
func (s *segment) init(ident uint32) error {
	hdr := s.data[:segHeaderLen]
	shape, err := decodeSegHeader(hdr)
	if err != nil {
		return err
	}
	ft, crc, err := decodeSegFooter(s.data[len(s.data)-segFooterLen:], hdr)
	if err != nil {
		return err
	}
	if ident != 0 && crc != ident {
		return errors.Newf("identity %08x, the index expects %08x (a file of another build?)", crc, ident)
	}
	listsLen := ft.off[secListDir] - ft.off[secLists]
	if ft.off[secListDir] < ft.off[secLists] {
		return errors.New("bad section table")
	}
	want, err := layout(&shape, ft.idBytes, listsLen)
	if err != nil {
		return err
	}
	if want.off != ft.off || want.size != s.size {
		return errors.Newf("section table does not match the shape (file of %d bytes, expected %d)", s.size, want.size)
	}
	s.shape, s.ident, s.sec = shape, crc, ft.off
	pageTab := s.data[want.off[secPageCRC]:want.end[secPageCRC]]
	if got := crc32.Checksum(pageTab, crcTable); got != ft.pageCRC {
		return errors.Newf("page checksum table mismatch")
	}
	s.pageCRC = u32s(pageTab)
	s.verified = make([]atomic.Uint32, (len(s.pageCRC)+31)/32)
	sec := func(i int) []byte { return s.data[want.off[i]:want.end[i]] }
	s.rows = f32s(sec(secRows))
	s.rowDocs = u32s(sec(secRowDocs))
	s.rankBits = u64s(sec(secRankBits))
	s.rankCount = u32s(sec(secRankCount))
	s.idEnds = u32s(sec(secIDEnds))
	s.idGroups = u64s(sec(secIDGroups))
	s.idBytes = sec(secIDBytes)
	s.listDir = sec(secListDir)
	// The look-up sections are small and every query uses them: check
	// them now, and their contents once.
	for _, i := range []int{secRankBits, secRankCount, secIDGroups, secListDir} {
		if err := s.check(want.off[i], want.end[i]-want.off[i]); err != nil {
			return err
		}
	}
	return s.checkLookups()
}

// checkLookups validates the look-up sections' contents, so the read
// paths can index with them without bounds surprises.
func (s *segment) checkLookups() error {
	var n uint64
	for w, bits64 := range s.rankBits {
		if uint64(s.rankCount[w]) != n {
			return errors.Newf("rank count of word %d is %d, want %d", w, s.rankCount[w], n)
		}
		n += uint64(bits.OnesCount64(bits64))
	}
	if n != s.shape.rows {
		return errors.Newf("rank bits hold %d rows, header says %d", n, s.shape.rows)
	}
	for g := range len(s.idGroups) - 1 {
		if s.idGroups[g] > s.idGroups[g+1] {
			return errors.Newf("ID group %d starts after the next", g)
		}
	}
	if last := s.idGroups[len(s.idGroups)-1]; last != uint64(len(s.idBytes)) || (len(s.idGroups) > 0 && s.idGroups[0] != 0) {
		return errors.Newf("ID groups end at %d, IDs hold %d bytes", last, len(s.idBytes))
	}
	listsOff, listsEnd := s.sec[secLists], s.sec[secListDir]
	pos := listsOff
	for l := range s.shape.nlist {
		off, n := s.listEntry(l)
		if off != pos || listBytes(&s.shape, n) > listsEnd-off {
			return errors.Newf("list %d at %d (%d entries) outside the list section", l, off, n)
		}
		pos = off + listBytes(&s.shape, n)
	}
	if pos != alignUp(listsEnd) && pos != listsEnd {
		return errors.Newf("lists end at %d, section at %d", pos, listsEnd)
	}
	return nil
}

func (s *segment) listEntry(l int) (off, n uint64) {
	e := s.listDir[l*segListDirLen:]
	return binary.LittleEndian.Uint64(e), uint64(binary.LittleEndian.Uint32(e[8:]))
}

// check verifies the pages covering data[off:off+n] that no read has
// checked yet.
func (s *segment) check(off, n uint64) error {
	if n == 0 {
		return nil
	}
	for p := off / segPage; p <= (off+n-1)/segPage; p++ {
		w, bit := p/32, uint32(1)<<(p%32)
		if s.verified[w].Load()&bit != 0 {
			continue
		}
		end := min((p+1)*segPage, s.sec[secPageCRC])
		if got := crc32.Checksum(s.data[p*segPage:end], crcTable); got != s.pageCRC[p] {
			return corruptionf("vector file %s: checksum mismatch in bytes [%d, %d)", s.path, p*segPage, end)
		}
		s.verified[w].Or(bit)
	}
	return nil
}

// willNeed asks the kernel to read data[off:off+n] ahead, for scans (the
// mapping is advised random).
func (s *segment) willNeed(off, n uint64) {
	page := uint64(os.Getpagesize())
	start, end := off&^(page-1), min(off+n, s.size)
	if start < end {
		adviseWillNeed(s.data[start:end])
	}
}

// readAhead asks the kernel to read rows [from, to) and their docs in the
// background: scans call it a window ahead of what they read, since the
// mapping is advised random.
func (s *segment) readAhead(from, to int) {
	to = min(to, int(s.shape.rows))
	if from >= to {
		return
	}
	d := uint64(s.shape.dim)
	s.willNeed(s.sec[secRows]+uint64(from)*d*4, uint64(to-from)*d*4)
	s.willNeed(s.sec[secRowDocs]+uint64(from)*4, uint64(to-from)*4)
}

// Re-ranking reads its candidates' rows one by one. From the page cache
// that costs tens of nanoseconds a row; when the file is larger than the
// memory the process may use, each row is a read from disk, and one read
// after another costs a disk latency per row. So Fetch watches how long
// its rows take: above slowRowNs a row on average, the next prefetchRuns
// Fetches first ask for all their pages at once (madvise, one call a row),
// then read; the disk overlaps the reads. After them Fetch measures again
// without prefetching, so a process whose file came back into memory
// stops paying for the calls. slowRowNs sits between a disk read (70-140
// us a row on this machine) and a row's first touch in a fresh process
// (a page fault and the page's checksum, a few us): at 4 us the first
// queries after a build prefetched, and the calls cost them 3x.
const (
	slowRowNs    = 20_000
	prefetchRuns = 256
)

// prefetching reports whether this Fetch should prefetch, counting it.
func (s *segment) prefetching() bool {
	return s.prefetch.Load() > 0 && s.prefetch.Add(-1) >= 0
}

// observeFetch records that reading n rows took d. Slow rows start
// prefetching unless the rows are in memory: a Fetch's clock also runs
// while its goroutine waits for a CPU, so under more searching goroutines
// than cores, rows read from memory can look as slow as rows read from
// disk, and the calls prefetching makes, one a row, would then take a
// large share of the CPU for nothing (41% of a 16-client load test's
// samples in one profile).
func (s *segment) observeFetch(n int, d time.Duration) {
	if n > 0 && d.Nanoseconds()/int64(n) > slowRowNs && s.prefetch.Load() <= 0 && !s.rowsResident() {
		s.prefetch.Store(prefetchRuns)
	}
}

// residentRecheck is how long a residency measurement of the rows stands.
const residentRecheck = 100 * time.Millisecond

// rowsResident reports whether at least 99% of the rows' pages are in
// memory (mincore(2); false where it cannot be measured, so prefetching
// works as it did), measured at most once per residentRecheck: one call
// over the rows section, whose cost grows with the file (a byte per page).
// REQUIRES: the segment mapped (a reader holds it).
func (s *segment) rowsResident() bool {
	now := time.Now().UnixNano()
	last := s.residentAt.Load()
	if now-last < int64(residentRecheck) || !s.residentAt.CompareAndSwap(last, now) {
		return s.rowsInMemory.Load()
	}
	start := s.sec[secRows]
	size := min(uint64(s.shape.rows)*uint64(s.shape.dim)*4, s.size-start)
	page := uint64(os.Getpagesize())
	lo := start &^ (page - 1)
	in := residentBytes(s.data[lo : start+size])
	ok := in > 0 && uint64(in) >= (start+size-lo)*99/100
	s.rowsInMemory.Store(ok)
	return ok
}

// prefetchRow asks the kernel to read row r's pages in the background.
func (s *segment) prefetchRow(r int) {
	d := uint64(s.shape.dim)
	s.willNeed(s.sec[secRows]+uint64(r)*d*4, d*4)
}

// trustAll marks every page checked (a segment this process wrote).
func (s *segment) trustAll() {
	for i := range s.verified {
		s.verified[i].Store(^uint32(0))
	}
}

// rowOf returns the row of doc, if the segment holds it.
func (s *segment) rowOf(doc uint32) (int, bool) {
	if doc < s.shape.docLo || doc >= s.shape.docHi {
		return 0, false
	}
	x := doc - s.shape.docLo
	word := s.rankBits[x/64]
	bit := uint64(1) << (x % 64)
	if word&bit == 0 {
		return 0, false
	}
	return int(s.rankCount[x/64]) + bits.OnesCount64(word&(bit-1)), true
}

// row returns row r's vector, in place (read-only).
func (s *segment) row(r int) ([]float32, error) {
	d := s.shape.dim
	if err := s.check(s.sec[secRows]+uint64(r*d*4), uint64(d*4)); err != nil {
		return nil, err
	}
	return s.rows[r*d : (r+1)*d : (r+1)*d], nil
}

// rowRange returns rows [from, to) and their docs, in place.
func (s *segment) rowRange(from, to int) ([]float32, []uint32, error) {
	d := s.shape.dim
	if err := s.check(s.sec[secRows]+uint64(from*d*4), uint64((to-from)*d*4)); err != nil {
		return nil, nil, err
	}
	if err := s.check(s.sec[secRowDocs]+uint64(from*4), uint64((to-from)*4)); err != nil {
		return nil, nil, err
	}
	return s.rows[from*d : to*d], s.rowDocs[from:to], nil
}

// id returns row r's record ID (a copy).
func (s *segment) id(r int) (string, error) {
	g := r / segIDGroup
	var start uint64
	if r%segIDGroup != 0 {
		if err := s.check(s.sec[secIDEnds]+uint64(4*(r-1)), 8); err != nil {
			return "", err
		}
		start = uint64(s.idEnds[r-1])
	} else if err := s.check(s.sec[secIDEnds]+uint64(4*r), 4); err != nil {
		return "", err
	}
	end := uint64(s.idEnds[r])
	base := s.idGroups[g]
	lo, hi := base+start, base+end
	if end < start || hi > s.idGroups[g+1] {
		return "", corruptionf("vector file %s: ID of row %d out of range", s.path, r)
	}
	if err := s.check(s.sec[secIDBytes]+lo, hi-lo); err != nil {
		return "", err
	}
	return string(s.idBytes[lo:hi]), nil
}

// list returns list l's docs, codes and (L2) terms, in place.
func (s *segment) list(l int) (docs []uint32, codes []byte, terms []float32, err error) {
	off, n := s.listEntry(l)
	if err := s.check(off, listBytes(&s.shape, n)); err != nil {
		return nil, nil, nil, err
	}
	docs = u32s(s.data[off : off+4*n : off+4*n])
	off = alignUp(off + 4*n)
	cb := s.shape.codeBytes(n)
	codes = s.data[off : off+cb : off+cb]
	if s.shape.terms() {
		off = alignUp(off + cb)
		terms = f32s(s.data[off : off+4*n])
	}
	return docs, codes, terms, nil
}

// listLen returns the number of entries of list l.
func (s *segment) listLen(l int) int {
	_, n := s.listEntry(l)
	return int(n)
}

// acquire takes a reference; it fails once the segment is unmapped.
func (s *segment) acquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.unmap == nil {
		return false
	}
	s.mu.refs++
	return true
}

// release drops a reference, unmapping a retired segment with none left.
func (s *segment) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.refs--
	if s.mu.refs == 0 && s.mu.retired {
		s.unmapLocked()
	}
}

// retire marks the segment unused by new readers; it is unmapped now or
// when its last reader releases it.
func (s *segment) retire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.retired = true
	if s.mu.refs == 0 {
		s.unmapLocked()
	}
}

// unmapLocked unmaps the file. REQUIRES: s.mu held.
func (s *segment) unmapLocked() {
	if s.mu.unmap != nil {
		_ = s.mu.unmap() // nothing reads the mapping any more; an unmap error leaks address space only
		s.mu.unmap = nil
	}
}

// mappedBytes returns the size of the mapping.
func (s *segment) mappedBytes() int64 { return int64(len(s.data)) }

// Zero-copy views of little-endian sections (see nativeLittleEndian);
// sections are aligned to segAlign within a page-aligned mapping.
func f32s(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
}

func u32s(b []byte) []uint32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
}

func u64s(b []byte) []uint64 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/8)
}

// resident returns how many bytes of the mapping the page cache holds
// (0 once unmapped).
func (s *segment) resident() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.unmap == nil {
		return 0
	}
	return residentBytes(s.data)
}
