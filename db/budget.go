package db

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
)

// The memory budget (Options.CacheBytes, B) is the memory vecdb holds for
// its own purposes, split once at Open:
//
//	share          size                          holds
//	-------------  ----------------------------  ------------------------------------------
//	block cache    B/8                           the storage engine's decoded blocks
//	memtables      2 x min(64 MiB, B/4)          writes not yet flushed (writable opens;
//	                                             the engine's cache is block cache plus
//	                                             these, as it reserves them in it)
//	caches         the rest (B/4 at least)       rows of records newer than the index's
//	                                             vector file, posting lists with codes added
//	                                             since the build, decoded filter bitmaps
//	build          B/2                           an index build's training sample
//
// What the budget does not hold: the pages of vector files (segments) a
// process maps, which the operating system's page cache keeps while they
// are hot and takes back under memory pressure (they count in a cgroup's
// memory, as reclaimable page cache), and per-query scratch.
type budget struct {
	total      int64
	blockCache int64
	memTable   int64
	rows       int64 // in-memory rows (collection.flat), all collections
	lists      int64 // decoded posting lists, all collections
	bitmaps    int64 // decoded bitmaps, all collections
	build      int64

	rowsUsed, listsUsed, bitmapsUsed atomic.Int64
	// bitmapHits and bitmapMisses count the bitmap caches' look-ups.
	bitmapHits, bitmapMisses atomic.Int64
}

// minCacheBytes is the smallest budget Validate accepts: the storage
// engine needs a few MiB of block cache and memtable to work at all.
const minCacheBytes = 16 << 20

// defaultCacheBytes is the budget when Options.CacheBytes is 0: 256 MiB,
// or half the memory limit of the process's cgroup when that is lower, so
// a process capped by a container needs no flag.
func defaultCacheBytes() int64 {
	const def = 256 << 20
	if lim := cgroupMemoryLimit(); lim > 0 && lim/2 < def {
		return max(lim/2, minCacheBytes)
	}
	return def
}

func newBudget(total int64, readOnly bool, memTableOverride int64) *budget {
	b := &budget{total: total, blockCache: total / 8, build: total / 2}
	if !readOnly {
		b.memTable = min(64<<20, total/4)
		if memTableOverride > 0 {
			b.memTable = memTableOverride
		}
	}
	caches := max(total-b.storeCache(), total/4)
	b.rows, b.lists, b.bitmaps = caches/2, caches/4, caches/4
	return b
}

// storeCache is the size of the storage engine's cache: the block share
// plus two write buffers, because the engine reserves each write buffer's
// size in its block cache while the buffer lives. Sized at the block share
// alone, a 1M x 128 import with 64 MiB buffers in a 128 MiB cache left
// the blocks almost no room and slowed from 90k to 9k records a second.
//
// The split favours write buffers over blocks: at the default 256 MiB, a
// 1M x 128 import ran at 104-105k records a second with 64 MiB buffers and
// a 64 MiB block share, and at 67-89k with 32 MiB and 128 MiB (same run,
// interleaved); the previous release, with 64 MiB buffers in a 256 MiB
// cache, ran at 97-107k. Searches served from a vector file use almost
// none of the block cache, and an import's look-ups need its filter and
// index blocks (a few MiB per million records), so the block share is an
// eighth (32 MiB at the default), leaving 96 MiB to the caches.
func (b *budget) storeCache() int64 { return b.blockCache + 2*b.memTable }

// reserve takes n bytes from a share whose use is counted in used, if
// they fit under limit.
func reserve(used *atomic.Int64, limit, n int64) bool {
	for {
		u := used.Load()
		if u+n > limit {
			return false
		}
		if used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// CgroupMemoryLimit returns the memory limit of the process's cgroup (the
// lowest along its path, cgroup v1 or v2), or 0 when there is none. The
// default budget is derived from it; a program may also give it to the Go
// runtime (runtime/debug.SetMemoryLimit), as the vecdb command does.
func CgroupMemoryLimit() int64 { return cgroupMemoryLimit() }

// cgroupMemoryLimit returns the memory limit of the process's cgroup (the
// lowest along its path, cgroup v1 or v2), or 0 when there is none.
func cgroupMemoryLimit() int64 {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	defer f.Close()
	var best int64
	consider := func(root, path, file string) {
		for p := path; ; p = filepath.Dir(p) {
			if v := readLimit(filepath.Join(root, p, file)); v > 0 && (best == 0 || v < best) {
				best = v
			}
			if p == "/" || p == "." || p == "" {
				return
			}
		}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[1] == "":
			consider("/sys/fs/cgroup", parts[2], "memory.max")
			consider("/sys/fs/cgroup/unified", parts[2], "memory.max")
		case hasController(parts[1], "memory"):
			consider("/sys/fs/cgroup/memory", parts[2], "memory.limit_in_bytes")
		}
	}
	return best
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// readLimit reads a cgroup limit file; "max", a missing file and the
// "unlimited" values near 2^63 read as 0.
func readLimit(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v <= 0 || v >= 1<<62 {
		return 0
	}
	return v
}
