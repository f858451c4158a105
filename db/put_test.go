package db

import (
	"strconv"
	"testing"
)

// putAll upserts vecs into coll in batches of batch records, with IDs
// strconv.Itoa(first+i) and, when meta is set, meta(i) as metadata.
func putAll(tb testing.TB, d *DB, coll string, vecs [][]float32, first, batch int, meta func(i int) Meta) {
	tb.Helper()
	b := d.NewBatch()
	defer b.Close()
	for i, v := range vecs {
		var m Meta
		if meta != nil {
			m = meta(i)
		}
		if err := b.Put(coll, strconv.Itoa(first+i), v, m); err != nil {
			tb.Fatal(err)
		}
		if b.Len() == batch {
			if err := d.Apply(b, nil); err != nil {
				tb.Fatal(err)
			}
			b.Reset()
		}
	}
	if err := d.Apply(b, nil); err != nil {
		tb.Fatal(err)
	}
}
