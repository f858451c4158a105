package train

import (
	"context"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
)

// stagingSuffix names the collection a trainer fills before the swap.
const stagingSuffix = ".staging"

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

// write stores n records, produced by rec, as the collection out.Collection
// (metric m, dimension dim), replacing it atomically if it exists.
func write(ctx context.Context, out Output, m db.Metric, dim, n int, rec func(i int) (id string, vec []float32, meta db.Meta)) error {
	if out.DB == nil {
		return errors.New("train: no database to write to")
	}
	staging := out.Collection + stagingSuffix
	if len(staging) > db.MaxNameLen {
		return errors.Newf("train: collection name %q is too long to stage (at most %d bytes)", out.Collection, db.MaxNameLen-len(stagingSuffix))
	}
	d := out.DB
	// A staging collection left by a crashed run is dropped.
	if err := d.DropCollection(staging); err != nil && !errors.Is(err, db.ErrNotFound) {
		return errors.Wrapf(err, "dropping the staging collection %q", staging)
	}
	if err := d.CreateCollection(db.Schema{Name: staging, Dim: dim, Metric: m, Fields: out.Fields}); err != nil {
		return err
	}
	progress := func(stage string, done, total int) {
		if out.Progress != nil {
			out.Progress(stage, done, total)
		}
	}
	fail := func(err error) error {
		// The staging collection is only in the way now.
		if derr := d.DropCollection(staging); derr != nil {
			err = errors.WithSecondaryError(err, derr)
		}
		return err
	}
	b := d.NewBatch()
	defer b.Close()
	for i := range n {
		id, vec, meta := rec(i)
		if err := b.Put(staging, id, vec, meta); err != nil {
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
		if _, err := d.BuildIndex(ctx, staging, &db.BuildOptions{Progress: out.Progress}); err != nil {
			return fail(errors.Wrap(err, "building the index"))
		}
	}
	if err := d.ReplaceCollection(out.Collection, staging); err != nil {
		return fail(err)
	}
	return nil
}
