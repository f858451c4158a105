package train

import (
	"context"
	"slices"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
)

// stagingName names the collection a trainer fills before the swap: an
// internal name (db.InternalName), which no user collection can have, so
// a retrain never drops a user's "x.staging", and a killed retrain's
// leftover is never listed and is dropped at the next writable open.
func stagingName(coll string) string { return db.InternalName("staging", coll) }

// DefaultIndexAbove is the collection size from which a trainer builds the
// IVF index after writing: below it an exact search of the vectors takes
// about a millisecond, so an index would not pay for its build.
const DefaultIndexAbove = 20000

// Output says where a trainer writes its vectors.
type Output struct {
	// DB is the open, writable database.
	DB *db.DB
	// Collection is the collection to create or replace.
	Collection string
	// Fields are the metadata fields of the collection.
	Fields []db.Field
	// IndexAbove builds the IVF index when at least this many vectors
	// were written (0: DefaultIndexAbove; negative: never).
	IndexAbove int
	// Progress, when set, is told of the writing ("writing", done,
	// total) and of the index build (the db's build stages).
	Progress func(stage string, done, total int)
}

// writeBatch is the records per batch: large enough to amortise a commit,
// small enough to keep a batch's memory modest at any dimension.
const writeBatch = 2000

// staged is a filled staging collection and the collection it replaces.
type staged struct{ dst, staging string }

// stage writes n records, produced by rec, into a fresh staging
// collection for out.Collection (metric m, dimension dim), built with the
// index when it is large enough; [swapIn] then replaces the target.
func stage(ctx context.Context, out Output, m db.Metric, dim, n int, rec func(i int) (id string, vec []float32, meta db.Meta)) (staged, error) {
	sg, err := newStager(out, m, dim, n)
	if err != nil {
		return staged{}, err
	}
	for i := range n {
		id, vec, meta := rec(i)
		if err := sg.put(ctx, id, vec, meta); err != nil {
			return staged{}, err
		}
	}
	return sg.finish(ctx)
}

// stager fills a staging collection record by record (see stage).
type stager struct {
	out      Output
	st       staged
	b        *db.Batch
	n, total int // records put, and expected (for progress; 0: unknown)
}

// newStager creates the staging collection for out.Collection, dropping
// one a crashed run left; total is the number of records expected (for
// progress; 0 when unknown).
func newStager(out Output, m db.Metric, dim, total int) (*stager, error) {
	if out.DB == nil {
		return nil, errors.New("train: no database to write to")
	}
	st := staged{dst: out.Collection, staging: stagingName(out.Collection)}
	d := out.DB
	if err := d.DropCollection(st.staging); err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, errors.Wrapf(err, "dropping the staging collection %q", st.staging)
	}
	if err := d.CreateCollection(db.Schema{Name: st.staging, Dim: dim, Metric: m, Fields: out.Fields}); err != nil {
		return nil, err
	}
	return &stager{out: out, st: st, b: d.NewBatch(), total: total}, nil
}

func (sg *stager) progress(stage string, done, total int) {
	if sg.out.Progress != nil {
		sg.out.Progress(stage, done, total)
	}
}

// fail drops the staging collection and returns err.
func (sg *stager) fail(err error) error {
	sg.b.Close()
	return dropStaged(sg.out.DB, err, sg.st)
}

// put adds a record, writing a batch when it is full. On error the
// staging collection is dropped.
func (sg *stager) put(ctx context.Context, id string, vec []float32, meta db.Meta) error {
	if err := sg.b.Put(sg.st.staging, id, vec, meta); err != nil {
		return sg.fail(errors.Wrapf(err, "record %q", id))
	}
	sg.n++
	if sg.b.Len() == writeBatch {
		return sg.flush(ctx)
	}
	return nil
}

// flush writes the pending batch (unsynced: swapIn's commit syncs).
func (sg *stager) flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return sg.fail(err)
	}
	if err := sg.out.DB.Apply(sg.b, &db.WriteOptions{NoSync: true}); err != nil {
		return sg.fail(err)
	}
	sg.b.Reset()
	sg.progress("writing", sg.n, max(sg.total, sg.n))
	return nil
}

// finish writes what is pending and builds the index when the collection
// is large enough. On error the staging collection is dropped.
func (sg *stager) finish(ctx context.Context) (staged, error) {
	if sg.b.Len() > 0 {
		if err := sg.flush(ctx); err != nil {
			return staged{}, err
		}
	}
	sg.b.Close()
	above := sg.out.IndexAbove
	if above == 0 {
		above = DefaultIndexAbove
	}
	if above > 0 && sg.n >= above {
		if _, err := sg.out.DB.BuildIndex(ctx, sg.st.staging, &db.BuildOptions{Progress: sg.out.Progress}); err != nil {
			return staged{}, dropStaged(sg.out.DB, errors.Wrap(err, "building the index"), sg.st)
		}
	}
	return sg.st, nil
}

// swapIn replaces every staged collection's target in one atomic step
// (a synced commit, which also makes the unsynced staging writes durable).
// On failure the staging collections are dropped.
func swapIn(d *db.DB, sts ...staged) error {
	rs := make([]db.Replacement, len(sts))
	for i, st := range sts {
		rs[i] = db.Replacement{Dst: st.dst, Src: st.staging}
	}
	if err := d.ReplaceCollections(rs); err != nil {
		return dropStaged(d, err, sts...)
	}
	// A collection a model produced, replaced by vectors no model made,
	// loses the model: it no longer describes them.
	for _, st := range sts {
		if strings.HasPrefix(st.dst, "~") || slices.ContainsFunc(sts, func(o staged) bool { return o.dst == ModelName(st.dst) }) {
			continue
		}
		if err := d.DropCollection(ModelName(st.dst)); err != nil && !errors.Is(err, db.ErrNotFound) {
			return errors.Wrapf(err, "dropping the model of %q, which no longer made its vectors", st.dst)
		}
	}
	return nil
}

// dropStaged drops staging collections that are only in the way now, and
// returns err with any failure to drop attached.
func dropStaged(d *db.DB, err error, sts ...staged) error {
	for _, st := range sts {
		if derr := d.DropCollection(st.staging); derr != nil && !errors.Is(derr, db.ErrNotFound) {
			err = errors.WithSecondaryError(err, derr)
		}
	}
	return err
}
