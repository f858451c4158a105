package db

import (
	"strconv"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// A store that fills its disk cannot flush its write buffers or compact,
// and the storage engine treats a failed log write as fatal: on a full
// 30 MB file system an import hung in Close, retrying a flush forever. So
// every write first checks that the file system keeps spaceReserveMin plus
// two write buffers free after it, and refuses with ErrDiskFull otherwise,
// before anything is written.
const spaceReserveMin = 64 << 20

// freeBytes returns the bytes an unprivileged process may still write on
// dir's file system, and whether it could tell. Tests replace it.
var freeBytes = fsFreeBytes

// spaceReserve is the free space a write must leave.
func (d *DB) spaceReserve() int64 { return spaceReserveMin + 2*d.budget.memTable }

// checkSpace refuses a write of about need bytes that would leave less
// than spaceReserve free.
func (d *DB) checkSpace(need int64) error {
	free, ok := freeBytes(d.dir)
	if !ok || free-need >= d.spaceReserve() {
		return nil
	}
	return sentinel.Mark(errors.Newf("vecdb: %s has %s free; a write of %s must leave %s for the store's own flushes (a smaller cache budget, whose quarter are write buffers, needs less): free some space and retry (every acknowledged write is intact)",
		d.dir, humanSize(free), humanSize(need), humanSize(d.spaceReserve())), ErrDiskFull)
}

// humanSize formats a byte count in MiB or KiB.
func humanSize(n int64) string {
	if n >= 1<<20 || n <= -1<<20 {
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
	return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
}
