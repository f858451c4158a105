package wordeval

import (
	"context"
	"runtime"

	"github.com/cockroachdb/errors"
)

// DefaultAnalogyVocab is the default [AnalogyOptions.Vocab]: the threshold
// of word2vec's compute-accuracy, used by the published results on
// questions-words.txt, so that scores are comparable and rare, noisy words
// do not crowd the answers.
const DefaultAnalogyVocab = 30000

// AnalogyOptions configures [Analogies]. A nil *AnalogyOptions means the
// defaults.
type AnalogyOptions struct {
	// Vocab is the number of most frequent words that answers are chosen
	// from and that questions may use; questions with a word outside them
	// are not seen. 0 means [DefaultAnalogyVocab]; a value above the
	// embedding's size means all its words.
	Vocab int
	// Threads is the number of goroutines scoring questions. 0 means
	// runtime.GOMAXPROCS(0), all the cores the process may use, since the
	// evaluation is compute-bound.
	Threads int
}

// GetVocab returns o.Vocab, or [DefaultAnalogyVocab] when o is nil or
// o.Vocab is 0.
func (o *AnalogyOptions) GetVocab() int {
	if o == nil || o.Vocab == 0 {
		return DefaultAnalogyVocab
	}
	return o.Vocab
}

// GetThreads returns o.Threads, or runtime.GOMAXPROCS(0) when o is nil or
// o.Threads is 0.
func (o *AnalogyOptions) GetThreads() int {
	if o == nil || o.Threads == 0 {
		return runtime.GOMAXPROCS(0)
	}
	return o.Threads
}

// Validate reports whether the options are usable: no negative values.
func (o *AnalogyOptions) Validate() error {
	if o == nil {
		return nil
	}
	if o.Vocab < 0 {
		return errors.Newf("wordeval: analogy vocabulary %d is negative", o.Vocab)
	}
	if o.Threads < 0 {
		return errors.Newf("wordeval: analogy threads %d is negative", o.Threads)
	}
	return nil
}

// AnalogyResult is the outcome of [Analogies]. Its JSON form is
// {"accuracy":..,"seen":..,"total":..,"sections":{..}}.
type AnalogyResult struct {
	// Accuracy is Correct / Seen, or 0 when no question was seen.
	Accuracy float64 `json:"accuracy"`
	// Seen is the number of questions whose four words are all in the
	// restricted vocabulary; only they are answered.
	Seen int `json:"seen"`
	// Total is the number of questions given; Total - Seen were skipped for
	// unknown words.
	Total int `json:"total"`
	// Correct is the number of seen questions answered correctly.
	Correct int `json:"-"`
	// Sections holds the score of each named section (questions before any
	// ": section" line are in none). It is nil when no question has a
	// section.
	Sections map[string]SectionResult `json:"sections,omitempty"`
	// SectionOrder lists the keys of Sections in the order the sections
	// first appear among the questions.
	SectionOrder []string `json:"-"`
}

// SectionResult is the score of one section of analogy questions.
type SectionResult struct {
	// Correct is the number of seen questions answered correctly.
	Correct int `json:"correct"`
	// Seen is the number of questions whose words are all known.
	Seen int `json:"seen"`
	// Total is the number of questions in the section.
	Total int `json:"total"`
	// Accuracy is Correct / Seen, or 0 when Seen is 0.
	Accuracy float64 `json:"accuracy"`
}

// Analogies answers the questions qs with 3CosAdd, as word2vec's
// compute-accuracy does: over the opts.GetVocab() most frequent words of e,
// with the question words lower-cased, the answer to a:b :: c:? is the word
// x maximising cos(x, b) - cos(x, a) + cos(x, c), that is x̂·(b̂ - â + ĉ),
// among the restricted vocabulary without a, b and c (see the package
// documentation for the look-up rules). A question counts as seen when its
// four words are all in the restricted vocabulary, and as correct when
// its answer is d. Questions with an unknown word are skipped.
//
// The work is split over opts.GetThreads() goroutines; ctx cancels it.
func Analogies(ctx context.Context, e *Embedding, qs []Analogy, opts *AnalogyOptions) (AnalogyResult, error) {
	if err := opts.Validate(); err != nil {
		return AnalogyResult{}, err
	}
	s, err := NewSpace(e, opts.GetVocab())
	if err != nil {
		return AnalogyResult{}, err
	}
	// seen[i] is the index in qs of the i-th seen question, want[i] the row
	// of its expected answer.
	var (
		seen []int
		want []int32
		excl [][3]int32
	)
	for i, q := range qs {
		a, okA := s.voc.lookup(q.A)
		b, okB := s.voc.lookup(q.B)
		c, okC := s.voc.lookup(q.C)
		d, okD := s.voc.lookup(q.D)
		if okA && okB && okC && okD {
			seen = append(seen, i)
			want = append(want, d)
			excl = append(excl, [3]int32{a, b, c})
		}
	}
	vecs := make([]float32, len(seen)*s.dim)
	for i, x := range excl {
		s.query3CosAdd(vecs[i*s.dim:(i+1)*s.dim], x[0], x[1], x[2])
	}
	pred := make([]int32, len(seen))
	if err := s.argmaxExcluding(ctx, vecs, excl, pred, opts.GetThreads()); err != nil {
		return AnalogyResult{}, errors.Wrap(err, "answering analogy questions")
	}
	correct := make([]bool, len(seen))
	for i, p := range pred {
		correct[i] = p >= 0 && s.voc.canon[p] == want[i]
	}
	return tally(qs, seen, correct), nil
}

// tally counts the results: seen lists the indexes in qs of the questions
// answered, correct whether each was right.
func tally(qs []Analogy, seen []int, correct []bool) AnalogyResult {
	res := AnalogyResult{Total: len(qs), Seen: len(seen)}
	for _, q := range qs {
		if q.Section == "" {
			continue
		}
		if res.Sections == nil {
			res.Sections = make(map[string]SectionResult)
		}
		sec, ok := res.Sections[q.Section]
		if !ok {
			res.SectionOrder = append(res.SectionOrder, q.Section)
		}
		sec.Total++
		res.Sections[q.Section] = sec
	}
	for i, qi := range seen {
		name := qs[qi].Section
		var sec SectionResult
		if name != "" {
			sec = res.Sections[name]
			sec.Seen++
		}
		if correct[i] {
			res.Correct++
			sec.Correct++
		}
		if name != "" {
			res.Sections[name] = sec
		}
	}
	res.Accuracy = ratio(res.Correct, res.Seen)
	for name, sec := range res.Sections {
		sec.Accuracy = ratio(sec.Correct, sec.Seen)
		res.Sections[name] = sec
	}
	return res
}

// ratio returns a/b, or 0 when b is 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
