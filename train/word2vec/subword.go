package word2vec

import "github.com/vecdb/vecdb/quant"

// subwords lists the input rows of every vocabulary word: its own row, then
// one row per character n-gram, in the bucket region of the input matrix
// (rows nwords and up).
type subwords struct {
	off  []int32 // rows of word id are list[off[id]:off[id+1]]
	list []int32
}

func newSubwords(words []string, opts SubwordOptions) *subwords {
	s := &subwords{off: make([]int32, 0, len(words)+1)}
	nwords := int32(len(words))
	var hashes []uint32
	var buf []byte
	for id, word := range words {
		s.off = append(s.off, int32(len(s.list)))
		s.list = append(s.list, int32(id))
		hashes, buf = appendNgramHashes(hashes[:0], buf, word, opts.MinN, opts.MaxN)
		for _, h := range hashes {
			s.list = append(s.list, nwords+int32(h%uint32(opts.Buckets)))
		}
	}
	s.off = append(s.off, int32(len(s.list)))
	return s
}

func (s *subwords) rows(id int32) []int32 { return s.list[s.off[id]:s.off[id+1]] }

// mean sets dst to the mean of word id's rows of in.
func (s *subwords) mean(in []float32, dim int, id int32, dst []float32) {
	rows := s.rows(id)
	inv := 1 / float32(len(rows))
	clear(dst)
	for _, r := range rows {
		c := int(r) * dim
		quant.Axpy(inv, in[c:c+dim:c+dim], dst)
	}
}

// appendNgramHashes appends the hashes of the character n-grams of
// "<word>" whose length in runes is in [minN, maxN], exactly as fastText's
// Dictionary::computeSubwords enumerates them and Dictionary::hash hashes
// them: 32-bit FNV-1a over the bytes, each byte sign-extended first (a
// quirk of fastText's int8_t cast that matters only for non-ASCII bytes),
// with continuation bytes of UTF-8 kept with their rune. A 1-gram of a
// boundary character is left out. buf is scratch space and is returned for
// reuse.
func appendNgramHashes(dst []uint32, buf []byte, word string, minN, maxN int) ([]uint32, []byte) {
	buf = append(append(append(buf[:0], '<'), word...), '>')
	for i := range buf {
		if buf[i]&0xC0 == 0x80 {
			continue
		}
		h := uint32(2166136261)
		for j, n := i, 1; j < len(buf) && n <= maxN; n++ {
			h = fnvByte(h, buf[j])
			j++
			for j < len(buf) && buf[j]&0xC0 == 0x80 {
				h = fnvByte(h, buf[j])
				j++
			}
			if n >= minN && !(n == 1 && (i == 0 || j == len(buf))) {
				dst = append(dst, h)
			}
		}
	}
	return dst, buf
}

func fnvByte(h uint32, c byte) uint32 {
	return (h ^ uint32(int32(int8(c)))) * 16777619
}
