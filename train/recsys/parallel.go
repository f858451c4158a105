package recsys

import (
	"context"
	"runtime"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// threadsOrDefault maps a Threads option of 0 (or less) to GOMAXPROCS.
func threadsOrDefault(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// forChunks calls fn(worker, lo, hi) for consecutive chunks [lo, hi) of
// [0, n), on up to threads goroutines; worker is in [0, threads) and lets fn
// use per-goroutine scratch. Chunks are handed out dynamically, so fn must
// not depend on which worker runs a chunk. It checks ctx before every chunk
// and returns ctx.Err() once ctx is done.
func forChunks(ctx context.Context, n, chunk, threads int, fn func(worker, lo, hi int)) error {
	if chunk < 1 {
		chunk = 1
	}
	threads = max(1, min(threads, (n+chunk-1)/chunk))
	if threads == 1 {
		for lo := 0; lo < n; lo += chunk {
			if err := ctx.Err(); err != nil {
				return err
			}
			fn(0, lo, min(n, lo+chunk))
		}
		return ctx.Err()
	}
	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for w := range threads {
		g.Go(func() error {
			for {
				if gctx.Err() != nil {
					return ctx.Err()
				}
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return nil
				}
				fn(w, lo, min(n, lo+chunk))
			}
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// forRangeNoCtx calls fn(i) for every i in [0, n) on up to threads
// goroutines. It is for short, uncancellable fan-outs.
func forRangeNoCtx(n, threads int, fn func(i int)) error {
	return forChunks(context.Background(), n, 1, threads, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			fn(i)
		}
	})
}
