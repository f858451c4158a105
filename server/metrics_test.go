package server_test

import (
	"strings"
	"testing"

	"github.com/vecdb/vecdb/wire"
)

func TestMetrics(t *testing.T) {
	d := openTestDB(t)
	ts, c := serve(t, d, nil)
	docs(t, c, 300)
	if _, err := c.Search(ctx, "docs", &wire.SearchRequest{Vector: []float32{1, 2, 3, 4}, Filter: `genre = "drama"`}); err != nil {
		t.Fatal(err)
	}
	id, err := c.Build(ctx, "docs", &wire.BuildRequest{Lists: 16})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitJob(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
	raw(t, ts, "GET", "/v1/collections/nope", "", nil)
	status, body := raw(t, ts, "GET", "/metrics", "", nil)
	if status != 200 {
		t.Fatalf("GET /metrics = %d", status)
	}
	for _, want := range []string{
		`vecdb_http_requests_total{code="200",route="POST /v1/collections/{c}/search"} 1`,
		`vecdb_http_requests_total{code="201",route="POST /v1/collections"} 1`,
		`vecdb_http_requests_total{code="404",route="GET /v1/collections/{c}"} 1`,
		`vecdb_http_request_duration_seconds_count{route="POST /v1/collections/{c}/search"} 1`,
		`vecdb_collection_records{collection="docs"} 307`,
		`vecdb_index_generation{collection="docs"} 1`,
		`vecdb_index_drift{collection="docs"} 0`,
		`vecdb_cache_hit_ratio{cache="block"} `,
		`vecdb_cache_hit_ratio{cache="bitmap"} `,
		`vecdb_memory_budget_bytes `,
		`vecdb_memory_used_bytes `,
		`vecdb_jobs_running 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "/v1/collections/nope") {
		t.Errorf("metrics name a raw path, not the route")
	}
}
