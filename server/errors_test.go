package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/client"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/server"
	"github.com/vecdb/vecdb/wire"
)

// TestBadRequests: bad input is a 4xx with a one-line message, never a
// 500.
func TestBadRequests(t *testing.T) {
	d := openTestDB(t)
	ts, c := serve(t, d, &server.Options{MaxBodyBytes: 4096})
	docs(t, c, 20)
	big := `{"records":[{"id":"x","vector":[` + strings.Repeat("0.125,", 1000) + `1]}]}`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		msg                      string // a part of the message
	}{
		{"invalid JSON", "POST", "/v1/collections/docs/search", `{"vector":[1,2`, 400, "request body: unexpected end of JSON"},
		{"syntax", "POST", "/v1/collections", `{"name":}`, 400, "invalid character '}'"},
		{"empty body", "POST", "/v1/collections", ``, 400, "request body is empty"},
		{"trailing data", "POST", "/v1/collections/docs/search", `{"vector":[1,2,3,4]} {}`, 400, "data after the JSON object"},
		{"unknown field", "POST", "/v1/collections/docs/search", `{"vector":[1,2,3,4],"kk":3}`, 400, `unknown field "kk"`},
		{"wrong type", "POST", "/v1/collections/docs/search", `{"vector":[1,2,3,4],"k":"3"}`, 400, "k: want int, got JSON string"},
		{"float32 overflow", "POST", "/v1/collections/docs/search", `{"vector":[1e39,2,3,4]}`, 400, "want float32"},
		{"wrong dimension", "POST", "/v1/collections/docs/search", `{"vector":[1,2,3]}`, 400, `vector has 3 values, collection "docs" has dimension 4`},
		{"two queries kinds", "POST", "/v1/collections/docs/search", `{"vector":[1,2,3,4],"id":"r001"}`, 400, "exactly one of vector, id and queries"},
		{"k too large", "POST", "/v1/collections/docs/search", `{"vector":[1,2,3,4],"k":100001}`, 400, "k 100001: want 1 to 100000"},
		{"bad filter", "POST", "/v1/collections/docs/search", `{"vector":[1,2,3,4],"filter":"genre = AND"}`, 400, "filter: column"},
		{"filter unknown field", "POST", "/v1/collections/docs/search", `{"vector":[1,2,3,4],"filter":"color = \"red\""}`, 400, "color"},
		{"unknown collection", "POST", "/v1/collections/nope/search", `{"vector":[1,2,3,4]}`, 404, `collection "nope"`},
		{"unknown collection stats", "GET", "/v1/collections/nope", ``, 404, `nope`},
		{"unknown record", "GET", "/v1/collections/docs/records/nope", ``, 404, `nope`},
		{"search by unknown record", "POST", "/v1/collections/docs/search", `{"id":"nope"}`, 404, `nope`},
		{"delete unknown record", "DELETE", "/v1/collections/docs/records/nope", ``, 404, `collection "docs" has no record "nope"`},
		{"delete none", "POST", "/v1/collections/docs/delete", `{"ids":["a","b"]}`, 404, `none of the records "a", "b"`},
		{"delete no ids", "POST", "/v1/collections/docs/delete", `{"ids":[]}`, 400, `ids is empty`},
		{"exists", "POST", "/v1/collections", `{"name":"docs","dim":4}`, 409, `collection "docs" already exists`},
		{"bad metric", "POST", "/v1/collections", `{"name":"x","dim":4,"metric":"manhattan"}`, 400, `metric`},
		{"bad field type", "POST", "/v1/collections", `{"name":"x","dim":4,"fields":{"a":"date"}}`, 400, `fields`},
		{"bad dim", "POST", "/v1/collections", `{"name":"x","dim":0}`, 400, `dim`},
		{"body too large", "POST", "/v1/collections/docs/records", big, 413, "request body larger than 4096 bytes"},
		{"bad build codec", "POST", "/v1/collections/docs/build", `{"codec":"zip"}`, 400, "codec"},
		{"build unknown collection", "POST", "/v1/collections/nope/build", ``, 404, "nope"},
		{"recommend missing user", "POST", "/v1/recommend", `{"users":"u","items":"i"}`, 400, "users, items and user are required"},
		{"analogy missing word", "POST", "/v1/collections/docs/analogy", `{"a":"x","b":"y"}`, 400, "a, b and c are required"},
		{"unknown route", "GET", "/v1/nothing", ``, 404, "no route GET /v1/nothing"},
		{"wrong method", "PUT", "/v1/collections", ``, 405, "method PUT not allowed on /v1/collections (allowed: GET, HEAD, POST)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := raw(t, ts, tc.method, tc.path, tc.body, nil)
			if status != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, status, body, tc.status)
			}
			if tc.msg == "" {
				return
			}
			e := decodeError(t, body)
			if !strings.Contains(e.Error, tc.msg) || strings.Contains(e.Error, "\n") || strings.Contains(e.Error, "vecdb: ") {
				t.Errorf("%s %s: message %q, want one line with %q and no 'vecdb: '", tc.method, tc.path, e.Error, tc.msg)
			}
		})
	}
}

