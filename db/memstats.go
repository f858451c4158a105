package db

// MemoryStats says what an open database holds in memory, against its
// budget (Options.CacheBytes) and its shares (see budget.go), in bytes.
type MemoryStats struct {
	// Budget is Options.CacheBytes.
	Budget int64
	// BlockCache is the storage engine's block cache size and
	// BlockCacheUsed what it holds now.
	BlockCache, BlockCacheUsed int64
	// MemTable is the size of one write buffer (0 read-only; the engine
	// may hold two while one flushes) and MemTableUsed what the buffers
	// hold now.
	MemTable, MemTableUsed int64
	// Rows and RowsUsed: the share for, and the memory of, tail caches
	// (rows and IDs of records newer than their index's vector file).
	Rows, RowsUsed int64
	// Lists and ListsUsed: merged posting lists (codes added since the
	// build, with their list's codes from the vector file).
	Lists, ListsUsed int64
	// Bitmaps and BitmapsUsed: decoded filter bitmaps.
	Bitmaps, BitmapsUsed int64
	// Build is the share an index build's sample may take.
	Build int64
	// Mapped is the size of the vector files mapped now, and
	// MappedResident how much of them the page cache holds (outside the
	// budget: the kernel reclaims it under memory pressure; 0 where it
	// cannot be measured).
	Mapped, MappedResident int64
	// BlockCacheHits and BlockCacheMisses count the storage engine's
	// block cache look-ups since the open; BitmapHits and BitmapMisses
	// the decoded-bitmap cache's.
	BlockCacheHits, BlockCacheMisses int64
	BitmapHits, BitmapMisses         int64
}

// Memory returns what the database holds in memory now.
func (d *DB) Memory() (MemoryStats, error) {
	release, err := d.enter()
	if err != nil {
		return MemoryStats{}, err
	}
	defer release()
	b := d.budget
	m := d.pdb.Metrics()
	ms := MemoryStats{
		Budget: b.total, BlockCache: b.blockCache, BlockCacheUsed: m.BlockCache.Size,
		MemTable: b.memTable, MemTableUsed: int64(m.MemTable.Size),
		Rows: b.rows, RowsUsed: b.rowsUsed.Load(),
		Lists: b.lists, ListsUsed: b.listsUsed.Load(),
		Bitmaps: b.bitmaps, BitmapsUsed: b.bitmapsUsed.Load(),
		Build: b.build,

		BlockCacheHits: m.BlockCache.Hits, BlockCacheMisses: m.BlockCache.Misses,
		BitmapHits: b.bitmapHits.Load(), BitmapMisses: b.bitmapMisses.Load(),
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, c := range d.mu.colls {
		st := c.ix.Load()
		if st == nil {
			continue
		}
		if src := st.src.Load(); src != nil && src.seg != nil {
			ms.Mapped += src.seg.mappedBytes()
			ms.MappedResident += src.seg.resident()
		}
	}
	return ms, nil
}
