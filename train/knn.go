package train

import (
	"context"
	"slices"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
)

// KNNStats is the result of [EvalKNN].
type KNNStats struct {
	// K is the number of neighbours per query.
	K int
	// Queries counts the query records evaluated (those with the label);
	// Skipped counts those without it.
	Queries, Skipped int
	// VoteAccuracy is the share of the evaluated queries whose
	// neighbours' vote equals their own label.
	VoteAccuracy float64
	// LabelAgreement is the share of all the neighbours found whose label
	// equals their query's.
	LabelAgreement float64
}

// knnBatch is the number of queries EvalKNN searches with one
// [db.DB.SearchMany] call (which uses every core).
const knnBatch = 256

// EvalKNN scores how well the neighbourhoods of collection coll predict
// the label field: for each record of collection queries that has the
// label (the others are counted in Skipped), it finds the k nearest
// records of coll by an exact search, leaving out a record with the
// query's own ID (so queries may be coll itself). The vote is the most
// frequent label among them, ties going to the label of the nearest of
// the tied; VoteAccuracy is the share of queries whose vote equals their
// label, and LabelAgreement the share of all neighbours whose label does.
// Labels compare as the field's decoded values (keywords as sets); a
// neighbour without the field never agrees and does not vote. With no
// query evaluated, both shares are 0.
//
// The label field must be declared, with the same type, in both
// collections, and their dimensions must match; k must be in
// [1, db.MaxK-1]. progress, when not nil, is called after each batch of
// queries with the records read so far (evaluated or skipped) and the
// collection's count. EvalKNN is safe to call concurrently with writes
// (it reads the queries from a snapshot) and stops when ctx is cancelled.
func EvalKNN(ctx context.Context, d *db.DB, coll, queries, label string, k int, progress func(done, total int)) (KNNStats, error) {
	stats := KNNStats{K: k}
	if k < 1 || k >= db.MaxK {
		return stats, errors.Newf("eval knn: k = %d; want 1 to %d", k, db.MaxK-1)
	}
	if err := checkKNNCollections(d, coll, queries, label); err != nil {
		return stats, err
	}
	total, err := d.Count(queries)
	if err != nil {
		return stats, err
	}
	it, err := d.NewRecordIterator(queries)
	if err != nil {
		return stats, err
	}
	var votes, agree, neighbours int
	var b knnQueries
	done := 0
	flush := func() error {
		if len(b.vecs) > 0 {
			v, a, n, err := b.search(ctx, d, coll, label, k)
			if err != nil {
				return err
			}
			votes, agree, neighbours = votes+v, agree+a, neighbours+n
			b.reset()
		}
		if progress != nil {
			progress(done, int(total))
		}
		return nil
	}
	for it.First(); it.Valid(); it.Next() {
		rec := it.Record()
		done++
		if v, ok := rec.Meta[label]; ok && v != nil {
			b.add(rec.ID, rec.Vector, v)
			stats.Queries++
		} else {
			stats.Skipped++
		}
		if done%knnBatch == 0 {
			if err := flush(); err != nil {
				return stats, errors.CombineErrors(err, it.Close())
			}
		}
	}
	if err := it.Close(); err != nil {
		return stats, err
	}
	if done%knnBatch != 0 || done == 0 {
		if err := flush(); err != nil {
			return stats, err
		}
	}
	if stats.Queries > 0 {
		stats.VoteAccuracy = float64(votes) / float64(stats.Queries)
	}
	if neighbours > 0 {
		stats.LabelAgreement = float64(agree) / float64(neighbours)
	}
	return stats, nil
}

// checkKNNCollections checks that both collections exist, have the same
// dimension and declare label with the same type.
func checkKNNCollections(d *db.DB, coll, queries, label string) error {
	cs, err := d.Collection(coll)
	if err != nil {
		return err
	}
	qs, err := d.Collection(queries)
	if err != nil {
		return err
	}
	if cs.Dim != qs.Dim {
		return errors.Wrapf(db.ErrDimensionMismatch, "eval knn: collection %q has dimension %d but queries %q have %d", coll, cs.Dim, queries, qs.Dim)
	}
	cf, ok := cs.Field(label)
	if !ok {
		return errors.Newf("eval knn: collection %q declares no label field %q", coll, label)
	}
	qf, ok := qs.Field(label)
	if !ok {
		return errors.Newf("eval knn: queries %q declare no label field %q", queries, label)
	}
	if cf.Type != qf.Type {
		return errors.Newf("eval knn: label field %q is %s in %q but %s in %q", label, cf.Type, coll, qf.Type, queries)
	}
	return nil
}

// knnQueries is a batch of labelled queries.
type knnQueries struct {
	ids    []string
	vecs   [][]float32
	labels []any
}

func (b *knnQueries) add(id string, vec []float32, label any) {
	b.ids = append(b.ids, id)
	b.vecs = append(b.vecs, slices.Clone(vec))
	b.labels = append(b.labels, label)
}

func (b *knnQueries) reset() {
	b.ids, b.vecs, b.labels = b.ids[:0], b.vecs[:0], b.labels[:0]
}

// search finds each query's k nearest records of coll, its own ID left
// out, and returns how many queries the vote got right, how many
// neighbours agree with their query, and how many neighbours there were.
// SearchMany shares one request among the queries, so it cannot exclude
// each query's own ID: it asks for k+1 and drops the own ID (or, when
// absent, the farthest).
func (b *knnQueries) search(ctx context.Context, d *db.DB, coll, label string, k int) (votes, agree, neighbours int, err error) {
	res, err := d.SearchMany(ctx, coll, b.vecs, &db.SearchRequest{K: k + 1, Exact: true, WithMeta: true})
	if err != nil {
		return 0, 0, 0, errors.Wrapf(err, "eval knn: searching %q", coll)
	}
	for q, rs := range res {
		if i := slices.IndexFunc(rs, func(r db.Result) bool { return r.ID == b.ids[q] }); i >= 0 {
			rs = slices.Delete(rs, i, i+1)
		}
		rs = rs[:min(len(rs), k)]
		neighbours += len(rs)
		for _, r := range rs {
			if labelEqual(r.Meta[label], b.labels[q]) {
				agree++
			}
		}
		if v, ok := vote(rs, label); ok && labelEqual(v, b.labels[q]) {
			votes++
		}
	}
	return votes, agree, neighbours, nil
}

// vote returns the most frequent label among rs (nearest first), ties
// going to the label of the nearest of the tied; false when no result has
// the label.
func vote(rs []db.Result, label string) (any, bool) {
	var vals []any
	var counts []int
	for _, r := range rs {
		v, ok := r.Meta[label]
		if !ok || v == nil {
			continue
		}
		i := slices.IndexFunc(vals, func(x any) bool { return labelEqual(x, v) })
		if i < 0 {
			vals, counts = append(vals, v), append(counts, 0)
			i = len(vals) - 1
		}
		counts[i]++
	}
	if len(vals) == 0 {
		return nil, false
	}
	best := 0 // vals are in order of first appearance: the strict > keeps the nearest of the tied
	for i := range vals {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return vals[best], true
}

// labelEqual reports whether two decoded field values are equal: strings,
// integers, floats and booleans by value, keyword sets (sorted by the
// database) element by element. A nil value equals nothing.
func labelEqual(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case []string:
		y, ok := b.([]string)
		return ok && slices.Equal(x, y)
	}
	return false
}
