package db

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// The storage engine cannot tell a torn tail of its write-ahead log (a
// crash, which loses nothing acknowledged when writes are synced) from a
// damaged one, and it replays what it can read: flipping 8 bytes in the
// last log, truncating it or deleting a middle one lost thousands of
// acknowledged records with no error. So vecdb counts the batches it
// commits (keyWrites, in each batch) and keeps, outside the log, the count
// as of the last synced commit (ackedFile, rewritten at most every
// ackedEvery and at Close). An open that recovers fewer batches than that
// file says were durable has lost acknowledged writes: a writable open
// fails with ErrCorruption (Options.AcceptLogLoss opens anyway and starts
// counting again from what was recovered), a read-only one logs it and
// serves what is left. Losses within the last ackedEvery before the damage
// are not detected.
const (
	ackedFile  = "VECDB-ACKED"
	ackedEvery = time.Second
)

var keyWrites = []byte("\x00writes")

// acked tracks the batch count (see above).
type acked struct {
	mu      sync.Mutex
	written uint64 // batches committed (the store's keyWrites)
	synced  uint64 // written as of the last synced commit
	stored  uint64 // synced as of the last ackedFile write
}

// loadAcked reads the store's count and checks it against ackedFile.
func (d *DB) loadAcked() error {
	v, closer, err := d.pdb.Get(keyWrites)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		return err
	default:
		if len(v) == 8 {
			d.acked.written = binary.LittleEndian.Uint64(v)
		}
		closer.Close()
	}
	d.acked.synced, d.acked.stored = d.acked.written, d.acked.written
	want, ok := readAckedFile(d.dir)
	if !ok || want <= d.acked.written {
		return nil
	}
	msg := errors.Newf("vecdb: %s: the store's log lost acknowledged writes: it recovered %d batches, and %d were durable (a damaged, truncated or missing log file)", d.dir, d.acked.written, want)
	if d.opts.ReadOnly {
		d.opts.Logger.Errorf("%v; serving what is left", msg)
		return nil
	}
	if !d.opts.AcceptLogLoss {
		return sentinel.Mark(errors.Newf("%v: open it read-only to export what is left, or set Options.AcceptLogLoss to go on from it", msg), ErrCorruption)
	}
	d.opts.Logger.Errorf("%v; going on from what was recovered (AcceptLogLoss)", msg)
	return writeAckedFile(d.dir, d.acked.written)
}

// countWrite adds the batch counter to a commit of one Apply; committed
// records its outcome. REQUIRES: DB.wmu held (batches count in order).
func (d *DB) countWrite(b *pebble.Batch) (uint64, error) {
	n := d.acked.written + 1
	return n, b.Set(keyWrites, binary.LittleEndian.AppendUint64(nil, n), nil)
}

// committed records that batch n committed, synced or not.
// REQUIRES: DB.wmu held.
func (d *DB) committed(n uint64, synced bool) {
	d.acked.mu.Lock()
	defer d.acked.mu.Unlock()
	d.acked.written = n
	if synced {
		// The log is sequential: a synced commit makes every earlier
		// one durable too.
		d.acked.synced = n
	}
}

// storeAcked writes the synced count to ackedFile when it moved. With
// final set (Close) it first syncs the log, so every commit counts.
func (d *DB) storeAcked(final bool) error {
	if d.opts.ReadOnly {
		return nil
	}
	if final {
		if err := d.pdb.LogData(nil, pebble.Sync); err != nil {
			return err
		}
		d.acked.mu.Lock()
		d.acked.synced = d.acked.written
		d.acked.mu.Unlock()
	}
	d.acked.mu.Lock()
	n := d.acked.synced
	moved := n != d.acked.stored
	d.acked.mu.Unlock()
	if !moved {
		return nil
	}
	if err := writeAckedFile(d.dir, n); err != nil {
		return err
	}
	d.acked.mu.Lock()
	d.acked.stored = max(d.acked.stored, n)
	d.acked.mu.Unlock()
	return nil
}

// ackedLoop stores the count every ackedEvery until stop closes.
func (d *DB) ackedLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(ackedEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := d.storeAcked(false); err != nil {
				d.opts.Logger.Errorf("recording the acknowledged writes: %v", err)
			}
		}
	}
}

// ackedFile layout: count u64 LE, CRC-32C of it u32 LE.
func writeAckedFile(dir string, n uint64) error {
	b := binary.LittleEndian.AppendUint64(nil, n)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
	tmp := filepath.Join(dir, ackedFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close() // the write error is the one to report
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close() // the sync error is the one to report
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ackedFile)); err != nil {
		return err
	}
	return syncDir(dir)
}

// readAckedFile returns the count in dir's ackedFile, if it has a valid one.
func readAckedFile(dir string) (uint64, bool) {
	b, err := os.ReadFile(filepath.Join(dir, ackedFile))
	if err != nil || len(b) != 12 || crc32.Checksum(b[:8], crcTable) != binary.LittleEndian.Uint32(b[8:]) {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}