// TestBadRecord: a batch with one bad record is refused whole, naming
// the record's index.
func TestBadRecord(t *testing.T) {
	d := openTestDB(t)
	ts, c := serve(t, d, nil)
	docs(t, c, 10)
	before, _ := d.Count("docs")
	for _, tc := range []struct {
		name, body string
		index      int
		msg        string
	}{
		{"field type", `{"records":[{"id":"n1","vector":[1,2,3,4]},{"id":"n2","vector":[1,2,3,4]},{"id":"n3","vector":[1,2,3,4],"meta":{"year":1990.5}},{"id":"n4","vector":[1,2,3,4]}]}`, 2, `records[2]: record "n3": field "year"`},
		{"unknown field", `{"records":[{"id":"n1","vector":[1,2,3,4],"meta":{"color":"red"}}]}`, 0, `unknown field "color"`},
		{"dimension", `{"records":[{"id":"n1","vector":[1,2,3,4]},{"id":"n2","vector":[1,2]}]}`, 1, `records[1]: record "n2": vector has 2 values`},
		{"empty id", `{"records":[{"id":"n1","vector":[1,2,3,4]},{"id":"","vector":[1,2,3,4]}]}`, 1, `records[1]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := raw(t, ts, "POST", "/v1/collections/docs/records", tc.body, nil)
			e := decodeError(t, body)
			if status != 400 || e.Index == nil || *e.Index != tc.index || !strings.Contains(e.Error, tc.msg) {
				t.Errorf("= %d %s, want 400 index %d %q", status, body, tc.index, tc.msg)
			}
			if n, _ := d.Count("docs"); n != before {
				t.Errorf("count %d after a refused batch, want %d", n, before)
			}
		})
	}
	// Through the client and its Sink.
	_, err := c.Upsert(ctx, "docs", []wire.Record{{ID: "ok", Vector: []float32{1, 2, 3, 4}}, {ID: "bad", Vector: []float32{1}}})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Index == nil || *ce.Index != 1 || !errors.Is(err, db.ErrInvalid) {
		t.Errorf("Upsert of a bad batch: %#v", err)
	}
	err = c.Sink("docs")(ctx, []wire.Record{{ID: "bad", Vector: []float32{1}}})
	var re *wire.RecordError
	if !errors.As(err, &re) || re.Index != 0 {
		t.Errorf("Sink of a bad batch: %#v", err)
	}
	if n, _ := d.Count("docs"); n != before {
		t.Errorf("count %d after refused batches, want %d", n, before)
	}
}

// TestToken: with a token every route but /healthz needs it.
func TestToken(t *testing.T) {
	d := openTestDB(t)
	ts, c := serve(t, d, &server.Options{Token: "s3cret"})
	if status, body := raw(t, ts, "GET", "/healthz", "", nil); status != 200 || body != "{\"ok\":true}\n" {
		t.Errorf("healthz without token = %d %q", status, body)
	}
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}, {"Authorization": "Basic s3cret"}} {
		for _, path := range []string{"/v1/collections", "/metrics", "/v1/openapi.json", "/v1/nothing"} {
			status, body := raw(t, ts, "GET", path, "", h)
			if status != http.StatusUnauthorized || decodeError(t, body).Error != "missing or wrong bearer token" {
				t.Errorf("GET %s with %v = %d %s, want 401", path, h, status, body)
			}
		}
	}
	if status, _ := raw(t, ts, "GET", "/v1/collections", "", map[string]string{"Authorization": "Bearer s3cret"}); status != 200 {
		t.Errorf("with the token: %d", status)
	}
	if _, err := c.Collections(ctx); err != nil {
		t.Errorf("client with the token: %v", err)
	}
	bad, _ := client.New(ts.URL, &client.Options{Token: "nope"})
	var ce *client.Error
	if _, err := bad.Collections(ctx); !errors.As(err, &ce) || ce.Status != 401 {
		t.Errorf("client with a wrong token: %v", err)
	}
	if err := bad.Health(ctx); err != nil {
		t.Errorf("health with a wrong token: %v", err)
	}
}
