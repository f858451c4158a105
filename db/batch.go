package db

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/quant"
)

// Batch collects record writes that Apply commits atomically: after a
// crash, either every write of the batch is there or none is. Put validates
// each record at once; a batch that had a bad record refuses to Apply, so
// nothing of it is written.
//
// A Batch is not goroutine-safe. Put copies the vector and metadata, so the
// caller may reuse them after Put returns.
type Batch struct {
	d   *DB
	ops []batchOp
	err error
}

type batchOp struct {
	coll   *collection
	id     string
	del    bool
	vec    []float32 // normalised for cosine collections
	meta   []metaValue
	origin int // position of the op in the batch, for error messages
}

// NewBatch returns an empty batch for d.
func (d *DB) NewBatch() *Batch { return &Batch{d: d} }

// Len returns the number of operations in the batch.
func (b *Batch) Len() int { return len(b.ops) }

// Reset empties the batch (and clears a validation error) for reuse.
func (b *Batch) Reset() { b.ops, b.err = b.ops[:0], nil }

// Close releases the batch. It is safe to call more than once.
func (b *Batch) Close() { b.ops, b.err = nil, nil }

// Err returns the first validation error recorded by Put or Delete.
func (b *Batch) Err() error { return b.err }

// Put adds an upsert of record id in collection coll. It returns (and
// records in the batch) an ErrInvalid or ErrDimensionMismatch error naming
// the record and field when the record is bad.
func (b *Batch) Put(coll, id string, vec []float32, meta Meta) error {
	if b.err != nil {
		return b.err
	}
	c, err := b.d.coll(coll)
	if err != nil {
		b.err = err
		return err
	}
	op, err := prepareOp(c, id, vec, meta)
	if err != nil {
		b.err = err
		return err
	}
	op.origin = len(b.ops)
	b.ops = append(b.ops, op)
	return nil
}

// Delete adds a deletion of record id in collection coll. Deleting a record
// that does not exist is not an error.
func (b *Batch) Delete(coll, id string) error {
	if b.err != nil {
		return b.err
	}
	c, err := b.d.coll(coll)
	if err == nil {
		err = checkID(id)
	}
	if err != nil {
		b.err = err
		return err
	}
	b.ops = append(b.ops, batchOp{coll: c, id: id, del: true, origin: len(b.ops)})
	return nil
}

func checkID(id string) error {
	if id == "" {
		return invalidf("empty record ID")
	}
	if len(id) > MaxIDLen {
		return invalidf("record ID of %d bytes (%.20q...), at most %d", len(id), id, MaxIDLen)
	}
	return nil
}

// prepareOp validates a record and returns it ready to write.
// maxNorm2 bounds a vector's squared length: the squared distance of two
// such vectors, at most 4 x maxNorm2, and their inner product stay finite
// in float32. Values near 3e38 are valid float32s, but every distance
// between them overflowed to the same infinity and results came back in
// insertion order.
const maxNorm2 = math.MaxFloat32 / 4

// norm2 is v's squared length, summed in float64 so that it cannot
// overflow.
func norm2(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return s
}

func prepareOp(c *collection, id string, vec []float32, meta Meta) (batchOp, error) {
	s := &c.schema
	if err := checkID(id); err != nil {
		return batchOp{}, err
	}
	if len(vec) != s.Dim {
		return batchOp{}, sentinel.Mark(errors.Newf("vecdb: record %q: vector has %d values, collection %q has dimension %d", id, len(vec), s.Name, s.Dim), ErrDimensionMismatch)
	}
	for i, x := range vec {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return batchOp{}, invalidf("record %q: vector value %d is %v", id, i, x)
		}
	}
	if n2 := norm2(vec); n2 > maxNorm2 {
		return batchOp{}, invalidf("record %q: the vector's squared length %.3g exceeds %.3g: its distances would overflow float32", id, n2, maxNorm2)
	}
	v := slices.Clone(vec)
	if s.Metric == Cosine && !quant.Normalize(v) {
		return batchOp{}, invalidf("record %q: a zero vector has no direction (collection %q uses the cosine metric)", id, s.Name)
	}
	vals, err := normalizeMeta(s, id, meta)
	if err != nil {
		return batchOp{}, err
	}
	return batchOp{coll: c, id: id, vec: v, meta: vals}, nil
}

