package vecio

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// readBufferSize is the bufio buffer size for input streams: large enough
// that a read system call or a decompressor call moves a lot of data, small
// enough to allocate for every reader.
const readBufferSize = 256 << 10

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Open opens the file at path for reading. When the data starts with the
// gzip magic (1f 8b) or the zstd magic (28 b5 2f fd) the returned reader
// decompresses it; otherwise it returns the bytes as they are. The file name
// plays no part. Close closes the decompressor and the file.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	d, err := NewDecompressor(f)
	if err != nil {
		_ = f.Close() // the decompressor error is the one to report
		return nil, errors.Wrapf(err, "opening %s", path)
	}
	return &fileReadCloser{ReadCloser: d, f: f}, nil
}

// fileReadCloser closes both the decompressor and the file under it.
type fileReadCloser struct {
	io.ReadCloser
	f *os.File
}

func (c *fileReadCloser) Close() error {
	err := c.ReadCloser.Close()
	if ferr := c.f.Close(); err == nil {
		err = ferr
	}
	return err
}

// bufferedReader lets NewReader reuse the bufio.Reader of a stream that
// NewDecompressor found to be uncompressed, instead of buffering it twice.
func (c *fileReadCloser) bufferedReader() *bufio.Reader {
	if b, ok := c.ReadCloser.(interface{ bufferedReader() *bufio.Reader }); ok {
		return b.bufferedReader()
	}
	return nil
}

// plainReadCloser is an uncompressed stream behind the bufio.Reader that
// peeked at its magic bytes. Close does nothing.
type plainReadCloser struct{ br *bufio.Reader }

func (p plainReadCloser) Read(b []byte) (int, error)         { return p.br.Read(b) }
func (p plainReadCloser) Close() error                       { return nil }
func (p plainReadCloser) bufferedReader() *bufio.Reader      { return p.br }
func (p plainReadCloser) WriteTo(w io.Writer) (int64, error) { return p.br.WriteTo(w) }

// NewDecompressor returns a reader of r's data, decompressed when it starts
// with the gzip or the zstd magic bytes (detected with bufio.Reader.Peek),
// else unchanged. Concatenated gzip members and zstd frames are read as one
// stream. Close releases the decompressor (the zstd decoder runs goroutines)
// but does not close r.
func NewDecompressor(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, readBufferSize)
	magic, err := br.Peek(len(zstdMagic))
	if err != nil && err != io.EOF {
		return nil, errors.Wrap(err, "reading the first bytes")
	}
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errors.Wrap(err, "reading gzip header")
		}
		return zr, nil
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, errors.Wrap(err, "starting zstd decoder")
		}
		return zr.IOReadCloser(), nil
	}
	return plainReadCloser{br: br}, nil
}

// NewCompressor returns a writer that compresses into w with zstd when name
// ends in .zst, with gzip when it ends in .gz (case-insensitive), and
// otherwise passes bytes through unchanged. Close flushes the compressor but
// never closes w; call it before closing w.
func NewCompressor(w io.Writer, name string) (io.WriteCloser, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".zst":
		zw, err := zstd.NewWriter(w)
		if err != nil {
			return nil, errors.Wrap(err, "starting zstd encoder")
		}
		return zw, nil
	case ".gz":
		return gzip.NewWriter(w), nil
	}
	return nopWriteCloser{w}, nil
}

// nopWriteCloser is an io.WriteCloser whose Close does nothing.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
