// Package db is vecdb's embedded vector database: one directory, one Pebble
// instance, any number of collections of records (an external string ID, a
// float32 vector and typed metadata), filtered by roaring bitmaps and
// searched exactly or through an IVF-PQ index whose vector file is read in
// place from disk.
//
//	d, err := db.Open("vecdb.db", nil)
//	err = d.CreateCollection(db.Schema{Name: "docs", Dim: 3, Metric: db.Cosine,
//		Fields: []db.Field{{Name: "lang", Type: db.Keyword}}})
//	err = d.Put("docs", "a", []float32{0.1, 0.9, 0}, db.Meta{"lang": "en"})
//	res, err := d.Search(ctx, "docs", &db.SearchRequest{
//		Vector: []float32{0.1, 0.8, 0.1}, K: 10, Filter: `lang = "en"`})
//
// Durability: each Apply (and each Put or Delete, a batch of one) is one
// atomic storage batch, synced before it returns unless Options.NoSync is
// set; after a crash every acknowledged call is fully there and no call is
// partly there.
//
// Metadata filters: every (field, value) pair has a roaring bitmap of doc
// ids, kept with a merge operator so writers never read-modify-write a whole
// bitmap. Numeric values are keyed in numeric order, so a range with few
// distinct values is one contiguous key range; numeric fields also keep a
// bit-sliced index (a bitmap per bit of the value's order-preserving
// encoding), so a range over many distinct values costs 64 bitmap steps.
// Neither visits records one by one. A live-docs bitmap gives counts and
// the universe for NOT. Decoded bitmaps are cached per collection and
// invalidated by a write generation (see bitmapcache.go).
//
// # Caveats
//
//   - DB is goroutine-safe. Writes are serialised; reads see a consistent
//     snapshot and run concurrently with a writer.
//   - One process may open a directory for writing; read-only opens
//     (Options.ReadOnly) take a shared lock, so several read-only processes
//     can share a directory or a read-only mount, but not while a writer
//     has it open.
//   - Nothing is loaded per record at open: a built index's vector file is
//     mapped and read in place (lists, rows to re-rank, result IDs), and
//     the rows and IDs of records newer than it are held in memory only
//     when they fit the budget (Options.CacheBytes); DB.Memory and
//     CollectionStats report what is held. A fault reading a mapped file
//     becomes an error, not a crash.
//   - Background compaction (see DB.Compact) runs in goroutines the DB
//     owns; Close cancels and waits for them.
//   - Slices passed to Put are copied. Slices in returned Records and
//     Results belong to the caller, except RecordIterator.Record's Vector,
//     which the next call to Next reuses.
package db
