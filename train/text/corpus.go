package text

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/vecio"
)

// maxLine bounds one line of a corpus file; a longer line is an error
// rather than an unbounded allocation.
const maxLine = 64 << 20

// Corpus is a text corpus read line by line: one sentence, verse or
// paragraph per line, each file plain or gzip/zstd-compressed (detected by
// its magic bytes). A Corpus can be read any number of times, which is how
// trainers run several epochs without holding the text in memory.
type Corpus struct {
	// Paths are files or directories; a directory stands for its regular
	// files whose names end in .txt, .txt.gz or .txt.zst, in name order.
	Paths []string
	// Open, when set, is used instead of Paths: it returns a fresh reader
	// over the whole text each time it is called.
	Open func() (io.ReadCloser, error)
	// Tokenizer splits lines into words.
	Tokenizer Tokenizer
}

// Files returns the files Paths stands for, directories expanded.
func (c *Corpus) Files() ([]string, error) {
	var files []string
	for _, p := range c.Paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, errors.Wrap(err, "reading corpus")
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, errors.Wrap(err, "reading corpus")
		}
		n := len(files)
		for _, e := range ents {
			name := e.Name()
			if e.Type().IsRegular() && (strings.HasSuffix(name, ".txt") || strings.HasSuffix(name, ".txt.gz") || strings.HasSuffix(name, ".txt.zst")) {
				files = append(files, filepath.Join(p, name))
			}
		}
		slices.Sort(files[n:])
		if len(files) == n {
			return nil, errors.Newf("corpus directory %s has no .txt, .txt.gz or .txt.zst files", p)
		}
	}
	if len(files) == 0 && c.Open == nil {
		return nil, errors.New("corpus: no input files")
	}
	return files, nil
}

// Lines calls fn with every line of the corpus, without its line ending.
// The slice is valid only until fn returns. Reading stops at the first
// error fn returns, or when ctx is done.
func (c *Corpus) Lines(ctx context.Context, fn func(line []byte) error) error {
	if c.Open != nil {
		r, err := c.Open()
		if err != nil {
			return errors.Wrap(err, "opening corpus")
		}
		return readLines(ctx, r, "corpus", fn)
	}
	files, err := c.Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		r, err := vecio.Open(f)
		if err != nil {
			return errors.Wrapf(err, "opening corpus file %s", f)
		}
		if err := readLines(ctx, r, f, fn); err != nil {
			return err
		}
	}
	return nil
}

// readLines reads r line by line and closes it.
func readLines(ctx context.Context, r io.ReadCloser, name string, fn func([]byte) error) (err error) {
	defer func() {
		if cerr := r.Close(); err == nil && cerr != nil {
			err = errors.Wrapf(cerr, "reading %s", name)
		}
	}()
	br := bufio.NewReaderSize(r, 256<<10)
	var long []byte
	for n := 1; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
				if len(long) > maxLine {
					return errors.Newf("%s: line %d is longer than %d bytes", name, n, maxLine)
				}
			}
			line = long
		}
		if len(line) > 0 {
			line = bytes.TrimSuffix(line, []byte{'\n'})
			line = bytes.TrimSuffix(line, []byte{'\r'})
			if ferr := fn(line); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errors.Wrapf(err, "reading %s", name)
		}
	}
}

// Sentences calls fn with the tokens of every line that has any. The
// tokens are valid only until fn returns.
func (c *Corpus) Sentences(ctx context.Context, fn func(tokens [][]byte) error) error {
	var buf []byte
	var toks [][]byte
	return c.Lines(ctx, func(line []byte) error {
		buf, toks = c.Tokenizer.Tokens(line, buf, toks[:0])
		if len(toks) == 0 {
			return nil
		}
		return fn(toks)
	})
}

// Chunk is a run of encoded sentences: the word ids of each sentence one
// after the other, words missing from the vocabulary dropped.
type Chunk struct {
	// IDs holds the word ids; Ends[i] is the end offset in IDs of
	// sentence i.
	IDs, Ends []int32
	// Tokens counts the tokens read for this chunk, including those
	// missing from the vocabulary.
	Tokens int64
}

// Sentence returns sentence i of the chunk.
func (ch *Chunk) Sentence(i int) []int32 {
	start := int32(0)
	if i > 0 {
		start = ch.Ends[i-1]
	}
	return ch.IDs[start:ch.Ends[i]]
}

// StreamOptions tune [Corpus.Stream].
type StreamOptions struct {
	// ChunkTokens is the number of in-vocabulary tokens per chunk
	// (default 65,536): large enough that handing a chunk to a worker
	// costs nothing, small enough that several workers stay busy.
	ChunkTokens int
	// MaxSentence splits longer sentences (default 10,000 words, as the
	// reference word2vec implementations do).
	MaxSentence int
}

// Stream encodes the corpus with v and calls fn with each chunk in corpus
// order. fn owns the chunk it is given. Words missing from v are dropped.
func (c *Corpus) Stream(ctx context.Context, v *Vocab, opts StreamOptions, fn func(*Chunk) error) error {
	if opts.ChunkTokens <= 0 {
		opts.ChunkTokens = 1 << 16
	}
	if opts.MaxSentence <= 0 {
		opts.MaxSentence = 10000
	}
	ch := &Chunk{}
	err := c.Sentences(ctx, func(toks [][]byte) error {
		ch.Tokens += int64(len(toks))
		n := 0
		for _, t := range toks {
			id, ok := v.index[string(t)]
			if !ok {
				continue
			}
			ch.IDs = append(ch.IDs, id)
			if n++; n == opts.MaxSentence {
				ch.Ends = append(ch.Ends, int32(len(ch.IDs)))
				n = 0
			}
		}
		if n > 0 {
			ch.Ends = append(ch.Ends, int32(len(ch.IDs)))
		}
		if len(ch.IDs) >= opts.ChunkTokens {
			full := ch
			ch = &Chunk{}
			return fn(full)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(ch.Ends) > 0 || ch.Tokens > 0 {
		return fn(ch)
	}
	return nil
}
