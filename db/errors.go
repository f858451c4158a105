package db

import (
	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// Sentinel errors. Test for them with errors.Is; the returned errors carry
// more detail (which collection, record or field) in their message.
var (
	// ErrNotFound is returned when a collection or record does not exist.
	ErrNotFound = errors.New("vecdb: not found")
	// ErrClosed is returned by every call on a DB after Close.
	ErrClosed = errors.New("vecdb: database is closed")
	// ErrDimensionMismatch is returned when a vector's length differs from
	// the collection's dimension.
	ErrDimensionMismatch = errors.New("vecdb: dimension mismatch")
	// ErrCorruption marks errors caused by stored bytes that do not decode.
	ErrCorruption = errors.New("vecdb: corruption")
	// ErrExists is returned when creating a collection whose name is taken.
	ErrExists = errors.New("vecdb: already exists")
	// ErrReadOnly is returned by writes to a database opened read-only.
	ErrReadOnly = errors.New("vecdb: database is read-only")
	// ErrLocked is returned by Open when another process holds the
	// database open for writing (or, for a writer, open at all).
	ErrLocked = errors.New("vecdb: database is locked by another process")
	// ErrInvalid marks bad input: a malformed name, schema, record or request.
	ErrInvalid = errors.New("vecdb: invalid argument")
	// ErrDiskFull is returned by a write that would leave the database's
	// file system with less free space than the store needs to finish its
	// own flushes and compactions; nothing of the write happened, and the
	// database stays usable once space is freed.
	ErrDiskFull = errors.New("vecdb: not enough free disk space")
)

// storageErr marks err with ErrCorruption when the storage engine found
// a damaged file (a checksum mismatch, a truncated table), so that callers
// tell a damaged database from other failures; other errors pass through.
func storageErr(err error) error {
	if err != nil && pebble.IsCorruptionError(err) && !errors.Is(err, ErrCorruption) {
		return sentinel.Mark(err, ErrCorruption)
	}
	return err
}

// corruptionf returns an error marked with ErrCorruption (matched by the
// standard library's errors.Is too: see internal/sentinel).
func corruptionf(format string, args ...any) error {
	return sentinel.Mark(errors.Newf(format, args...), ErrCorruption)
}

// invalidf returns an error marked with ErrInvalid.
func invalidf(format string, args ...any) error {
	return sentinel.Mark(errors.Newf(format, args...), ErrInvalid)
}

// damagedErr is the error of a use of collection c's damaged index: the
// damage and the ways out.
func damagedErr(c *collection, dmg error) error {
	name := c.schema.Name
	return errors.Wrapf(dmg, "collection %q: its index is damaged: vecdb build %s rebuilds it, vecdb drop %s removes the collection", name, name, name)
}
