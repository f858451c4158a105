// Package vecio reads and writes the vector files that the vecdb command line
// and the trainers consume and produce: TEXMEX fvecs, bvecs and ivecs, NumPy
// .npy, "ID v1 ... vd" text (GloVe and word2vec text layout), the word2vec C
// tool's binary format, CSV and JSON lines. Any input may be gzip- or
// zstd-compressed; compression is detected from the first bytes of the data,
// never from the file name (see [Open] and [NewDecompressor]).
//
// Reading is a cursor with a sticky error, in the style of [bufio.Scanner]:
//
//	r, err := vecio.OpenReader(path, "") // format from the file name
//	if err != nil { ... }
//	defer r.Close()
//	for r.Next() {
//		rec := r.Record() // rec.Row, rec.ID, rec.Vector, rec.Meta
//	}
//	if err := r.Err(); err != nil { ... } // "row 17: dimension 64, want 128 (from row 1)"
//
// Readers never panic on malformed input and never allocate by a size that
// the input declares (a dimension, a row count, a header length) before it
// has been checked against [MaxDim] and the other limits below; buffers grow
// only as the input actually supplies bytes. Errors name the 1-based row
// ("row N: ...") for the binary formats and the 1-based line ("line N: ...")
// for the line-oriented ones (text, csv, jsonl, --meta files).
//
// NaN and ±Inf values are passed through (the database decides whether to
// accept them); a value that is not a number, or that overflows float32, is
// an error.
//
// # Caveats
//
//   - Buffer lifetimes: the [Record] returned by [Reader.Record], its Vector
//     slice and its Meta map are owned by the reader and are valid only until
//     the next call to [Reader.Next]; the reader overwrites the vector buffer
//     in place. Copy what you keep (slices.Clone(rec.Vector)). Record.ID is an
//     ordinary immutable string and may be kept; for fvecs, bvecs, ivecs and
//     npy the IDs are carved out of a shared string of about a thousand
//     consecutive row numbers, so keeping one ID keeps a few kilobytes alive.
//   - The slices returned by [ReadIvecs] and [ReadFvecsAll] belong to the
//     caller. Rows share large backing arrays but each row's capacity ends at
//     its length, so appending to a row never overwrites the next one.
//   - Goroutine safety: a [Reader], a [MetaReader] and a [JSONLWriter] are not
//     safe for concurrent use; use one per goroutine. The package-level
//     functions are safe for concurrent use.
//   - [Reader.Close] closes the underlying file only for readers returned by
//     [OpenReader]; a reader from [NewReader] never closes the io.Reader it
//     was given. The zstd decoder runs goroutines, so always Close what
//     [Open] and [NewDecompressor] return.
//   - Limits: a vector has at most [MaxDim] values; a text, jsonl or --meta
//     line is at most [MaxLineBytes]; an npy header at most 64 KiB; a
//     word2vec word at most 64 KiB; a csv line, like a text line, at most
//     [MaxLineBytes]. Larger inputs are errors, not panics.
package vecio
