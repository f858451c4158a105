package recsys

import (
	"context"
	"sync/atomic"
	"testing"
)

func TestForChunks(t *testing.T) {
	for _, tc := range []struct{ n, chunk, threads int }{
		{0, 4, 2}, {1, 4, 2}, {10, 3, 1}, {10, 3, 4}, {1000, 7, 3}, {5, 0, 2},
	} {
		seen := make([]atomic.Int32, tc.n)
		err := forChunks(context.Background(), tc.n, tc.chunk, tc.threads, func(w, lo, hi int) {
			if w < 0 || w >= max(1, tc.threads) {
				t.Errorf("worker %d out of range for %d threads", w, tc.threads)
			}
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("%+v: index %d visited %d times", tc, i, c)
			}
		}
	}
	// Cancelling stops the hand-out of chunks and returns ctx.Err(). From
	// the 5th chunk on every chunk cancels: a second cancel waits for the
	// first to finish, so a worker that took a chunk while the first ran
	// (the race detector makes cancel slow) finds the hand-out stopped
	// when it returns. At most the 5th and one chunk per other worker run.
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	err := forChunks(ctx, 1000, 1, 2, func(_, _, _ int) {
		if calls.Add(1) >= 5 {
			cancel()
		}
	})
	if err != context.Canceled {
		t.Fatalf("forChunks after cancel = %v, want context.Canceled", err)
	}
	if c := calls.Load(); c > 6 {
		t.Fatalf("%d chunks ran after cancelling at the 5th", c)
	}
}
