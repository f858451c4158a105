package train

import (
	"context"

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
	if out.DB == nil {
		return staged{}, errors.New("train: no database to write to")
	}
	st := staged{dst: out.Collection, staging: stagingName(out.Collection)}
	d := out.DB
	// A staging collection left by a crashed run is dropped.
	if err := d.DropCollection(st.staging); err != nil && !errors.Is(err, db.ErrNotFound) {
		return staged{}, errors.Wrapf(err, "dropping the staging collection %q", st.staging)
	}
	if err := d.CreateCollection(db.Schema{Name: st.staging, Dim: dim, Metric: m, Fields: out.Fields}); err != nil {
		return staged{}, err
	}
	progress := func(stage string, done, total int) {
		if out.Progress != nil {
			out.Progress(stage, done, total)
		}
	}
	fail := func(err error) (staged, error) { return staged{}, dropStaged(d, err, st) }
	b := d.NewBatch()
	defer b.Close()
	for i := range n {
		id, vec, meta := rec(i)
		if err := b.Put(st.staging, id, vec, meta); err != nil {
			return fail(errors.Wrapf(err, "record %q", id))
		}
		if b.Len() == writeBatch || i == n-1 {
			if err := ctx.Err(); err != nil {
				return fail(err)
			}
			if err := d.Apply(b, &db.WriteOptions{NoSync: true}); err != nil {
				return fail(err)
			}
			b.Reset()
			progress("writing", i+1, n)
		}
	}
	above := out.IndexAbove
	if above == 0 {
		above = DefaultIndexAbove
	}
	if above > 0 && n >= above {
		if _, err := d.BuildIndex(ctx, st.staging, &db.BuildOptions{Progress: out.Progress}); err != nil {
			return fail(errors.Wrap(err, "building the index"))
		}
	}
	return st, nil
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
