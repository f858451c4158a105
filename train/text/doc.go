// Package text turns a text corpus into the word-id stream that the word
// trainers read: a tokenizer, a streaming corpus reader over plain or
// compressed files, and a frequency-ordered vocabulary.
//
// # Caveats
//
// Token slices handed to callbacks point into reused buffers and are valid
// only until the callback returns. A [Vocab] is read-only once built and then
// safe for concurrent use; a [Tokenizer] and a [Corpus] are values whose
// methods may be called from several goroutines, each call with its own
// buffers.
package text
