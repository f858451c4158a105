package db

import (
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/errors/oserror"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// FormatVersion is the on-disk format this build writes. Opening a
// database with a newer format is an error. Version 2 added index vector
// files (segments); a version-1 database opens and serves as it is, with
// its lists and rows read from the storage engine, and DB.Migrate upgrades
// it explicitly (a version-1 reader cannot open the result).
const FormatVersion uint32 = 2

// formatV1 is the format of the previous release: no vector files.
const formatV1 uint32 = 1

// maxFormatAhead bounds the format versions Open calls newer than this
// build's (upgrade vecdb) rather than damaged.
const maxFormatAhead = 1000

// DB is an open vecdb database: one directory, any number of collections.
//
// DB is goroutine-safe. Writes (Apply, Put, Delete, CreateCollection,
// DropCollection) are serialised; reads run concurrently with them and each
// sees a consistent snapshot.
type DB struct {
	dir  string
	opts *Options
	pdb  *pebble.DB
	// fs is the storage engine's filesystem (see probeWrite).
	fs vfs.FS
	// format is the database's format version (formatV1 until Migrate).
	format atomic.Uint32
	budget *budget
	// lists caches merged posting lists (see lists.go).
	lists *listCache
	// bg runs background compactions (see compaction.go).
	bg background
	// bgErrs hears the storage engine's background errors (bgerrors.go).
	bgErrs *bgErrors
	// acked counts committed batches against log loss (see acked.go);
	// ackedStop ends ackedLoop, which closes ackedDone.
	acked                acked
	ackedStop, ackedDone chan struct{}

	closed atomic.Bool
	// inflight is held shared by every call that uses the storage engine
	// and exclusively by Close, so Close waits for them.
	inflight sync.RWMutex

	// wmu serialises writers: one Apply or catalog change at a time.
	wmu sync.Mutex

	mu struct {
		sync.RWMutex
		colls    map[string]*collection
		nextColl uint32
	}
	// swaps counts changes of the name-to-collection mapping made by
	// ReplaceCollections (see Swaps); it is incremented under mu.
	swaps atomic.Uint64
	// viewMu holds off replacing and dropping collections while a View
	// runs (read-locked by View, write-locked by the swaps and drops).
	// Taken before wmu.
	viewMu sync.RWMutex
}

// collection is the in-memory state of one collection.
type collection struct {
	id     uint32
	schema Schema
	// damaged, when set, is why the collection's index could not be
	// loaded at open: its searches fail with it until a build replaces
	// the index (or the collection is dropped); its records still read.
	damaged atomic.Pointer[error]
	// nextDoc is the next doc id to allocate. REQUIRES: DB.wmu held.
	nextDoc uint32
	// docsAllocated mirrors nextDoc for readers (the cost model).
	docsAllocated atomic.Uint32
	// tail holds in memory the rows and IDs of docs newer than the
	// serving generation's vector file, when they fit the budget (nil
	// until a search loads them; see rows.go). noTail is lo+1 when the
	// tail at watermark lo was found too big to hold.
	tail   atomic.Pointer[tailCache]
	noTail atomic.Uint64
	// gen is the write generation: odd while a batch touching the
	// collection commits (see bitmapcache.go).
	gen   atomic.Uint64
	cache bitmapCache
	// ix is the serving index generation (nil: no index).
	ix atomic.Pointer[ivfState]
	// buildMu serialises builds and compactions of the collection.
	buildMu sync.Mutex
	// retired is set by ReplaceCollection before it deletes this
	// collection's keys. A reader that finds it set after taking its
	// snapshot retries with the successor (see errRetired).
	retired atomic.Bool
}

// newCollection returns the in-memory state of a collection.
func (d *DB) newCollection(id uint32, s Schema) *collection {
	c := &collection{id: id, schema: s}
	c.cache.budget = d.budget
	return c
}

// errRetired tells a reader that its collection was replaced while it
// looked it up: its snapshot may postdate the deletion, so it starts over.
var errRetired = errors.New("vecdb: collection replaced during the read")

// retryRetired calls read until it does not fail with errRetired.
func retryRetired[T any](read func() (T, error)) (T, error) {
	for {
		v, err := read()
		if !errors.Is(err, errRetired) {
			return v, err
		}
	}
}

// Open opens (creating if needed, unless opts.ReadOnly) the database in dir.
// A nil opts means DefaultOptions.
func Open(dir string, opts *Options) (_ *DB, err error) {
	defer func() { err = storageErr(err) }()
	if dir == "" {
		return nil, invalidf("open: no directory given")
	}
	o := opts.Clone()
	o.EnsureDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.ReadOnly {
		if _, err := os.Stat(dir); err != nil {
			if oserror.IsNotExist(err) {
				return nil, sentinel.Mark(errors.Newf("vecdb: no database at %s", dir), ErrNotFound)
			}
			return nil, errors.Wrapf(err, "opening %s", dir)
		}
	}
	if !o.ReadOnly {
		if err := checkNotForeign(dir); err != nil {
			return nil, err
		}
	}
	bg := newBgErrors(o.Logger)
	bud := newBudget(o.CacheBytes, o.ReadOnly, o.MemTableBytes)
	if o.budgetHook != nil {
		o.budgetHook(bud)
	}
	cache := pebble.NewCache(bud.storeCache())
	defer cache.Unref()
	popts := &pebble.Options{
		Cache:            cache,
		Merger:           bitmapMerger,
		Logger:           pebbleLogger{l: o.Logger, onFatal: o.OnFatal},
		MemTableSize:     uint64(max(bud.memTable, 1<<20)),
		ReadOnly:         o.ReadOnly,
		ErrorIfNotExists: o.ReadOnly,
		FS:               vfs.Default,
		// The engine's default for a damaged file is a fatal log line (a
		// panic here); reporting it instead lets the read that found it
		// fail with an error (marked ErrCorruption at this package's edge)
		// and the rest of the database serve.
		EventListener: &pebble.EventListener{
			DataCorruption: func(info pebble.DataCorruptionInfo) {
				o.Logger.Errorf("corruption in %s: %v", info.Path, info.Details)
			},
			BackgroundError: bg.report,
		},
	}
	if o.ReadOnly {
		popts.FS = sharedLockFS{vfs.Default}
	}
	if o.fsHook != nil {
		popts.FS = o.fsHook(popts.FS)
	}
	// Bloom filters on every level: each upsert looks its ID up, and for
	// a new ID (most of an import) the filter answers "absent" without
	// searching each level's index blocks.
	for i := range popts.Levels {
		popts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	if err := checkOptionsFile(dir, popts); err != nil {
		return nil, err
	}
	if !o.ReadOnly {
		if err := preflight(dir, popts, o); err != nil {
			return nil, err
		}
	}
	pdb, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, openError(dir, o, err)
	}
	d := &DB{dir: dir, opts: o, pdb: pdb, fs: popts.FS, budget: bud, bgErrs: bg}
	d.lists = newListCache(bud.lists, &bud.listsUsed)
	d.mu.colls = make(map[string]*collection)
	if err := d.checkFormat(); err != nil {
		_ = pdb.Close() // the format error is the one to report
		return nil, err
	}
	if err := d.loadCatalog(); err != nil {
		_ = pdb.Close() // the catalog error is the one to report
		return nil, err
	}
	if err := d.loadAcked(); err != nil {
		_ = pdb.Close() // the loss is the error to report
		return nil, err
	}
	if !o.ReadOnly {
		d.ackedStop, d.ackedDone = make(chan struct{}), make(chan struct{})
		go d.ackedLoop(d.ackedStop, d.ackedDone)
		if err := d.dropInternal(); err != nil {
			_ = pdb.Close() // the cleanup error is the one to report
			return nil, err
		}
		if err := d.removeStaleSegments(); err != nil {
			_ = pdb.Close() // the cleanup error is the one to report
			return nil, err
		}
	}
	return d, nil
}

// openError turns the storage engine's open error into vecdb's.
func openError(dir string, o *Options, err error) error {
	switch {
	case isLockConflict(err) || strings.Contains(err.Error(), "lock held by current process"):
		return sentinel.Mark(errors.Newf("vecdb: %s is in use by another process (one writer, or any number of read-only readers, at a time)", dir), ErrLocked)
	case oserror.IsNotExist(err) && hasStore(dir):
		// The store's MANIFEST names a table or log that is not there.
		return sentinel.Mark(errors.Wrapf(err, "vecdb: %s: the store's MANIFEST names files that are missing (a damaged MANIFEST, or deleted files)", dir), ErrCorruption)
	case o.ReadOnly && oserror.IsNotExist(err):
		return sentinel.Mark(errors.Newf("vecdb: no database at %s", dir), ErrNotFound)
	case oserror.IsPermission(err):
		return errors.Wrapf(err, "vecdb: permission denied opening %s", dir)
	}
	return errors.Wrapf(err, "opening %s", dir)
}

// hasStore reports whether dir holds a store: its MANIFEST marker.
func hasStore(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "marker.manifest.*"))
	return len(m) > 0
}