// Put upserts one record (a batch of one).
func (d *DB) Put(coll, id string, vec []float32, meta Meta) error {
	b := d.NewBatch()
	defer b.Close()
	if err := b.Put(coll, id, vec, meta); err != nil {
		return err
	}
	return d.Apply(b, nil)
}

// Delete deletes the given records of a collection in one atomic batch and
// returns how many existed.
func (d *DB) Delete(coll string, ids ...string) (_ int, err error) {
	defer func() { err = storageErr(err) }()
	b := d.NewBatch()
	defer b.Close()
	for _, id := range ids {
		if err := b.Delete(coll, id); err != nil {
			return 0, err
		}
	}
	res, err := d.apply(b, nil)
	return res.deleted, err
}

// WriteOptions are per-call write options; nil means the database's defaults.
type WriteOptions struct {
	// NoSync returns once the batch is in the log, without waiting for
	// the disk. A crash may lose it, never part of it; the next synced
	// write (or Close) makes it and everything before it durable. Bulk
	// loads that end with a synced step, like a trainer's staging
	// collection, use it.
	NoSync bool
}

// Apply commits the batch atomically. The batch may be reused after Reset.
func (d *DB) Apply(b *Batch, o *WriteOptions) (err error) {
	defer func() { err = storageErr(err) }()
	if b == nil {
		return invalidf("apply: nil batch")
	}
	_, err = d.apply(b, o)
	return err
}

type applyResult struct{ deleted int }

func (d *DB) apply(b *Batch, o *WriteOptions) (applyResult, error) {
	if b.err != nil {
		return applyResult{}, errors.Wrap(b.err, "batch has an invalid record; nothing was written")
	}
	release, err := d.enterWrite()
	if err != nil {
		return applyResult{}, err
	}
	defer release()
	d.wmu.Lock()
	defer d.wmu.Unlock()
	for _, op := range b.ops {
		if cur, err := d.coll(op.coll.schema.Name); err != nil || cur != op.coll {
			return applyResult{}, sentinel.Mark(errors.Newf("vecdb: collection %q was dropped or recreated after the batch was built", op.coll.schema.Name), ErrNotFound)
		}
	}
	w := newBatchWriter(d)
	defer w.pb.Close()
	for i := range b.ops {
		if err := w.apply(&b.ops[i]); err != nil {
			return applyResult{}, err
		}
	}
	if err := w.finish(); err != nil {
		return applyResult{}, err
	}
	for c := range w.touched {
		c.gen.Add(1) // odd: readers bypass the bitmap cache
	}
	wo := d.writeOpts()
	if o != nil && o.NoSync {
		wo = pebble.NoSync
	}
	// The batch goes to the log now and to a table at the next flush.
	if err := d.checkSpace(2 * int64(w.pb.Len())); err != nil {
		return applyResult{}, err
	}
	seq, err := d.countWrite(w.pb)
	if err != nil {
		return applyResult{}, err
	}
	unlock := w.markLists()
	err = w.pb.Commit(wo)
	unlock()
	if err == nil {
		d.committed(seq, wo.Sync)
		w.commitPtrs()
	}
	w.afterCommit() // also after a failed commit: the cache may hold a list read meanwhile
	for c := range w.touched {
		c.gen.Add(1) // even: the new state is settled
	}
	if err != nil {
		return applyResult{}, errors.Wrap(err, "committing batch")
	}
	d.maybeCompact(w.touched)
	return applyResult{deleted: w.deleted}, nil
}

// batchWriter turns batch operations into one storage batch.
// REQUIRES: DB.wmu held for its whole life.
type batchWriter struct {
	d       *DB
	pb      *pebble.Batch
	deltas  map[string]*bitmapDelta // bitmap key -> change
	docs    map[docKey]docState     // record -> doc id as of this batch
	touched map[*collection]bool
	newRows []newRow
	pending map[pendingKey]int // new doc -> index in newRows
	slices  map[sliceField]*sliceLists
	ivf     map[*collection]*ivfAdds
	// segDead counts, per collection, the vector file's docs the batch
	// deletes or replaces.
	segDead map[*collection]uint64
	// lists the batch appends blocks to, per generation (see markLists),
	// and those of them with a loaded source, whose cached copies
	// afterCommit drops.
	lists    []genLists
	appended []appendedLists
	// ptrs are the index pointers the batch writes (see writeIVF).
	ptrs    map[*ivfState]*ptrUpdate
	scratch []float32 // residuals for encoding
	deleted int
	key     []byte
}

