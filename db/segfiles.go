package db

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/errors/oserror"
)

// removeStaleSegments deletes the vector files no collection serves: those
// of a build that crashed before its swap (or whose swap lost a race),
// generations replaced or collections dropped by a process that crashed
// before it removed them, and temporary files. Writable opens only.
func (d *DB) removeStaleSegments() error {
	dir := filepath.Join(d.dir, segDirName)
	entries, err := os.ReadDir(dir)
	if oserror.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Wrap(err, "listing vector files")
	}
	keep := map[[2]uint32]bool{}
	d.mu.RLock()
	for _, c := range d.mu.colls {
		if st := c.ix.Load(); st != nil && st.ptr.hasSeg {
			keep[[2]uint32{c.id, st.gen}] = true
		}
	}
	d.mu.RUnlock()
	removed := false
	for _, e := range entries {
		name := e.Name()
		coll, gen, ok := parseSegmentName(name)
		if ok && keep[[2]uint32{coll, gen}] {
			continue
		}
		if !ok && !strings.HasSuffix(name, ".tmp") && !strings.HasSuffix(name, ".ids") {
			continue // not ours: leave it
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !oserror.IsNotExist(err) {
			return errors.Wrap(err, "removing a stale vector file")
		}
		removed = true
	}
	if removed {
		return syncDir(dir)
	}
	return nil
}

// removeSegmentFile deletes the vector file of a generation no longer
// served. Mappings of it stay valid until they are unmapped. An error
// leaves a stale file that the next writable open removes.
func (d *DB) removeSegmentFile(coll, gen uint32) error {
	err := os.Remove(segmentPath(d.dir, coll, gen))
	if err != nil && !oserror.IsNotExist(err) {
		return errors.Wrap(err, "removing a replaced vector file")
	}
	return nil
}