// preflight opens an existing store read-only before a writable open, and
// checks what the writable open would find only after the engine had
// acted on it. The engine ends its replay of the MANIFEST at a damaged
// record, as at a torn tail, and of the last log likewise; a writable
// open then deletes the tables and logs the store it recovered does not
// name, and flushes and deletes the logs it replayed: a flipped byte in
// the MANIFEST made it delete the tables of every later edit, and one in
// a log lost what followed it for good, before vecdb could say anything
// (issue 15's corruption sweep). A read-only open changes nothing: the
// store must open, hold a format version and, unless AcceptLogLoss, every
// acknowledged batch (see acked.go), or the writable open fails as it
// would have, with every file as it was. Its cost: a second replay of the
// log, which is empty after a Close.
func preflight(dir string, popts *pebble.Options, o *Options) error {
	if !hasStore(dir) {
		return nil // a new store
	}
	ro := popts.Clone()
	ro.ReadOnly = true
	pdb, err := pebble.Open(dir, ro)
	if err != nil {
		return openError(dir, o, err)
	}
	d := &DB{dir: dir, opts: o, pdb: pdb}
	err = func() error {
		it, err := pdb.NewIter(nil)
		if err != nil {
			return err
		}
		empty := !it.First()
		if err := it.Close(); err != nil || empty {
			return err // an empty store: the writable open writes its format
		}
		if err := d.checkFormat(); err != nil || o.AcceptLogLoss {
			return err
		}
		return d.loadAcked()
	}()
	if cerr := pdb.Close(); err == nil && cerr != nil {
		err = errors.Wrap(cerr, "closing the read-only check of the store")
	}
	return err
}

