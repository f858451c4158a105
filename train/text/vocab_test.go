package text

import (
	"context"
	"slices"
	"testing"
)

func TestBuildVocab(t *testing.T) {
	c := stringCorpus("the cat sat on the mat\nThe dog sat\ncat cat dog")
	v, err := BuildVocab(context.Background(), c, VocabOptions{MinCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	// the 3, cat 3 (the first), sat 2, dog 2 (sat first).
	if want := []string{"the", "cat", "sat", "dog"}; !slices.Equal(v.Words, want) {
		t.Errorf("words = %q, want %q", v.Words, want)
	}
	if want := []int64{3, 3, 2, 2}; !slices.Equal(v.Counts, want) {
		t.Errorf("counts = %v, want %v", v.Counts, want)
	}
	if v.Total != 10 || v.Tokens != 12 {
		t.Errorf("total %d tokens %d, want 10 and 12", v.Total, v.Tokens)
	}
	if id, ok := v.ID("sat"); !ok || id != 2 {
		t.Errorf("ID(sat) = %d, %v", id, ok)
	}
	if _, ok := v.ID("mat"); ok {
		t.Error("rare word kept")
	}
	v2, err := BuildVocab(context.Background(), c, VocabOptions{MinCount: 1, MaxVocab: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v2.Words, []string{"the", "cat"}) {
		t.Errorf("max vocab words = %q", v2.Words)
	}
	if _, err := BuildVocab(context.Background(), c, VocabOptions{MinCount: 100}); err == nil {
		t.Error("empty vocabulary accepted")
	}
}

func TestBuildVocabPrunes(t *testing.T) {
	// 30 distinct rare words and one frequent one, bounded to 8 distinct.
	text := ""
	for i := range 30 {
		text += string(rune('a'+i%26)) + string(rune('a'+i/26)) + " common common\n"
	}
	v, err := BuildVocab(context.Background(), stringCorpus(text), VocabOptions{MinCount: 1, MaxDistinct: 8})
	if err != nil {
		t.Fatal(err)
	}
	if v.Words[0] != "common" || v.Counts[0] != 60 {
		t.Errorf("most frequent = %q x %d, want common x 60", v.Words[0], v.Counts[0])
	}
	if v.Len() > 8 {
		t.Errorf("%d words kept past the bound of 8", v.Len())
	}
}

func TestNewVocab(t *testing.T) {
	v, err := NewVocab([]string{"b", "a", "c"}, []int64{1, 5, 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.Words, []string{"a", "b", "c"}) {
		t.Errorf("words = %q", v.Words)
	}
	if _, err := NewVocab([]string{"a", "a"}, []int64{1, 1}); err == nil {
		t.Error("duplicate words accepted")
	}
	if _, err := NewVocab([]string{"a"}, nil); err == nil {
		t.Error("length mismatch accepted")
	}
}
