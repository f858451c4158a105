package recsys

import (
	"bufio"
	"bytes"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// ErrBadLine marks the error [ReadInteractions] returns for a malformed line
// (test with errors.Is). The message names the 1-based line number.
var ErrBadLine = errors.New("recsys: bad interaction line")

// maxFloat32 is the largest finite float32 (math.MaxFloat32 as a float64).
const maxFloat32 = math.MaxFloat32

// maxLineBytes bounds one input line; longer lines are an error rather than
// an unbounded allocation.
const maxLineBytes = 1 << 20

// Interactions is a set of distinct (user, item) pairs, each with a weight
// (the sum over duplicates) and a timestamp (the latest over duplicates),
// stored twice: by user (a CSR layout, items sorted by index) and by item
// (the transpose, users sorted by index). Users and items are numbered from
// 0 in the order they were first seen.
//
// An Interactions value is immutable once built and safe for concurrent
// use. Its slices and maps must not be modified; subsets made by
// [Interactions.Filter] and [Split] share Users, Items, UserIndex and
// ItemIndex with their parent.
type Interactions struct {
	// Users maps a user index to its external ID.
	Users []string
	// Items maps an item index to its external ID.
	Items []string
	// UserIndex maps an external user ID to its index.
	UserIndex map[string]int32
	// ItemIndex maps an external item ID to its index.
	ItemIndex map[string]int32

	// UserPtr has len(Users)+1 entries: user u's pairs are at positions
	// UserPtr[u] to UserPtr[u+1] of UserItems, UserWeights and UserTimes,
	// in increasing item order.
	UserPtr     []int
	UserItems   []int32
	UserWeights []float32
	UserTimes   []int64

	// ItemPtr has len(Items)+1 entries: item i's pairs are at positions
	// ItemPtr[i] to ItemPtr[i+1] of ItemUsers and ItemWeights, in
	// increasing user order.
	ItemPtr     []int
	ItemUsers   []int32
	ItemWeights []float32

	// BadLines is the number of malformed lines [ReadInteractions] skipped
	// under [ReadOptions.SkipBadLines]; 0 otherwise.
	BadLines int
}

// NumUsers returns the number of users (including users with no pairs in a
// subset).
func (in *Interactions) NumUsers() int { return len(in.Users) }

// NumItems returns the number of items (including items with no pairs in a
// subset).
func (in *Interactions) NumItems() int { return len(in.Items) }

// Len returns the number of distinct (user, item) pairs.
func (in *Interactions) Len() int { return len(in.UserItems) }

// UserRow returns user u's items (increasing) and their weights. The slices
// alias the Interactions and must not be modified.
func (in *Interactions) UserRow(u int) (items []int32, weights []float32) {
	lo, hi := in.UserPtr[u], in.UserPtr[u+1]
	return in.UserItems[lo:hi], in.UserWeights[lo:hi]
}

// ItemRow returns item i's users (increasing) and their weights. The slices
// alias the Interactions and must not be modified.
func (in *Interactions) ItemRow(i int) (users []int32, weights []float32) {
	lo, hi := in.ItemPtr[i], in.ItemPtr[i+1]
	return in.ItemUsers[lo:hi], in.ItemWeights[lo:hi]
}

// Has reports whether the pair (u, i) is present. Out-of-range indices
// report false.
func (in *Interactions) Has(u, i int) bool {
	if u < 0 || u >= len(in.Users) || i < 0 || i > math.MaxInt32 {
		return false
	}
	items, _ := in.UserRow(u)
	_, ok := slices.BinarySearch(items, int32(i))
	return ok
}

// Filter returns the pairs for which keep(u, pos) is true, where pos is the
// pair's position in UserItems (between UserPtr[u] and UserPtr[u+1]). The
// result has the same users and items, with the same indices, as in; it
// shares Users, Items, UserIndex and ItemIndex with in.
func (in *Interactions) Filter(keep func(u, pos int) bool) *Interactions {
	out := &Interactions{
		Users: in.Users, Items: in.Items,
		UserIndex: in.UserIndex, ItemIndex: in.ItemIndex,
		UserPtr: make([]int, len(in.Users)+1),
	}
	for u := range in.Users {
		for pos := in.UserPtr[u]; pos < in.UserPtr[u+1]; pos++ {
			if keep(u, pos) {
				out.UserItems = append(out.UserItems, in.UserItems[pos])
				out.UserWeights = append(out.UserWeights, in.UserWeights[pos])
				out.UserTimes = append(out.UserTimes, in.UserTimes[pos])
			}
		}
		out.UserPtr[u+1] = len(out.UserItems)
	}
	out.transpose()
	return out
}

// transpose fills the by-item layout from the by-user one.
func (in *Interactions) transpose() {
	nItems := len(in.Items)
	in.ItemPtr = make([]int, nItems+1)
	for _, i := range in.UserItems {
		in.ItemPtr[i+1]++
	}
	for i := range nItems {
		in.ItemPtr[i+1] += in.ItemPtr[i]
	}
	in.ItemUsers = make([]int32, len(in.UserItems))
	in.ItemWeights = make([]float32, len(in.UserItems))
	next := slices.Clone(in.ItemPtr[:nItems])
	for u := range in.Users {
		for pos := in.UserPtr[u]; pos < in.UserPtr[u+1]; pos++ {
			i := in.UserItems[pos]
			in.ItemUsers[next[i]] = int32(u)
			in.ItemWeights[next[i]] = in.UserWeights[pos]
			next[i]++
		}
	}
}

// Builder accumulates interactions programmatically (for tests, or to fold
// a new user into an existing index space) and builds an [Interactions].
// A Builder is not goroutine-safe.
type Builder struct {
	users, items         []string
	userIndex, itemIndex map[string]int32
	entries              []entry
}

type entry struct {
	u, i int32
	w    float64
	ts   int64
}

// NewBuilder returns a Builder. With a non-nil base it starts from base's
// users, items (keeping their indices) and pairs; base is not modified.
func NewBuilder(base *Interactions) *Builder {
	b := &Builder{userIndex: map[string]int32{}, itemIndex: map[string]int32{}}
	if base == nil {
		return b
	}
	b.users = slices.Clone(base.Users)
	b.items = slices.Clone(base.Items)
	b.userIndex = maps.Clone(base.UserIndex)
	b.itemIndex = maps.Clone(base.ItemIndex)
	b.entries = make([]entry, 0, base.Len())
	for u := range base.Users {
		for pos := base.UserPtr[u]; pos < base.UserPtr[u+1]; pos++ {
			b.entries = append(b.entries, entry{int32(u), base.UserItems[pos],
				float64(base.UserWeights[pos]), base.UserTimes[pos]})
		}
	}
	return b
}

// Add records one interaction of user with item. Repeated pairs are summed
// (weights, capped at the largest float32) and keep the latest timestamp
// when built. The weight must be a non-negative number no larger than the
// largest float32; IDs must not be empty.
func (b *Builder) Add(user, item string, weight float64, timestamp int64) error {
	if user == "" || item == "" {
		return errors.New("recsys: empty user or item ID")
	}
	if !(weight >= 0 && weight <= maxFloat32) {
		return errors.Newf("recsys: weight %v is not a non-negative float32", weight)
	}
	u, err := intern(&b.users, b.userIndex, user)
	if err != nil {
		return err
	}
	i, err := intern(&b.items, b.itemIndex, item)
	if err != nil {
		return err
	}
	b.entries = append(b.entries, entry{u, i, weight, timestamp})
	return nil
}

// intern returns the index of id, adding it when new. m[string(b)] with a
// []byte argument does not allocate, so callers holding bytes convert late.
func intern(ids *[]string, index map[string]int32, id string) (int32, error) {
	if x, ok := index[id]; ok {
		return x, nil
	}
	if len(*ids) >= math.MaxInt32 {
		return 0, errors.Newf("recsys: more than %d distinct IDs", math.MaxInt32)
	}
	x := int32(len(*ids))
	*ids = append(*ids, id)
	index[id] = x
	return x, nil
}

// Build returns the interactions added so far. The Builder stays usable;
// later additions do not affect the returned value.
func (b *Builder) Build() *Interactions {
	nUsers := len(b.users)
	in := &Interactions{
		Users: slices.Clip(slices.Clone(b.users)), Items: slices.Clip(slices.Clone(b.items)),
		UserIndex: maps.Clone(b.userIndex), ItemIndex: maps.Clone(b.itemIndex),
		UserPtr: make([]int, nUsers+1),
	}
	// Counting sort by user, then sort each user's run by item and merge
	// duplicates in place.
	start := make([]int, nUsers+1)
	for _, e := range b.entries {
		start[e.u+1]++
	}
	for u := range nUsers {
		start[u+1] += start[u]
	}
	sorted := make([]entry, len(b.entries))
	next := slices.Clone(start[:nUsers])
	for _, e := range b.entries {
		sorted[next[e.u]] = e
		next[e.u]++
	}
	in.UserItems = make([]int32, 0, len(sorted))
	in.UserWeights = make([]float32, 0, len(sorted))
	in.UserTimes = make([]int64, 0, len(sorted))
	for u := range nUsers {
		run := sorted[start[u]:start[u+1]]
		// Stable, so equal pairs stay in insertion order (irrelevant to the
		// merged result, but keeps the sum order fixed).
		slices.SortStableFunc(run, func(a, b entry) int { return int(a.i) - int(b.i) })
		for k := 0; k < len(run); {
			e := run[k]
			for k++; k < len(run) && run[k].i == e.i; k++ {
				e.w += run[k].w
				e.ts = max(e.ts, run[k].ts)
			}
			in.UserItems = append(in.UserItems, e.i)
			in.UserWeights = append(in.UserWeights, float32(min(e.w, maxFloat32)))
			in.UserTimes = append(in.UserTimes, e.ts)
		}
		in.UserPtr[u+1] = len(in.UserItems)
	}
	in.transpose()
	return in
}

// ReadOptions configures [ReadInteractions]. The zero value is the default.
type ReadOptions struct {
	// SkipBadLines skips malformed lines and counts them in
	// [Interactions.BadLines] instead of failing. Default false: the first
	// bad line is an error naming its line number.
	SkipBadLines bool
}

// ReadInteractions reads "user item [weight [timestamp]]" lines. Fields are
// separated by commas (when the line contains one; spaces around each field
// are trimmed) or else by runs of spaces and tabs, so MovieLens u.data
// (tab-separated) and CSV files read as they are. LF and CRLF endings are
// accepted; blank lines and lines starting with '#' are ignored. The weight
// defaults to 1 and must be a non-negative number that fits a float32
// (sums of duplicates are capped there); the timestamp
// defaults to 0 and must be a number (integers, or decimals rounded down).
// Duplicate pairs are summed and keep the latest timestamp.
//
// A malformed line (fewer than 2 or more than 4 fields, an empty field, a
// bad weight or timestamp) is an error marked [ErrBadLine] that names its
// 1-based line number, unless opts.SkipBadLines. A header line such as
// "userId,movieId,rating,timestamp" is malformed and needs SkipBadLines.
func ReadInteractions(r io.Reader, opts ReadOptions) (*Interactions, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	b := NewBuilder(nil)
	bad, line := 0, 0
	var fields [5][]byte
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf")) // UTF-8 BOM
		}
		text = bytes.TrimRight(text, "\r")
		if t := bytes.TrimLeft(text, " \t"); len(t) == 0 || t[0] == '#' {
			continue
		}
		e, err := parseLine(b, text, fields[:0])
		if err != nil {
			if opts.SkipBadLines {
				bad++
				continue
			}
			return nil, sentinel.Mark(errors.Wrapf(err, "line %d", line), ErrBadLine)
		}
		b.entries = append(b.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, errors.Wrapf(err, "reading interactions after line %d", line)
	}
	in := b.Build()
	in.BadLines = bad
	return in, nil
}