// checkOptionsFile checks the store's latest OPTIONS file against the
// options vecdb opens it with, as the storage engine's open does, so that
// a damaged one is reported as such: the engine's own error for a flipped
// byte there reads as a configuration change ("comparer name from file
// ... != comparer name from options", "WALDir changed from previous
// options"), and vecdb always opens its store with the same comparer,
// merger and log directory. The file holds only the engine's settings,
// which every writable open writes anew, so the error says how to go on.
// Anything else (no store yet, a directory that cannot be listed) is left
// for the open to report.
func checkOptionsFile(dir string, popts *pebble.Options) error {
	desc, err := pebble.Peek(dir, popts.FS)
	if err != nil || !desc.Exists || desc.OptionsFilename == "" {
		return nil
	}
	f, err := popts.FS.Open(desc.OptionsFilename)
	if err != nil {
		return nil
	}
	data, err := io.ReadAll(f)
	_ = f.Close() // read-only: nothing to lose
	if err != nil {
		return nil
	}
	o := popts.Clone()
	o.EnsureDefaults()
	if err := o.CheckCompatibility(dir, string(data)); err != nil {
		return sentinel.Mark(errors.Wrapf(err, "vecdb: %s: the storage engine's settings file %s is damaged (it differs from the settings vecdb always uses, or does not parse); it holds no records: remove it and open again", dir, filepath.Base(desc.OptionsFilename)), ErrCorruption)
	}
	return nil
}

