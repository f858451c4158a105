package server

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
)

// Options configure a Server. A nil *Options means the defaults.
type Options struct {
	// Token, when not empty, is the bearer token every request but GET
	// /healthz must carry ("Authorization: Bearer TOKEN"); others are
	// answered 401. Default: none.
	Token string
	// MaxBodyBytes bounds a request's body; a larger one is answered 413.
	// Default 64 MiB: an upsert of about 100,000 128-d vectors.
	MaxBodyBytes int64
	// Timeout bounds each request's work (its context's deadline).
	// Default 60 s. Build jobs outlive their request and are not bound.
	Timeout time.Duration
	// Logger, when set, is told of internal failures (answered 500) and
	// recovered panics. Default: none.
	Logger *slog.Logger
}

// Defaults of Options.
const (
	// DefaultMaxBodyBytes is the default Options.MaxBodyBytes.
	DefaultMaxBodyBytes = 64 << 20
	// DefaultTimeout is the default Options.Timeout.
	DefaultTimeout = 60 * time.Second
)

// Server answers the HTTP API over one database. It is goroutine-safe.
type Server struct {
	d       *db.DB
	token   []byte
	maxBody int64
	timeout time.Duration
	log     *slog.Logger

	mux     *http.ServeMux
	routes  []string // the mux's patterns, in registration order
	metrics *metrics
	jobs    *jobs

	closeOnce sync.Once
}

// New returns a Server over d. It does not take ownership of d.
func New(d *db.DB, o *Options) *Server {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	s := &Server{d: d, maxBody: opts.MaxBodyBytes, timeout: opts.Timeout, log: opts.Logger, mux: http.NewServeMux()}
	if opts.Token != "" {
		s.token = []byte(opts.Token)
	}
	s.jobs = newJobs()
	s.metrics = newMetrics(d, s.jobs)
	s.register()
	return s
}

// register installs every route.
func (s *Server) register() {
	s.handle("GET /healthz", s.health)
	s.handle("GET /metrics", s.metrics.handler())
	s.handle("GET /v1/openapi.json", serveOpenAPI)
	s.handle("GET /v1/collections", s.listCollections)
	s.handle("POST /v1/collections", s.createCollection)
	s.handle("GET /v1/collections/{c}", s.stats)
	s.handle("DELETE /v1/collections/{c}", s.dropCollection)
	s.handle("POST /v1/collections/{c}/records", s.upsert)
	s.handle("GET /v1/collections/{c}/records/{id}", s.get)
	s.handle("DELETE /v1/collections/{c}/records/{id}", s.deleteOne)
	s.handle("POST /v1/collections/{c}/delete", s.deleteMany)
	s.handle("POST /v1/collections/{c}/search", s.search)
	s.handle("POST /v1/collections/{c}/analogy", s.analogy)
	s.handle("POST /v1/recommend", s.recommend)
	s.handle("POST /v1/collections/{c}/build", s.build)
	s.handle("GET /v1/jobs", s.listJobs)
	s.handle("GET /v1/jobs/{id}", s.job)
	s.handle("DELETE /v1/jobs/{id}", s.cancelJob)
}

// handle registers h for pattern.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.Handle(pattern, h)
	s.routes = append(s.routes, pattern)
}

// Routes returns the patterns the server answers, e.g.
// "GET /v1/collections/{c}", in registration order.
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// ServeHTTP answers one request: the token check, the body limit, the
// request's timeout, the route's handler, its metrics, and a 500 for a
// panic (which a handler never should raise).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	_, route := s.mux.Handler(r)
	if route == "" {
		route = "unmatched"
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.logError(r, "panic", p)
			if !sw.wrote {
				writeError(sw, http.StatusInternalServerError, errors.New("internal error"), nil)
			}
		}
		s.metrics.observe(route, sw.code(), time.Since(start))
	}()
	if s.token != nil && r.URL.Path != "/healthz" && !s.authorized(r) {
		sw.Header().Set("WWW-Authenticate", `Bearer realm="vecdb"`)
		writeError(sw, http.StatusUnauthorized, errors.New("missing or wrong bearer token"), nil)
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(sw, r.Body, s.maxBody)
	}
	if route == "unmatched" {
		s.unmatched(sw, r)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	s.mux.ServeHTTP(sw, r.WithContext(ctx))
}

// unmatched answers a request no route takes in JSON, as every error:
// 404, or 405 naming the methods allowed; a redirect (a path to clean)
// is passed on.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	cw := &captureWriter{header: http.Header{}}
	h.ServeHTTP(cw, r)
	switch {
	case cw.status >= 300 && cw.status < 400:
		w.Header().Set("Location", cw.header.Get("Location"))
		w.WriteHeader(cw.status)
	case cw.status == http.StatusMethodNotAllowed:
		allow := cw.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, cw.status, errors.Newf("method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow), nil)
	default:
		writeError(w, http.StatusNotFound, errors.Newf("no route %s %s", r.Method, r.URL.Path), nil)
	}
}

// captureWriter keeps a handler's status and headers and drops its body.
type captureWriter struct {
	header http.Header
	status int
}

func (w *captureWriter) Header() http.Header { return w.header }

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *captureWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}

// authorized reports whether r carries the token, compared in constant
// time.
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), s.token) == 1
}

// Close cancels the running jobs and waits for them. It does not close
// the database. Close is idempotent; the server answers later build
// requests with 503.
func (s *Server) Close() error {
	s.closeOnce.Do(s.jobs.close)
	return nil
}

// logError tells the logger, when there is one, of a failure serving r.
func (s *Server) logError(r *http.Request, msg string, cause any) {
	if s.log != nil {
		s.log.Error(msg, "method", r.Method, "path", r.URL.Path, "error", cause)
	}
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.status
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, healthOK)
}
