package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/wire"
)

// Options configure a Client. A nil *Options means the defaults.
type Options struct {
	// Token is the server's bearer token ("" for a server without one).
	Token string
	// HTTPClient sends the requests. Default: a client of its own that
	// keeps up to 64 idle connections to the server (http.DefaultClient
	// keeps 2, so more concurrent callers than that would open a new
	// connection for most requests), trusting CAFile when set.
	HTTPClient *http.Client
	// CAFile, when not empty and HTTPClient is nil, is a PEM file of
	// certificates trusted beside the system's: a server's self-signed
	// certificate, or the authority that signed it.
	CAFile string
}

// Client talks to one server. It is goroutine-safe.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

// New returns a client of the server at baseURL, e.g.
// http://127.0.0.1:7700.
func New(baseURL string, o *Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, errors.Wrapf(err, "server URL %q", baseURL)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.Newf("server URL %q: want http://HOST:PORT or https://HOST:PORT", baseURL)
	}
	c := &Client{base: strings.TrimRight(baseURL, "/")}
	var caFile string
	if o != nil {
		c.token, c.hc, caFile = o.Token, o.HTTPClient, o.CAFile
	}
	if c.hc == nil {
		if c.hc, err = httpClient(caFile); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// maxIdleConns is how many idle connections to the server a default
// client keeps.
const maxIdleConns = 64

// httpClient returns the default HTTP client of a Client: its own
// transport, keeping maxIdleConns idle connections, and trusting the
// certificates of the PEM file caFile (when not empty) beside the
// system's.
func httpClient(caFile string) (*http.Client, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = maxIdleConns, maxIdleConns
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, errors.Wrap(err, "reading the server's certificate")
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool() // none to add to: trust the file alone
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.Newf("%s holds no PEM certificate", caFile)
		}
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: t}, nil
}

// URL returns the server's base URL.
func (c *Client) URL() string { return c.base }

// Error is an error the server answered.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Message is the server's one-line message.
	Message string
	// Index is, for a refused upsert batch, the bad record's index.
	Index *int
}

// Error returns the server's message.
func (e *Error) Error() string { return e.Message }

// Is maps the status to db's sentinels: 404 db.ErrNotFound, 409
// db.ErrExists, 400 db.ErrInvalid.
func (e *Error) Is(target error) bool {
	switch target {
	case db.ErrNotFound:
		return e.Status == http.StatusNotFound
	case db.ErrExists:
		return e.Status == http.StatusConflict
	case db.ErrInvalid:
		return e.Status == http.StatusBadRequest
	}
	return false
}

// do sends a request with in (when not nil) as its JSON body and decodes
// a 2xx answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(in); err != nil {
			return errors.Wrapf(err, "%s %s: encoding the request", method, path)
		}
		body = &buf
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return errors.Wrapf(err, "%s %s", method, path)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return errors.Wrapf(err, "%s %s", method, c.base+path)
	}
	defer func() {
		// Drain a little so the connection is reused; the answer is read.
		_, _ = io.CopyN(io.Discard, resp.Body, 4096)
		_ = resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return responseError(resp)
	}
	if out == nil {
		return nil
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return errors.Wrapf(err, "%s %s: decoding the answer", method, path)
	}
	return nil
}

// responseError reads an error answer.
func responseError(resp *http.Response) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{Status: resp.StatusCode}
	var we wire.Error
	if err == nil && json.Unmarshal(data, &we) == nil && we.Error != "" {
		e.Message, e.Index = we.Error, we.Index
	} else {
		e.Message = strings.TrimSpace(resp.Status + ": " + strings.TrimSpace(string(data)))
	}
	return e
}

// esc escapes one path segment: "/" too, and a segment "." or ".." as
// "%2E" and "%2E%2E", which the server's path cleaning leaves alone.
func esc(s string) string {
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s))
	}
	return url.PathEscape(s)
}

// Health checks that the server answers GET /healthz.
func (c *Client) Health(ctx context.Context) error {
	var h wire.Health
	if err := c.do(ctx, http.MethodGet, "/healthz", nil, &h); err != nil {
		return err
	}
	if !h.OK {
		return errors.Newf("server %s: not healthy", c.base)
	}
	return nil
}

// Collections returns every collection's statistics and the server's
// memory.
func (c *Client) Collections(ctx context.Context) (wire.StatsList, error) {
	var out wire.StatsList
	err := c.do(ctx, http.MethodGet, "/v1/collections", nil, &out)
	return out, err
}

// CreateCollection creates a collection and returns its schema.
func (c *Client) CreateCollection(ctx context.Context, req *wire.CreateCollection) (wire.Schema, error) {
	var out wire.Schema
	err := c.do(ctx, http.MethodPost, "/v1/collections", req, &out)
	return out, err
}

// DropCollection drops a collection.
func (c *Client) DropCollection(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/v1/collections/"+esc(name), nil, nil)
}

// Stats returns a collection's statistics, with the server's memory.
func (c *Client) Stats(ctx context.Context, name string) (wire.Stats, error) {
	var out wire.Stats
	err := c.do(ctx, http.MethodGet, "/v1/collections/"+esc(name), nil, &out)
	return out, err
}