// vecdbFiles reports whether dir holds files only vecdb writes beside its
// store: the acknowledged-writes file or the vector files' directory.
func vecdbFiles(dir string) bool {
	for _, name := range []string{ackedFile, segDirName} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// checkNotForeign refuses to let a writable open create a database in a
// directory that holds files but no store: given no MANIFEST marker, the
// storage engine starts a fresh store there and deletes the files it takes
// for its own (a damaged database's tables, or a user's files). A missing
// or empty directory, or one holding only a lock file or an empty vectors
// directory (a create that stopped early), is fine.
func checkNotForeign(dir string) error {
	entries, err := os.ReadDir(dir)
	if oserror.IsNotExist(err) {
		return nil
	}
	if oserror.IsPermission(err) {
		return errors.Wrapf(err, "vecdb: permission denied opening %s", dir)
	}
	if err != nil {
		return errors.Wrapf(err, "opening %s", dir)
	}
	var others []string
	store := false
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "marker.manifest."):
			return nil
		case name == "LOCK":
		case name == segDirName && e.IsDir() && isEmptyDir(filepath.Join(dir, name)):
		default:
			others = append(others, name)
			store = store || strings.HasPrefix(name, "MANIFEST-") || strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".log") || name == segDirName
		}
	}
	switch {
	case len(others) == 0:
		return nil
	case failedCreation(dir, others):
		// A store whose creation failed before its marker was written
		// (a disk error or a full disk on the first open) holds no data:
		// its leftovers are removed and the store created afresh.
		for _, name := range others {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return errors.Wrapf(err, "vecdb: %s: removing what a failed creation left", dir)
			}
		}
		return nil
	case store:
		return sentinel.Mark(errors.Newf("vecdb: %s holds a damaged database: its files (%d, e.g. %s) have no MANIFEST marker; refusing to open it for writing, which would start a new store over them", dir, len(others), others[0]), ErrCorruption)
	default:
		return sentinel.Mark(errors.Newf("vecdb: %s is not empty (%d files, e.g. %s) and holds no vecdb database; refusing to create one over it", dir, len(others), others[0]), ErrInvalid)
	}
}

