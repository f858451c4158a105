package wire

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/vecio"
)

// Sink makes one batch of records durable, all of it or none: a database
// batch in process, or a POST of records to a server. A bad record is
// reported as a *RecordError naming its index in the batch.
type Sink func(ctx context.Context, recs []Record) error

// RecordError is a record a Sink refused: Index is its position in the
// batch, Field the metadata field at fault ("" for the record itself).
type RecordError struct {
	Index int
	Field string
	Err   error
}

func (e *RecordError) Error() string { return e.Err.Error() }

func (e *RecordError) Unwrap() error { return e.Err }

// Load reads every record of r (with its line of meta, when meta is not
// nil) and hands them to sink in batches of batchSize. It returns how many
// records sink committed; on error, the batch being built is dropped and
// the error names the row of the record at fault (for text, csv and jsonl
// files, its line). Cancelling ctx stops it between batches.
func Load(ctx context.Context, r vecio.Reader, meta *MetaSource, batchSize int, sink Sink) (n int, err error) {
	if batchSize < 1 {
		return 0, errors.Newf("batch size %d: want at least 1", batchSize)
	}
	batch := make([]Record, 0, min(batchSize, 4096))
	rows := make([]int, 0, cap(batch))
	records := 0
	flush := func(last bool) error {
		if len(batch) == 0 {
			return nil
		}
		if err := sink(ctx, batch); err != nil {
			var re *RecordError
			if errors.As(err, &re) && re.Index >= 0 && re.Index < len(rows) {
				return errors.Wrapf(re.Err, "row %d", rows[re.Index])
			}
			if last {
				return errors.Wrap(err, "writing the last batch")
			}
			return errors.Wrapf(err, "writing the batch that ends at row %d", rows[len(rows)-1])
		}
		n += len(batch)
		batch, rows = batch[:0], rows[:0]
		return nil
	}
	for r.Next() {
		rec := r.Record()
		records++
		m := rec.Meta
		if meta != nil {
			if m, err = meta.Next(rec, records); err != nil {
				return n, err
			}
		}
		batch = append(batch, Record{ID: rec.ID, Vector: slices.Clone(rec.Vector), Meta: m})
		rows = append(rows, rec.Row)
		if len(batch) == batchSize {
			if err := flush(false); err != nil {
				return n, err
			}
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
	}
	if err := r.Err(); err != nil {
		return n, err
	}
	if meta != nil {
		if err := meta.End(records); err != nil {
			return n, err
		}
	}
	return n, flush(true)
}

// MetaSource is the metadata file of an import (vecdb import --meta):
// line i is the metadata object of the i-th record.
type MetaSource struct {
	path, of string
	rc       io.ReadCloser
	r        *vecio.MetaReader
}

// OpenMeta opens the metadata file path (gzip or zstd allowed) for the
// records of the file named of.
func OpenMeta(path, of string) (*MetaSource, error) {
	rc, err := vecio.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "--meta")
	}
	return &MetaSource{path: path, of: of, rc: rc, r: vecio.NewMetaReader(rc)}, nil
}

// Next returns the metadata of rec, the i-th (1-based) record.
func (m *MetaSource) Next(rec *vecio.Record, i int) (map[string]any, error) {
	obj, err := m.r.Next()
	if err == io.EOF {
		return nil, errors.Newf("row %d: --meta %s has only %d lines, one per record", rec.Row, m.path, i-1)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "--meta %s", m.path)
	}
	if len(rec.Meta) > 0 {
		return nil, errors.Newf("row %d: record %q has metadata both in the file and in --meta %s", rec.Row, rec.ID, m.path)
	}
	return obj, nil
}

// End checks that the metadata file has no line left after the last of
// the n records.
func (m *MetaSource) End(n int) error {
	_, err := m.r.Next()
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		return errors.Wrapf(err, "--meta %s", m.path)
	default:
		return errors.Newf("--meta %s: line %d has no record: %s has only %d records", m.path, m.r.Line(), m.of, n)
	}
}

// Close closes the file.
func (m *MetaSource) Close() error { return m.rc.Close() }

// RecordRef names record i of a batch and, when not empty, its field, as
// a bad-record error says it: "records[3].meta.year".
func RecordRef(i int, field string) string {
	if field == "" {
		return fmt.Sprintf("records[%d]", i)
	}
	return fmt.Sprintf("records[%d].%s", i, field)
}

// DBSink is the Sink that writes into collection coll of d: each batch is
// one atomic, durable db.Batch.
func DBSink(d *db.DB, coll string) Sink {
	return func(ctx context.Context, recs []Record) error {
		if err := EmbedRecords(d, coll, recs); err != nil {
			return err
		}
		b := d.NewBatch()
		defer b.Close()
		for i := range recs {
			if err := b.Put(coll, recs[i].ID, recs[i].Vector, db.Meta(recs[i].Meta)); err != nil {
				return &RecordError{Index: i, Err: err}
			}
		}
		return d.Apply(b, nil)
	}
}
