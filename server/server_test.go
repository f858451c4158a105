package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/client"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/infer"
	"github.com/vecdb/vecdb/server"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/wire"
)

// openTestDB opens a database in a temporary directory; cleanup checks
// it and closes it.
func openTestDB(t *testing.T) *db.DB {
	t.Helper()
	d, err := db.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Check(); err != nil {
			t.Errorf("check: %v", err)
		}
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return d
}

// serve starts a server over d and returns it and a client of it.
func serve(t *testing.T, d *db.DB, o *server.Options) (*httptest.Server, *client.Client) {
	t.Helper()
	s := server.New(d, o)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	var token string
	if o != nil {
		token = o.Token
	}
	c, err := client.New(ts.URL, &client.Options{Token: token, HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return ts, c
}

// raw sends a request and returns the status and body.
func raw(t *testing.T, ts *httptest.Server, method, path, body string, header map[string]string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(data)
}

var ctx = context.Background()

// exact are float32 values that must survive the trip through JSON bit
// for bit.
var exact = []float32{0.1, 1e-38, 1e-45, float32(math.Copysign(0, -1)), 9e18, 1.0 / 3}

// docs fills collection "docs" (dim 4, l2) with n records and returns
// them.
func docs(t *testing.T, c *client.Client, n int) []wire.Record {
	t.Helper()
	if _, err := c.CreateCollection(ctx, &wire.CreateCollection{Name: "docs", Dim: 4,
		Fields: map[string]string{"genre": "keyword", "year": "int", "tags": "keywords"}}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	genres := []string{"comedy", "drama", "horror"}
	var recs []wire.Record
	for i := range n {
		v := make([]float32, 4)
		for j := range v {
			v[j] = rng.Float32()
		}
		recs = append(recs, wire.Record{ID: fmt.Sprintf("r%03d", i), Vector: v,
			Meta: map[string]any{"genre": genres[i%3], "year": 1980 + i%40, "tags": []string{"t" + fmt.Sprint(i%5)}}})
	}
	for _, id := range []string{".", "..", "a//b/", "/x?y#z", "ü ☃"} {
		recs = append(recs, wire.Record{ID: id, Vector: []float32{1, 2, 3, float32(len(id))}})
	}
	recs = append(recs, wire.Record{ID: "a/b c%2F d", Vector: exact[:4], Meta: map[string]any{"genre": "odd"}},
		wire.Record{ID: "exact2", Vector: exact[2:6]})
	n, err := c.Upsert(ctx, "docs", recs)
	if err != nil || n != len(recs) {
		t.Fatalf("Upsert = %d, %v; want %d", n, err, len(recs))
	}
	return recs
}

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

func TestRoundTrip(t *testing.T) {
	d := openTestDB(t)
	_, c := serve(t, d, nil)
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	recs := docs(t, c, 400)

	list, err := c.Collections(ctx)
	if err != nil || len(list.Collections) != 1 || list.Collections[0].Count != uint64(len(recs)) || list.Memory == nil {
		t.Fatalf("Collections = %+v, %v", list, err)
	}
	st, err := c.Stats(ctx, "docs")
	if err != nil || st.Name != "docs" || st.Dim != 4 || st.Metric != "l2" || len(st.Fields) != 3 || st.Memory == nil || st.Memory.Budget == 0 {
		t.Fatalf("Stats = %+v, %v", st, err)
	}

	// Every record reads back as written, float32 bit for bit.
	for _, want := range recs[len(recs)-7:] {
		got, err := c.Get(ctx, "docs", want.ID)
		if err != nil {
			t.Fatalf("Get(%q): %v", want.ID, err)
		}
		if got.ID != want.ID || !sameBits(got.Vector, want.Vector) {
			t.Errorf("Get(%q) = %v %v, want %v %v", want.ID, got.ID, got.Vector, want.ID, want.Vector)
		}
		dr, err := d.Get("docs", want.ID)
		if err != nil || !sameBits(dr.Vector, want.Vector) {
			t.Errorf("db.Get(%q) = %v, %v; want %v", want.ID, dr, err, want.Vector)
		}
	}
	if got, _ := c.Get(ctx, "docs", "a/b c%2F d"); got.Meta["genre"] != "odd" {
		t.Errorf("meta = %v, want genre odd", got.Meta)
	}

	t.Run("search", func(t *testing.T) { testSearch(t, d, c, recs) })

	// Deletes: one (escaped ID), several atomically, none existing.
	for _, id := range []string{"a/b c%2F d", "..", "a//b/"} {
		del, err := c.Delete(ctx, "docs", id)
		if err != nil || del != (wire.Deleted{Collection: "docs", Deleted: 1, Requested: 1}) {
			t.Fatalf("Delete(%q) = %+v, %v", id, del, err)
		}
	}
	if _, err := c.Get(ctx, "docs", "a/b c%2F d"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	del, err := c.Delete(ctx, "docs", "r000", "r001", "nope")
	if err != nil || del.Deleted != 2 || del.Requested != 3 {
		t.Fatalf("Delete = %+v, %v", del, err)
	}
	if _, err := c.Delete(ctx, "docs", "nope", "r000"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("Delete of none: %v, want ErrNotFound", err)
	}
	if _, err := c.Delete(ctx, "docs", "r000"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("Delete of a deleted record: %v, want ErrNotFound", err)
	}
	if n, _ := d.Count("docs"); n != uint64(len(recs)-5) {
		t.Errorf("count = %d, want %d", n, len(recs)-5)
	}

	if err := c.DropCollection(ctx, "docs"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stats(ctx, "docs"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("Stats after drop: %v, want ErrNotFound", err)
	}
	if err := c.DropCollection(ctx, "docs"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("second drop: %v, want ErrNotFound", err)
	}
}

// testSearch checks the server's searches against db's on the same data.
func testSearch(t *testing.T, d *db.DB, c *client.Client, recs []wire.Record) {
	q := []float32{0.5, 0.5, 0.5, 0.5}
	check := func(name string, req *wire.SearchRequest, want [][]db.Result) {
		t.Helper()
		got, err := c.Search(ctx, "docs", req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got.Results) != len(want) {
			t.Fatalf("%s: %d result lists, want %d", name, len(got.Results), len(want))
		}
		for i := range want {
			w := wire.FromResults(want[i], req.WithMeta)
			if !hitsEqual(got.Results[i], w) {
				t.Errorf("%s: query %d:\n got %v\nwant %v", name, i, got.Results[i], w)
			}
		}
		if req.Explain != (len(got.Explain) == len(want)) || (!req.Explain && got.Explain != nil) {
			t.Errorf("%s: %d plans for explain=%v", name, len(got.Explain), req.Explain)
		}
	}
	one := func(req *db.SearchRequest) [][]db.Result {
		t.Helper()
		rs, err := d.Search(ctx, "docs", req)
		if err != nil {
			t.Fatal(err)
		}
		return [][]db.Result{rs}
	}
	check("vector", &wire.SearchRequest{Vector: q, K: 7}, one(&db.SearchRequest{Vector: q, K: 7}))
	check("default k", &wire.SearchRequest{Vector: q}, one(&db.SearchRequest{Vector: q}))
	check("filter", &wire.SearchRequest{Vector: q, K: 5, Filter: `genre = "comedy" AND year >= 1990`, WithMeta: true},
		one(&db.SearchRequest{Vector: q, K: 5, Filter: `genre = "comedy" AND year >= 1990`, WithMeta: true}))
	check("id", &wire.SearchRequest{ID: "r007", K: 4, Explain: true}, one(&db.SearchRequest{ID: "r007", K: 4}))
	check("escaped id", &wire.SearchRequest{ID: "a/b c%2F d", K: 3}, one(&db.SearchRequest{ID: "a/b c%2F d", K: 3}))
	qs := [][]float32{q, recs[3].Vector, {0, 0, 0, 1}}
	many, err := d.SearchMany(ctx, "docs", qs, &db.SearchRequest{K: 3, Filter: `NOT tags IN ("t1")`})
	if err != nil {
		t.Fatal(err)
	}
	check("queries", &wire.SearchRequest{Queries: qs, K: 3, Filter: `NOT tags IN ("t1")`, Explain: true}, many)

	// With an index: refine 0 answers from the codes alone, as db does.
	id, err := c.Build(ctx, "docs", &wire.BuildRequest{Lists: 16, NProbe: 4})
	if err != nil {
		t.Fatal(err)
	}
	if j, err := c.WaitJob(ctx, id, nil); err != nil || j.State != wire.JobDone {
		t.Fatalf("WaitJob = %+v, %v", j, err)
	}
	zero := 0
	res, err := c.Search(ctx, "docs", &wire.SearchRequest{Vector: q, K: 5, Refine: &zero, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	want := one(&db.SearchRequest{Vector: q, K: 5, CodesOnly: true})
	if !hitsEqual(res.Results[0], wire.FromResults(want[0], false)) || res.Explain[0].Reranked != 0 || res.Explain[0].Strategy != "ivf" {
		t.Errorf("refine 0 = %v %+v, want %v and no re-ranking", res.Results[0], res.Explain[0], want[0])
	}
	res, err = c.Search(ctx, "docs", &wire.SearchRequest{Vector: q, K: 5, Explain: true})
	if err != nil || res.Explain[0].Reranked == 0 {
		t.Errorf("refine absent: %+v, %v; want re-ranking (the index's default)", res.Explain, err)
	}
}

func hitsEqual(a, b []wire.Hit) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || math.Float32bits(a[i].Distance) != math.Float32bits(b[i].Distance) || fmt.Sprint(a[i].Meta) != fmt.Sprint(b[i].Meta) {
			return false
		}
	}
	return true
}

func TestRecommend(t *testing.T) {
	d := openTestDB(t)
	_, c := serve(t, d, nil)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.CreateCollection(db.Schema{Name: "items", Dim: 2, Metric: db.Dot, Fields: []db.Field{{Name: "genre", Type: db.Keyword}}}))
	must(d.CreateCollection(db.Schema{Name: "users", Dim: 2, Metric: db.Dot, Fields: []db.Field{{Name: train.FieldSeen, Type: db.Keywords}}}))
	for i, g := range []string{"comedy", "drama", "comedy", "drama", "comedy", "drama"} {
		must(d.Put("items", fmt.Sprint("i", i), []float32{float32(i), float32(6 - i)}, db.Meta{"genre": g}))
	}
	must(d.Put("users", "u1", []float32{1, 0.1}, db.Meta{train.FieldSeen: []string{"i5"}}))

	for _, req := range []wire.RecommendRequest{
		{Users: "users", Items: "items", User: "u1", K: 3},
		{Users: "users", Items: "items", User: "u1", K: 3, IncludeSeen: true},
		{Users: "users", Items: "items", User: "u1", Filter: `genre = "comedy"`, WithMeta: true},
	} {
		got, err := c.Recommend(ctx, &req)
		if err != nil {
			t.Fatal(err)
		}
		want, err := infer.Recommend(ctx, d, infer.RecommendRequest{Users: req.Users, Items: req.Items, User: req.User, K: req.K, Filter: req.Filter, IncludeSeen: req.IncludeSeen})
		if err != nil {
			t.Fatal(err)
		}
		if req.WithMeta {
			for i := range want {
				rec, err := d.Get("items", want[i].ID)
				must(err)
				want[i].Meta = rec.Meta
			}
		}
		if w := wire.FromResults(want, req.WithMeta); len(got.Results) != 1 || !hitsEqual(got.Results[0], w) {
			t.Errorf("Recommend(%+v) = %v, want %v", req, got.Results, w)
		}
		if !req.IncludeSeen && slices.ContainsFunc(got.Results[0], func(h wire.Hit) bool { return h.ID == "i5" }) {
			t.Errorf("Recommend(%+v) recommends the seen item i5", req)
		}
		if req.WithMeta && got.Results[0][0].Meta["genre"] != "comedy" {
			t.Errorf("Recommend(%+v): meta %v, want genre comedy", req, got.Results[0][0].Meta)
		}
	}
	if _, err := c.Recommend(ctx, &wire.RecommendRequest{Users: "users", Items: "items", User: "nobody"}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("unknown user: %v, want ErrNotFound", err)
	}
}

func TestAnalogy(t *testing.T) {
	d := openTestDB(t)
	_, c := serve(t, d, nil)
	if err := d.CreateCollection(db.Schema{Name: "words", Dim: 3, Metric: db.Cosine}); err != nil {
		t.Fatal(err)
	}
	words := map[string][]float32{
		"king": {1, 1, 0.1}, "queen": {1, -1, 0.1}, "man": {0.1, 1, 0}, "woman": {0.1, -1, 0},
		"apple": {0, 0, 1}, "prince": {0.9, 0.8, 0.3},
	}
	for w, v := range words {
		if err := d.Put("words", w, v, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.Analogy(ctx, "words", &wire.AnalogyRequest{A: "man", B: "king", C: "woman", K: 2})
	if err != nil {
		t.Fatal(err)
	}
	want, err := infer.Analogy(ctx, d, "words", "man", "king", "woman", 2)
	if err != nil {
		t.Fatal(err)
	}
	if w := wire.FromResults(want, false); !hitsEqual(got.Results[0], w) || got.Results[0][0].ID != "queen" {
		t.Errorf("Analogy = %v, want %v (queen first)", got.Results, w)
	}
	if _, err := c.Analogy(ctx, "words", &wire.AnalogyRequest{A: "man", B: "king", C: "unicorn"}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("unknown word: %v, want ErrNotFound", err)
	}
	// A search by a word not in a collection without subwords: 404.
	if _, err := c.Search(ctx, "words", &wire.SearchRequest{ID: "unicorn"}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("search by unknown word: %v, want ErrNotFound", err)
	}
}

// fill writes n random records of dimension dim into a new collection.
func fill(t *testing.T, d *db.DB, coll string, n, dim int) {
	t.Helper()
	if err := d.CreateCollection(db.Schema{Name: coll, Dim: dim, Metric: db.L2}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	b := d.NewBatch()
	defer b.Close()
	for i := range n {
		v := make([]float32, dim)
		for j := range v {
			v[j] = rng.Float32()
		}
		if err := b.Put(coll, fmt.Sprint(i), v, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Apply(b, &db.WriteOptions{NoSync: true}); err != nil {
		t.Fatal(err)
	}
}

func TestBuildJobs(t *testing.T) {
	d := openTestDB(t)
	_, c := serve(t, d, nil)
	fill(t, d, "big", 20000, 32)

	// A cancelled build stops and leaves no index.
	id, err := c.Build(ctx, "big", &wire.BuildRequest{Lists: 128, OPQ: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CancelJob(ctx, id); err != nil {
		t.Fatal(err)
	}
	j, err := c.Job(ctx, id)
	if err != nil || j.State != wire.JobCancelled || j.Kind != "build" || j.Collection != "big" {
		t.Fatalf("cancelled job = %+v, %v", j, err)
	}
	if _, err := c.WaitJob(ctx, id, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitJob of a cancelled job: %v", err)
	}
	if st, err := d.Stats("big"); err != nil || st.Index != nil {
		t.Errorf("after a cancelled build: index %+v, %v; want none", st.Index, err)
	}

	// A build runs to done, reporting progress that never goes back.
	id2, err := c.Build(ctx, "big", &wire.BuildRequest{Lists: 32})
	if err != nil {
		t.Fatal(err)
	}
	var seen []wire.Job
	j, err = c.WaitJob(ctx, id2, func(j wire.Job) { seen = append(seen, j) })
	if err != nil || j.State != wire.JobDone || j.Progress != 1 || j.Build == nil || j.Build.Lists != 32 || j.Build.Collection != "big" {
		t.Fatalf("WaitJob = %+v, %v", j, err)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Progress < seen[i-1].Progress || seen[i].Progress < 0 || seen[i].Progress > 1 {
			t.Errorf("progress went %v then %v", seen[i-1].Progress, seen[i].Progress)
		}
	}
	if st, err := d.Stats("big"); err != nil || st.Index == nil || st.Index.Lists != 32 {
		t.Errorf("after the build: index %+v, %v", st.Index, err)
	}
	jobs, err := c.Jobs(ctx)
	if err != nil || len(jobs) != 2 || jobs[0].ID != id || jobs[1].ID != id2 {
		t.Errorf("Jobs = %+v, %v", jobs, err)
	}
	// Cancelling a finished job leaves it done.
	if err := c.CancelJob(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if j, _ := c.Job(ctx, id2); j.State != wire.JobDone {
		t.Errorf("cancelled finished job: %+v", j)
	}
	// A failing build (more lists than records) fails with a message.
	fill(t, d, "tiny", 10, 4)
	id3, err := c.Build(ctx, "tiny", &wire.BuildRequest{Lists: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if j, err := c.WaitJob(ctx, id3, nil); err == nil || j.State != wire.JobFailed || j.Error == "" {
		t.Errorf("failing build: %+v, %v", j, err)
	}
	for _, path := range []string{"/v1/jobs/nope"} {
		if _, err := c.Job(ctx, strings.TrimPrefix(path, "/v1/jobs/")); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("unknown job: %v", err)
		}
	}
	if err := c.CancelJob(ctx, "nope"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("cancel unknown job: %v", err)
	}
}

// TestCloseCancelsJobs: Close stops a running build and waits for it.
func TestCloseCancelsJobs(t *testing.T) {
	d := openTestDB(t)
	fill(t, d, "big", 20000, 32)
	s := server.New(d, nil)
	ts := httptest.NewServer(s)
	defer ts.Close()
	c, err := client.New(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.Build(ctx, "big", &wire.BuildRequest{Lists: 128, OPQ: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if j, err := c.Job(ctx, id); err != nil || j.State != wire.JobCancelled {
		t.Errorf("job after Close = %+v, %v", j, err)
	}
	status, body := raw(t, ts, "POST", "/v1/collections/big/build", "{}", nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Errorf("build after Close = %d %s", status, body)
	}
}

func TestConcurrent(t *testing.T) {
	d := openTestDB(t)
	_, c := serve(t, d, nil)
	docs(t, c, 100)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				id := fmt.Sprintf("g%d-%d", g, i)
				if _, err := c.Upsert(ctx, "docs", []wire.Record{{ID: id, Vector: []float32{float32(g), float32(i), 0, 1}}}); err != nil {
					errs <- err
					return
				}
				if _, err := c.Search(ctx, "docs", &wire.SearchRequest{ID: id, K: 3, Filter: `genre = "drama"`}); err != nil {
					errs <- err
					return
				}
				if _, err := c.Stats(ctx, "docs"); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, _ := d.Count("docs"); n != 107+80 {
		t.Errorf("count = %d, want %d", n, 107+80)
	}
}

func decodeError(t *testing.T, body string) wire.Error {
	t.Helper()
	var e wire.Error
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e
}