// parseLine parses one non-blank, non-comment line, interning its IDs in b.
func parseLine(b *Builder, text []byte, fields [][]byte) (entry, error) {
	fields, err := splitFields(text, fields)
	if err != nil {
		return entry{}, err
	}
	e := entry{w: 1}
	if len(fields) >= 3 {
		w, err := strconv.ParseFloat(string(fields[2]), 64)
		if err != nil || !(w >= 0 && w <= maxFloat32) {
			return entry{}, errors.Newf("weight %q is not a non-negative float32", fields[2])
		}
		e.w = w
	}
	if len(fields) == 4 {
		ts, err := parseTimestamp(fields[3])
		if err != nil {
			return entry{}, err
		}
		e.ts = ts
	}
	// Index the maps with string(bytes) (no allocation) before interning.
	if e.u, err = internBytes(&b.users, b.userIndex, fields[0]); err != nil {
		return entry{}, err
	}
	if e.i, err = internBytes(&b.items, b.itemIndex, fields[1]); err != nil {
		return entry{}, err
	}
	return e, nil
}

func internBytes(ids *[]string, index map[string]int32, id []byte) (int32, error) {
	if x, ok := index[string(id)]; ok {
		return x, nil
	}
	return intern(ids, index, string(id))
}

// splitFields splits a line into 2 to 4 non-empty fields, appending to dst.
func splitFields(text []byte, dst [][]byte) ([][]byte, error) {
	if bytes.IndexByte(text, ',') >= 0 {
		for f := range bytes.SplitSeq(text, []byte{','}) {
			f = bytes.Trim(f, " \t")
			if len(f) == 0 {
				return nil, errors.New("empty field")
			}
			if len(dst) == 4 {
				return nil, errors.New("more than 4 fields")
			}
			dst = append(dst, f)
		}
	} else {
		for f := range bytes.FieldsFuncSeq(text, func(r rune) bool { return r == ' ' || r == '\t' }) {
			if len(dst) == 4 {
				return nil, errors.New("more than 4 fields")
			}
			dst = append(dst, f)
		}
	}
	if len(dst) < 2 {
		return nil, errors.Newf("%d field(s), want user item [weight [timestamp]]", len(dst))
	}
	return dst, nil
}

// parseTimestamp accepts an integer, or a finite decimal rounded down.
func parseTimestamp(f []byte) (int64, error) {
	if ts, err := strconv.ParseInt(string(f), 10, 64); err == nil {
		return ts, nil
	}
	v, err := strconv.ParseFloat(string(f), 64)
	if err != nil || math.IsNaN(v) || v < math.MinInt64 || v >= math.MaxInt64 {
		return 0, errors.Newf("timestamp %q is not a number", f)
	}
	return int64(math.Floor(v)), nil
}