type docKey struct {
	coll *collection
	id   string
}

// sliceField names a numeric field's bit-sliced index.
type sliceField struct {
	coll  *collection
	field int
}

// sliceLists collects, per bit, the docs a batch adds to or removes from a
// numeric field's slices. New docs arrive in increasing id order, so the
// lists turn into bitmaps cheaply at finish.
type sliceLists struct {
	adds, removes [sliceBits][]uint32
}

// slice records a numeric value of doc as added or removed.
func (w *batchWriter) slice(c *collection, vals []metaValue, doc uint32, add bool) {
	for i := range vals {
		enc, ok := vals[i].sortable(&c.schema)
		if !ok {
			continue
		}
		k := sliceField{c, vals[i].field}
		l := w.slices[k]
		if l == nil {
			l = &sliceLists{}
			w.slices[k] = l
		}
		lists := &l.removes
		if add {
			lists = &l.adds
		}
		for enc != 0 {
			b := bits.TrailingZeros64(enc)
			lists[b] = append(lists[b], doc)
			enc &= enc - 1
		}
	}
}

type pendingKey struct {
	coll *collection
	doc  uint32
}

type docState struct {
	doc    uint32
	exists bool
}

type newRow struct {
	c    *collection
	doc  uint32
	id   string
	vec  []float32
	vals []metaValue
}

func newBatchWriter(d *DB) *batchWriter {
	return &batchWriter{
		d:       d,
		pb:      d.pdb.NewBatch(),
		deltas:  make(map[string]*bitmapDelta),
		docs:    make(map[docKey]docState),
		touched: make(map[*collection]bool),
		pending: make(map[pendingKey]int),
		slices:  make(map[sliceField]*sliceLists),
		ivf:     make(map[*collection]*ivfAdds),
		segDead: make(map[*collection]uint64),
	}
}

func (w *batchWriter) delta(key []byte) *bitmapDelta {
	dl := w.deltas[string(key)]
	if dl == nil {
		dl = &bitmapDelta{adds: roaring.New(), removes: roaring.New()}
		w.deltas[string(key)] = dl
	}
	return dl
}

func (w *batchWriter) add(key []byte, doc uint32) {
	dl := w.delta(key)
	dl.adds.Add(doc)
	dl.removes.Remove(doc)
}

func (w *batchWriter) remove(key []byte, doc uint32) {
	dl := w.delta(key)
	dl.adds.Remove(doc)
	dl.removes.Add(doc)
}

// lookup returns the record's current doc id, as of the batch so far.
func (w *batchWriter) lookup(c *collection, id string) (docState, error) {
	k := docKey{c, id}
	if st, ok := w.docs[k]; ok {
		return st, nil
	}
	w.key = appendIDMapKey(w.key[:0], c.id, id)
	v, closer, err := w.d.pdb.Get(w.key)
	if errors.Is(err, pebble.ErrNotFound) {
		return docState{}, nil
	}
	if err != nil {
		return docState{}, errors.Wrapf(err, "looking up record %q", id)
	}
	defer closer.Close()
	if len(v) != 4 {
		return docState{}, corruptionf("collection %q: record %q: doc id of %d bytes", c.schema.Name, id, len(v))
	}
	return docState{doc: binary.BigEndian.Uint32(v), exists: true}, nil
}

func (w *batchWriter) apply(op *batchOp) error {
	c := op.coll
	st, err := w.lookup(c, op.id)
	if err != nil {
		return err
	}
	if st.exists && !op.del {
		same, err := w.unchanged(c, st.doc, op)
		if err != nil || same {
			return err
		}
	}
	if st.exists {
		if err := w.removeDoc(c, st.doc); err != nil {
			return err
		}
	}
	if op.del {
		if st.exists {
			w.deleted++
			w.key = appendIDMapKey(w.key[:0], c.id, op.id)
			if err := w.pb.Delete(w.key, nil); err != nil {
				return err
			}
		}
		w.docs[docKey{c, op.id}] = docState{}
		return nil
	}
	return w.addDoc(c, op)
}

