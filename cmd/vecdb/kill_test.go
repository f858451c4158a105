package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vecdb/vecdb/client"
	"github.com/vecdb/vecdb/wire"
)

// childEnv makes the test binary run vecdb's main with its arguments
// instead of the tests (see TestMain), so a test can SIGKILL a real server.
const childEnv = "VECDB_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startServe starts `vecdb --db dir serve --addr 127.0.0.1:0` as a child
// process and returns it with a client of its address, once it answers.
func startServe(t *testing.T, dir string) (*exec.Cmd, *client.Client, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "--db", dir, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		// Discover probes the announced address, so a stale announcement
		// of a killed server is not taken for this one.
		if a, ok := client.Discover(dir); ok {
			c, err := client.New(a.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			return cmd, c, &stderr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("vecdb serve did not announce itself in 30 s; stderr: %s", stderr.String())
	return nil, nil, nil
}

// TestServeSIGKILL: SIGKILL a server in the middle of a load of searches
// and upserts, restart it, and every record of every batch it answered
// 200 is there, with its metadata filterable. Then SIGTERM stops it
// cleanly: exit status 0, the announcement withdrawn.
func TestServeSIGKILL(t *testing.T) {
	dir := t.TempDir() + "/db"
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"--db", dir, "create", "kv", "--dim", "8", "--field", "batch:keyword"}, nil, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	cmd, c, _ := startServe(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const batchSize = 20
	var mu sync.Mutex
	var acked []int // batches answered 200
	var wg sync.WaitGroup
	vec := func(n, i int) []float32 {
		v := make([]float32, 8)
		for j := range v {
			v[j] = float32((n*batchSize+i)%97+j) / 97
		}
		return v
	}
	wg.Go(func() { // the writer
		for n := 0; ctx.Err() == nil; n++ {
			recs := make([]wire.Record, batchSize)
			for i := range recs {
				recs[i] = wire.Record{ID: fmt.Sprintf("b%d-%d", n, i), Vector: vec(n, i), Meta: map[string]any{"batch": fmt.Sprintf("b%d", n)}}
			}
			if _, err := c.Upsert(ctx, "kv", recs); err == nil {
				mu.Lock()
				acked = append(acked, n)
				mu.Unlock()
			}
		}
	})
	for range 4 { // searchers beside it
		wg.Go(func() {
			for ctx.Err() == nil {
				_, _ = c.Search(ctx, "kv", &wire.SearchRequest{Vector: vec(0, 0), K: 5})
			}
		})
	}
	for { // kill once a good number of batches are in
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = cmd.Process.Wait()
	mu.Lock()
	kept := append([]int(nil), acked...)
	mu.Unlock()
	cancel()
	wg.Wait()

	cmd, c, stderr := startServe(t, dir)
	bg := context.Background()
	for _, n := range kept {
		res, err := c.Search(bg, "kv", &wire.SearchRequest{Vector: vec(n, 0), K: 2 * batchSize, Filter: fmt.Sprintf("batch = \"b%d\"", n), Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(res.Results[0]); got != batchSize {
			t.Fatalf("batch b%d was answered 200 before the SIGKILL; after the restart its filter matches %d records, want %d", n, got, batchSize)
		}
		if _, err := c.Get(bg, "kv", fmt.Sprintf("b%d-%d", n, batchSize-1)); err != nil {
			t.Fatalf("batch b%d: %v", n, err)
		}
	}
	t.Logf("%d acknowledged batches of %d records survived the SIGKILL", len(kept), batchSize)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v; stderr: %s", err, stderr.String())
	}
	if _, err := os.Stat(dir + "/" + wire.AnnouncementFile); !os.IsNotExist(err) {
		t.Fatalf("the announcement outlived a clean stop: %v", err)
	}
}
