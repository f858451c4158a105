package glove

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cockroachdb/errors"
)

// A run file holds co-occurrence records sorted by key, each key once, all
// with i ≤ j < vocabulary size and n > 0. The record count is kept by the
// writer in memory ([runInfo]); the file is a plain sequence of uvarints:
//
//	+--------------------+------------------------------------+----------------+
//	| uvarint di         | uvarint dj                         | uvarint n      |
//	| i - previous i     | j - previous j   if di == 0        | count in units |
//	| (previous i = 0)   | j - i            otherwise         |                |
//	+--------------------+------------------------------------+----------------+
//
// The previous j of the first record is 0. Most records stay on their
// predecessor's row, so a record takes 4 to 6 bytes instead of 16.
// Run files live only inside one Count's temporary directory, so they have
// no version byte.

// runInfo describes a finished run file.
type runInfo struct {
	path    string
	records int64
}

// runReadBuffer is the read buffer of one open run file.
const runReadBuffer = 256 << 10

// writeRun writes the records of src to a new run file in dir, numbered
// seq. On error it removes the file.
func writeRun(dir string, seq, vocab int, src source) (info runInfo, err error) {
	info.path = filepath.Join(dir, fmt.Sprintf("run-%06d", seq))
	f, err := os.OpenFile(info.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return info, errors.Wrap(err, "creating run file")
	}
	defer func() {
		if err != nil {
			err = errors.CombineErrors(err, os.Remove(info.path))
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	var prevI, prevJ uint32
	var tmp [3 * binary.MaxVarintLen64]byte
	for src.next() {
		key, n := src.cur()
		i, j := splitKey(key)
		b := tmp[:0]
		if i == prevI {
			b = binary.AppendUvarint(b, 0)
			b = binary.AppendUvarint(b, uint64(j-prevJ))
		} else {
			b = binary.AppendUvarint(b, uint64(i-prevI))
			b = binary.AppendUvarint(b, uint64(j-i))
		}
		b = binary.AppendUvarint(b, n)
		if _, err := w.Write(b); err != nil {
			return info, errors.CombineErrors(errors.Wrapf(err, "writing %s", info.path), f.Close())
		}
		prevI, prevJ = i, j
		info.records++
	}
	if err := src.err(); err != nil {
		return info, errors.CombineErrors(err, f.Close())
	}
	if err := w.Flush(); err != nil {
		return info, errors.CombineErrors(errors.Wrapf(err, "writing %s", info.path), f.Close())
	}
	if err := f.Close(); err != nil {
		return info, errors.Wrapf(err, "closing %s", info.path)
	}
	return info, nil
}

// runReader reads a run file as a [source]. It checks every record, so a
// damaged file gives an error, never a panic or out-of-range ids.
type runReader struct {
	info         runInfo
	vocab        uint64
	f            *os.File
	r            *bufio.Reader
	read         int64
	prevI, prevJ uint64
	key, n       uint64
	e            error
}

func openRun(info runInfo, vocab int) (*runReader, error) {
	f, err := os.Open(info.path)
	if err != nil {
		return nil, errors.Wrap(err, "opening run file")
	}
	return &runReader{info: info, vocab: uint64(vocab), f: f, r: bufio.NewReaderSize(f, runReadBuffer)}, nil
}

func (r *runReader) next() bool {
	if r.e != nil || r.read == r.info.records {
		return false
	}
	di, err1 := binary.ReadUvarint(r.r)
	dj, err2 := binary.ReadUvarint(r.r)
	n, err3 := binary.ReadUvarint(r.r)
	if err := errors.CombineErrors(err1, errors.CombineErrors(err2, err3)); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		r.e = errors.Wrapf(err, "reading run file %s, record %d", r.info.path, r.read)
		return false
	}
	i, j := r.prevI+di, r.prevJ+dj
	if di != 0 {
		j = i + dj
	}
	first := r.read == 0
	switch {
	case di > r.vocab || dj > r.vocab || i >= r.vocab || j >= r.vocab || j < i:
		r.e = errors.Newf("glove: corrupt run file %s: record %d has pair (%d, %d) in a vocabulary of %d", r.info.path, r.read, i, j, r.vocab)
	case !first && di == 0 && dj == 0:
		r.e = errors.Newf("glove: corrupt run file %s: record %d repeats its key", r.info.path, r.read)
	case n == 0:
		r.e = errors.Newf("glove: corrupt run file %s: record %d has count 0", r.info.path, r.read)
	}
	if r.e != nil {
		return false
	}
	r.prevI, r.prevJ = i, j
	r.key, r.n = i<<32|j, n
	r.read++
	return true
}

func (r *runReader) cur() (key, n uint64) { return r.key, r.n }

func (r *runReader) err() error { return r.e }

func (r *runReader) close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return errors.Wrapf(err, "closing %s", r.info.path)
}

// removeFile removes a spill file.
func removeFile(path string) error {
	return errors.Wrap(os.Remove(path), "removing spill file")
}