// unchanged reports whether the stored record equals op, so that importing
// the same data again writes nothing.
func (w *batchWriter) unchanged(c *collection, doc uint32, op *batchOp) (bool, error) {
	if _, pending := w.docs[docKey{c, op.id}]; pending {
		return false, nil // written earlier in this batch: not in storage yet
	}
	w.key = appendDocKey(w.key[:0], famVec, c.id, doc)
	v, closer, err := w.d.pdb.Get(w.key)
	if err != nil {
		return false, errors.Wrapf(err, "reading record %q", op.id)
	}
	same := len(v) == 4*len(op.vec)
	for i := 0; same && i < len(op.vec); i++ {
		same = binary.LittleEndian.Uint32(v[4*i:]) == math.Float32bits(op.vec[i])
	}
	closer.Close()
	if !same {
		return false, nil
	}
	old, err := w.readDoc(c, doc)
	if err != nil {
		return false, err
	}
	return sameMeta(old, op.meta), nil
}

func (w *batchWriter) readDoc(c *collection, doc uint32) ([]metaValue, error) {
	w.key = appendDocKey(w.key[:0], famDoc, c.id, doc)
	v, closer, err := w.d.pdb.Get(w.key)
	if err != nil {
		return nil, errors.Wrapf(err, "reading doc %d", doc)
	}
	defer closer.Close()
	_, vals, err := decodeDoc(&c.schema, v)
	return vals, err
}

// removeDoc deletes a stored doc and takes it out of every bitmap. It reads
// the doc's metadata from storage unless the doc was added in this batch.
func (w *batchWriter) removeDoc(c *collection, doc uint32) error {
	var vals []metaValue
	if m, ok := w.pendingMeta(c, doc); ok {
		vals = m
	} else {
		var err error
		if vals, err = w.readDoc(c, doc); err != nil {
			return err
		}
	}
	for _, k := range docBitmapKeys(&c.schema, c.id, vals) {
		w.remove(k, doc)
	}
	w.slice(c, vals, doc, false)
	w.remove(liveKey(c.id), doc)
	if st := c.ix.Load(); st != nil && doc < st.tailLo() {
		w.segDead[c]++ // a row of the vector file is now garbage
	}
	for _, fam := range []byte{famDoc, famVec} {
		w.key = appendDocKey(w.key[:0], fam, c.id, doc)
		if err := w.pb.Delete(w.key, nil); err != nil {
			return err
		}
	}
	w.touched[c] = true
	return nil
}

func (w *batchWriter) pendingMeta(c *collection, doc uint32) ([]metaValue, bool) {
	i, ok := w.pending[pendingKey{c, doc}]
	if !ok {
		return nil, false
	}
	return w.newRows[i].vals, true
}

func (w *batchWriter) addDoc(c *collection, op *batchOp) error {
	doc := c.nextDoc
	if doc == math.MaxUint32 {
		return errors.Newf("vecdb: collection %q has used all 2^32 doc ids; rebuild it", c.schema.Name)
	}
	c.nextDoc++
	w.touched[c] = true
	w.key = appendIDMapKey(w.key[:0], c.id, op.id)
	if err := w.pb.Set(w.key, binary.BigEndian.AppendUint32(nil, doc), nil); err != nil {
		return err
	}
	w.key = appendDocKey(w.key[:0], famDoc, c.id, doc)
	if err := w.pb.Set(w.key, encodeDoc(nil, &c.schema, op.id, op.meta), nil); err != nil {
		return err
	}
	w.key = appendDocKey(w.key[:0], famVec, c.id, doc)
	if err := w.pb.Set(w.key, appendVector(nil, op.vec), nil); err != nil {
		return err
	}
	for _, k := range docBitmapKeys(&c.schema, c.id, op.meta) {
		w.add(k, doc)
	}
	w.slice(c, op.meta, doc, true)
	if st := c.ix.Load(); st != nil {
		w.encode(c, st, doc, op.vec)
	}
	w.add(liveKey(c.id), doc)
	w.docs[docKey{c, op.id}] = docState{doc: doc, exists: true}
	w.pending[pendingKey{c, doc}] = len(w.newRows)
	w.newRows = append(w.newRows, newRow{c: c, doc: doc, id: op.id, vec: op.vec, vals: op.meta})
	return nil
}

// docBitmapKeys returns every bitmap key a doc with these values belongs to.
func docBitmapKeys(s *Schema, coll uint32, vals []metaValue) [][]byte {
	keys := make([][]byte, 0, 2*len(vals))
	for i := range vals {
		keys = append(keys, appendFieldPrefix(nil, coll, uint16(vals[i].field), tagExists))
		keys = vals[i].valueKeys(s, coll, keys)
	}
	return keys
}