// failedCreation reports whether names, the files of dir without a
// MANIFEST marker, are only what the engine writes while creating a
// store, before its marker: the first MANIFEST, OPTIONS files, temporary
// files and empty logs. No batch can have been written to such a store:
// the open that created it failed.
func failedCreation(dir string, names []string) bool {
	for _, name := range names {
		switch {
		case name == "MANIFEST-000001", strings.HasPrefix(name, "OPTIONS-"), strings.HasSuffix(name, ".dbtmp"):
		case strings.HasSuffix(name, ".log"):
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func isEmptyDir(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) == 0
}

// checkFormat verifies (or, for a new database, writes) the format version.
func (d *DB) checkFormat() error {
	v, closer, err := d.pdb.Get(keyFormat)
	if errors.Is(err, pebble.ErrNotFound) {
		it, err := d.pdb.NewIter(nil)
		if err != nil {
			return err
		}
		empty := !it.First()
		if err := it.Close(); err != nil {
			return err
		}
		if !empty {
			if vecdbFiles(d.dir) {
				return corruptionf("vecdb: %s: the store holds records but no format version, beside vecdb's own files: a damaged store (a MANIFEST that lost edits, or missing tables)", d.dir)
			}
			return errors.Newf("vecdb: %s is not a vecdb database (no format version)", d.dir)
		}
		if d.opts.ReadOnly {
			return errors.Newf("vecdb: %s is an empty database", d.dir)
		}
		d.format.Store(FormatVersion)
		return d.pdb.Set(keyFormat, formatValue(FormatVersion), pebble.Sync)
	}
	if err != nil {
		return errors.Wrap(err, "reading format version")
	}
	defer closer.Close()
	if len(v) != 4 {
		return corruptionf("format version of %d bytes", len(v))
	}
	got := binary.LittleEndian.Uint32(v)
	if got > FormatVersion+maxFormatAhead {
		// Versions count format changes one by one: no release is this
		// far ahead of this build, and a flipped bit of a small number is
		// a large one.
		return corruptionf("vecdb: %s: format version %d, far beyond this build's %d: a damaged value", d.dir, got, FormatVersion)
	}
	if got > FormatVersion {
		return errors.Newf("vecdb: %s has format version %d, newer than this build's %d: upgrade vecdb", d.dir, got, FormatVersion)
	}
	if got < formatV1 {
		return corruptionf("format version %d", got)
	}
	d.format.Store(got)
	return nil
}

func (d *DB) loadCatalog() error {
	if v, closer, err := d.pdb.Get(keyNextColl); err == nil {
		if len(v) != 4 {
			closer.Close()
			return corruptionf("next collection id of %d bytes", len(v))
		}
		d.mu.nextColl = binary.LittleEndian.Uint32(v)
		closer.Close()
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return err
	}
	it, err := d.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{famCatalog}, UpperBound: []byte{famCatalog + 1}})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		name := string(it.Key()[1:])
		e, err := decodeCatalogEntry(name, it.Value())
		if err != nil {
			_ = it.Close() // the decode error is the one to report
			return err
		}
		c := d.newCollection(e.id, e.schema)
		if v, closer, err := d.pdb.Get(nextDocKey(e.id)); err == nil {
			if len(v) != 4 {
				closer.Close()
				_ = it.Close() // the corruption is the error to report
				return corruptionf("collection %q: next doc id of %d bytes", name, len(v))
			}
			c.nextDoc = binary.LittleEndian.Uint32(v)
			c.docsAllocated.Store(c.nextDoc)
			closer.Close()
		} else if !errors.Is(err, pebble.ErrNotFound) {
			_ = it.Close() // the read error is the one to report
			return err
		}
		raised, err := d.checkNextDoc(c)
		if err != nil {
			_ = it.Close() // the read error is the one to report
			return err
		}
		if err := loadIndex(d.pdb, c); err != nil {
			if !errors.Is(err, ErrCorruption) {
				_ = it.Close() // the index error is the one to report
				return err
			}
			// One damaged index does not take the database down: the
			// collection is marked, the others serve, and a build or a
			// drop repairs it.
			d.opts.Logger.Errorf("%v (searches of %q fail until it is rebuilt or dropped)", err, name)
			c.damaged.Store(&err)
			d.mu.colls[name] = c
			continue
		}
		if raised != nil && c.ix.Load() != nil {
			// Doc ids above the damaged counter may have been handed out
			// and their records deleted since; their list entries would
			// stand for the records that reuse them. A build replaces them.
			c.damaged.Store(&raised)
		}
		if !d.opts.ReadOnly {
			if err := d.removeStaleGenerations(c); err != nil {
				_ = it.Close() // the cleanup error is the one to report
				return err
			}
		}
		d.mu.colls[name] = c
	}
	return it.Close()
}

// checkNextDoc raises c's next doc id, when damage left it at or below a
// doc id already stored (in a record or a vector), to one past the
// highest: otherwise the next write would reuse that doc id and overwrite
// another record. (A counter behind the index's watermark alone is no
// damage: a refused batch leaves it so, and loadIndex raises it.) The
// batch that stores a record stores the counter past it, so nothing but
// damage leaves it lower. It logs the damage and returns it (nil
// when the counter was sound).
func (d *DB) checkNextDoc(c *collection) (damage, err error) {
	floor := uint32(0)
	for _, fam := range []byte{famDoc, famVec} {
		prefix := appendCollPrefix(nil, fam, c.id)
		it, err := d.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
		if err != nil {
			return nil, err
		}
		if it.Last() {
			if doc, ok := docFromKey(it.Key()); ok {
				floor = max(floor, doc+1)
			}
		}
		if err := it.Close(); err != nil {
			return nil, storageErr(err)
		}
	}
	if c.nextDoc >= floor {
		return nil, nil
	}
	dmg := corruptionf("collection %q: its next doc id %d is below doc ids already used (up to %d): the counter is damaged", c.schema.Name, c.nextDoc, floor-1)
	d.opts.Logger.Errorf("%v; raised to %d so that no record is overwritten (searches of %q fail until vecdb build rebuilds its index)", dmg, floor, c.schema.Name)
	c.nextDoc = floor
	c.docsAllocated.Store(floor)
	return dmg, nil
}