// Upsert writes recs in one atomic, durable batch and returns how many
// were written. A refused record is an *Error with its Index.
func (c *Client) Upsert(ctx context.Context, coll string, recs []wire.Record) (int, error) {
	var out wire.Written
	if recs == nil {
		recs = []wire.Record{}
	}
	err := c.do(ctx, http.MethodPost, "/v1/collections/"+esc(coll)+"/records", wire.Upsert{Records: recs}, &out)
	return out.Written, err
}

// Sink is the wire.Sink that upserts each batch into coll: a record the
// server refuses becomes a *wire.RecordError naming its index.
func (c *Client) Sink(coll string) wire.Sink {
	return func(ctx context.Context, recs []wire.Record) error {
		_, err := c.Upsert(ctx, coll, recs)
		var e *Error
		if errors.As(err, &e) && e.Index != nil {
			return &wire.RecordError{Index: *e.Index, Err: err}
		}
		return err
	}
}

// Get returns a record.
func (c *Client) Get(ctx context.Context, coll, id string) (wire.Record, error) {
	var out wire.Record
	err := c.do(ctx, http.MethodGet, "/v1/collections/"+esc(coll)+"/records/"+esc(id), nil, &out)
	return out, err
}

// Delete deletes records in one atomic batch; an error matching
// db.ErrNotFound when none existed.
func (c *Client) Delete(ctx context.Context, coll string, ids ...string) (wire.Deleted, error) {
	var out wire.Deleted
	var err error
	if len(ids) == 1 {
		err = c.do(ctx, http.MethodDelete, "/v1/collections/"+esc(coll)+"/records/"+esc(ids[0]), nil, &out)
	} else {
		err = c.do(ctx, http.MethodPost, "/v1/collections/"+esc(coll)+"/delete", wire.DeleteRequest{IDs: ids}, &out)
	}
	return out, err
}

// Search searches a collection.
func (c *Client) Search(ctx context.Context, coll string, req *wire.SearchRequest) (wire.SearchResponse, error) {
	var out wire.SearchResponse
	err := c.do(ctx, http.MethodPost, "/v1/collections/"+esc(coll)+"/search", req, &out)
	return out, err
}

// Recommend returns a user's recommendations.
func (c *Client) Recommend(ctx context.Context, req *wire.RecommendRequest) (wire.SearchResponse, error) {
	var out wire.SearchResponse
	err := c.do(ctx, http.MethodPost, "/v1/recommend", req, &out)
	return out, err
}

// Analogy returns the words of coll nearest to B - A + C.
func (c *Client) Analogy(ctx context.Context, coll string, req *wire.AnalogyRequest) (wire.SearchResponse, error) {
	var out wire.SearchResponse
	err := c.do(ctx, http.MethodPost, "/v1/collections/"+esc(coll)+"/analogy", req, &out)
	return out, err
}

// Build starts an index build of coll and returns its job's ID (see
// WaitJob). A nil req means the default options.
func (c *Client) Build(ctx context.Context, coll string, req *wire.BuildRequest) (jobID string, err error) {
	if req == nil {
		req = &wire.BuildRequest{}
	}
	var out wire.JobCreated
	err = c.do(ctx, http.MethodPost, "/v1/collections/"+esc(coll)+"/build", req, &out)
	return out.Job, err
}

// Jobs returns the jobs the server remembers, oldest first.
func (c *Client) Jobs(ctx context.Context) ([]wire.Job, error) {
	var out wire.Jobs
	err := c.do(ctx, http.MethodGet, "/v1/jobs", nil, &out)
	return out.Jobs, err
}

// Job returns a job.
func (c *Client) Job(ctx context.Context, id string) (wire.Job, error) {
	var out wire.Job
	err := c.do(ctx, http.MethodGet, "/v1/jobs/"+esc(id), nil, &out)
	return out, err
}

// CancelJob cancels a running job and returns once it stopped (or the
// server stopped waiting); cancelling a finished job does nothing.
func (c *Client) CancelJob(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/jobs/"+esc(id), nil, nil)
}

// pollInterval is how often WaitJob asks for a job.
const pollInterval = 100 * time.Millisecond

// WaitJob polls a job until it finishes, calling progress (when not nil)
// with each state read, and returns the finished job: a failed or
// cancelled job also returns its error.
func (c *Client) WaitJob(ctx context.Context, id string, progress func(wire.Job)) (wire.Job, error) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		j, err := c.Job(ctx, id)
		if err != nil {
			return j, err
		}
		if progress != nil {
			progress(j)
		}
		switch j.State {
		case wire.JobDone:
			return j, nil
		case wire.JobFailed:
			return j, errors.Newf("%s job %s: %s", j.Kind, j.ID, j.Error)
		case wire.JobCancelled:
			return j, errors.Wrapf(context.Canceled, "%s job %s was cancelled", j.Kind, j.ID)
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-t.C:
		}
	}
}