// finish writes the bitmap deltas and doc counters, and hands new rows to
// loaded in-memory vector stores (published before the commit, so a reader
// whose snapshot includes a doc always finds its row; rows of a batch that
// fails to commit are never live, and their ids are not reused).
func (w *batchWriter) finish() error {
	for k, dl := range w.deltas {
		if dl.adds.IsEmpty() && dl.removes.IsEmpty() {
			continue
		}
		if err := w.pb.Merge([]byte(k), encodeBitmapDelta(dl.adds, dl.removes), nil); err != nil {
			return err
		}
	}
	if err := w.writeSlices(); err != nil {
		return err
	}
	if err := w.writeIVF(); err != nil {
		return err
	}
	for c := range w.touched {
		if err := w.pb.Set(nextDocKey(c.id), binary.LittleEndian.AppendUint32(nil, c.nextDoc), nil); err != nil {
			return err
		}
	}
	for c := range w.touched {
		c.docsAllocated.Store(c.nextDoc)
	}
	w.extendTails()
	return nil
}

// extendTails hands new rows to loaded tail caches (published before the
// commit, so a reader whose snapshot includes a doc always finds its row;
// rows of a batch that fails to commit are never live, and their ids are
// not reused). A cache that would outgrow the budget's row share is
// dropped instead: searches then read the tail from storage.
func (w *batchWriter) extendTails() {
	grow := map[*tailCache]int64{}
	for _, r := range w.newRows {
		if tc := r.c.tail.Load(); tc != nil {
			grow[tc] += tailRowBytes(r.c.schema.Dim) + int64(len(r.id))
		}
	}
	for tc, n := range grow {
		if !reserve(&w.d.budget.rowsUsed, w.d.budget.rows, n) {
			for c := range w.touched {
				if c.tail.Load() == tc {
					w.d.dropTail(c, true)
				}
			}
			continue
		}
		tc.bytes.Add(n)
	}
	for _, r := range w.newRows {
		if tc := r.c.tail.Load(); tc != nil {
			tc.flat.Set(r.doc, r.vec)
			tc.ids.set(r.doc, r.id)
		}
	}
	for c := range w.touched {
		if tc := c.tail.Load(); tc != nil {
			tc.ids.publish(c.nextDoc)
			tc.flat.Publish(c.nextDoc)
		}
	}
}

// encode assigns a new doc to its list of the collection's index and
// encodes it, so it is searchable through the index at once.
func (w *batchWriter) encode(c *collection, st *ivfState, doc uint32, vec []float32) {
	a := w.ivf[c]
	if a == nil {
		a = &ivfAdds{st: st, docs: map[int][]uint32{}, codes: map[int][]byte{}}
		w.ivf[c] = a
	}
	ivf := st.ivf
	if cap(w.scratch) < 2*ivf.Dim {
		w.scratch = make([]float32, 2*ivf.Dim)
	}
	l, dist := ivf.Assign(vec)
	resid := w.scratch[:2*ivf.Dim]
	a.resid += float64(dist)
	a.n++
	a.docs[l] = append(a.docs[l], doc)
	a.codes[l] = ivf.Encode(a.codes[l], vec, l, resid)
}

// writeIVF writes one block per touched list of each indexed collection
// (all under one new sequence number), marks those lists as having blocks
// in storage (markLists marks them in the loaded list source, before the
// commit) and writes the updated pointer. The generations' state takes the new
// pointers only once the batch commits (commitPtrs): a batch refused
// after this (a full disk) must not count its codes and dead rows. After
// the commit, afterCommit drops the cached copies of those lists.
func (w *batchWriter) writeIVF() error {
	w.ptrs = map[*ivfState]*ptrUpdate{}
	next := func(c *collection, st *ivfState) *ptrUpdate {
		u := w.ptrs[st]
		if u == nil {
			u = &ptrUpdate{coll: c.id, ptr: st.ptr}
			w.ptrs[st] = u
		}
		return u
	}
	for c, n := range w.segDead {
		next(c, c.ix.Load()).ptr.segDead += n
	}
	for c, a := range w.ivf {
		st := a.st
		if cur := c.ix.Load(); cur != st {
			continue // a build swapped generations; it encoded these docs itself
		}
		u := next(c, st)
		seq := u.ptr.nextSeq
		touched := make([]int, 0, len(a.docs))
		for l, docs := range a.docs {
			blk, err := index.AppendBlock(nil, docs, a.codes[l], st.ivf.CodeSize())
			if err != nil {
				return err
			}
			if err := w.pb.Set(indexBlockKey(c.id, st.gen, l, seq), blk, nil); err != nil {
				return err
			}
			touched = append(touched, l)
		}
		if st.ptr.hasSeg {
			if err := w.pb.Merge(indexAddedKey(c.id, st.gen), addedBitmapDelta(touched), nil); err != nil {
				return err
			}
		}
		u.ptr.nextSeq++
		u.ptr.added += a.n
		u.ptr.addedRes += a.resid
		u.codes += a.n
		w.lists = append(w.lists, genLists{st, touched})
	}
	for _, u := range w.ptrs {
		if err := w.pb.Set(indexPtrKey(u.coll), u.ptr.encode(), nil); err != nil {
			return err
		}
	}
	return nil
}