// Close flushes buffered writes to sorted tables (writes are already durable
// in the log; this makes the next open fast) and closes the database. It is
// idempotent; every other call after it returns ErrClosed.
func (d *DB) Close() error {
	if d == nil {
		return ErrClosed
	}
	if d.closed.Swap(true) {
		return nil
	}
	d.stopBackground()
	d.inflight.Lock()
	defer d.inflight.Unlock()
	d.mu.RLock()
	for _, c := range d.mu.colls {
		d.retire(c.ix.Load())
	}
	d.mu.RUnlock()
	var err error
	if d.ackedStop != nil {
		close(d.ackedStop)
		<-d.ackedDone
		err = errors.Wrap(d.storeAcked(true), "recording the acknowledged writes")
	}
	if !d.opts.ReadOnly {
		// Flush the memtable so the next open (often a read-only one, or
		// on another machine) does not replay the write-ahead log, and
		// disk statistics count everything; unless the disk refuses
		// writes: the flush starts a new log, and the engine panics when
		// closing the old one fails (TestWriteFaults).
		if perr := d.probeWrite(); perr != nil {
			err = errors.CombineErrors(err, errors.Wrap(perr, "closing without a flush: the disk refuses writes (every acknowledged write is in the log, which the next open replays)"))
		} else {
			err = errors.CombineErrors(err, d.flushOnClose())
		}
	}
	return errors.CombineErrors(err, d.pdb.Close())
}

// probeWrite writes, syncs and removes a small file through the storage
// engine's filesystem: whether the disk takes writes now.
func (d *DB) probeWrite() error {
	if d.fs == nil {
		return nil
	}
	path := d.fs.PathJoin(d.dir, "VECDB-PROBE")
	f, err := d.fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte{0})
	if err == nil {
		err = f.Sync()
	}
	err = errors.CombineErrors(err, f.Close())
	return errors.CombineErrors(err, d.fs.Remove(path))
}

// Dir returns the directory the database was opened in.
func (d *DB) Dir() string { return d.dir }

// ReadOnly reports whether the database was opened read-only.
func (d *DB) ReadOnly() bool { return d.opts.ReadOnly }

// enter registers a call that uses the storage engine; the caller must call
// the returned function when done. It fails with ErrClosed after Close.
func (d *DB) enter() (func(), error) {
	d.inflight.RLock()
	if d.closed.Load() {
		d.inflight.RUnlock()
		return nil, ErrClosed
	}
	return d.inflight.RUnlock, nil
}

// enterColl is enter followed by a collection look-up.
func (d *DB) enterColl(name string) (*collection, func(), error) {
	release, err := d.enter()
	if err != nil {
		return nil, nil, err
	}
	c, err := d.coll(name)
	if err != nil {
		release()
		return nil, nil, err
	}
	return c, release, nil
}

// enterWrite is enter for calls that write.
func (d *DB) enterWrite() (func(), error) {
	if d.opts.ReadOnly {
		return nil, ErrReadOnly
	}
	return d.enter()
}

// coll returns the named collection's state.
func (d *DB) coll(name string) (*collection, error) {
	d.mu.RLock()
	c := d.mu.colls[name]
	d.mu.RUnlock()
	if c == nil {
		return nil, sentinel.Mark(errors.Newf("vecdb: collection %q does not exist", name), ErrNotFound)
	}
	return c, nil
}

func (d *DB) writeOpts() *pebble.WriteOptions {
	if d.opts.NoSync {
		return pebble.NoSync
	}
	return pebble.Sync
}