// ptrUpdate is a generation's pointer as a batch writes it, and the codes
// the batch adds.
type ptrUpdate struct {
	coll  uint32
	ptr   indexPtr
	codes uint64
}

// commitPtrs sets the pointers the batch wrote in their generations'
// state, once it has committed: the fields a batch changes, not the
// immutable ones, which readers read without DB.wmu. REQUIRES: DB.wmu
// held.
func (w *batchWriter) commitPtrs() {
	for st, u := range w.ptrs {
		st.ptr.nextSeq, st.ptr.added, st.ptr.addedRes, st.ptr.segDead = u.ptr.nextSeq, u.ptr.added, u.ptr.addedRes, u.ptr.segDead
		st.codes.Add(u.codes)
	}
}

// genLists are the lists of a generation a batch appends blocks to.
type genLists struct {
	st    *ivfState
	lists []int
}

// markLists marks the lists the batch appends to as having blocks in
// their generation's loaded list source, right before the commit, so that
// a reader whose snapshot has the batch reads its blocks. It holds each
// generation's srcMu until the returned function is called, after the
// commit: a source loaded meanwhile would read the stored bitmap of those
// lists before the commit, and be published after the batch looked for
// it, and never know those lists have blocks. REQUIRES: DB.wmu held (the
// order of the two locks, as in DB.retire).
func (w *batchWriter) markLists() (unlock func()) {
	for _, g := range w.lists {
		g.st.srcMu.Lock()
		if src := g.st.src.Load(); src != nil {
			for _, l := range g.lists {
				src.added[l].Store(true)
			}
			w.appended = append(w.appended, appendedLists{src, g.lists})
		}
	}
	return func() {
		for _, g := range w.lists {
			g.st.srcMu.Unlock()
		}
	}
}

// appendedLists are the lists of a source a batch appended to.
type appendedLists struct {
	src   *listSource
	lists []int
}

// afterCommit drops the cached copies of the lists the batch appended to,
// so the next search reads them with the new blocks.
func (w *batchWriter) afterCommit() {
	for _, a := range w.appended {
		a.src.appended(a.lists)
	}
}

// writeSlices writes one merge operand per touched bit of each numeric
// field. A doc in both lists was added and then replaced within this batch
// (ids are never reused), so it is dropped from the adds.
func (w *batchWriter) writeSlices() error {
	for k, l := range w.slices {
		prefix := appendFieldPrefix(nil, k.coll.id, uint16(k.field), tagSlice)
		for b := range sliceBits {
			if len(l.adds[b]) == 0 && len(l.removes[b]) == 0 {
				continue
			}
			adds, removes := roaring.BitmapOf(l.adds[b]...), roaring.BitmapOf(l.removes[b]...)
			adds.AndNot(removes)
			if err := w.pb.Merge(appendSliceKey(slices.Clip(prefix), b), encodeBitmapDelta(adds, removes), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendVector encodes a vector as little-endian float32s.
func appendVector(dst []byte, v []float32) []byte {
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
	}
	return dst
}

// decodeVector decodes a stored vector of dim values into dst.
func decodeVector(dst []float32, b []byte, dim int) ([]float32, error) {
	if len(b) != 4*dim {
		return nil, corruptionf("vector of %d bytes, want %d", len(b), 4*dim)
	}
	dst = slices.Grow(dst[:0], dim)[:dim]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return dst, nil
}
