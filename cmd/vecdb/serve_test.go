package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/server"
	"github.com/vecdb/vecdb/wire"
)

// cliOutput runs the CLI and renders what it did like a transcript:
// stdout, then stderr lines prefixed "stderr: ", then "exit: 1" on error.
func cliOutput(ctx context.Context, args ...string) string {
	return runRendered(ctx, args, strings.NewReader(""))
}

// runRendered is cliOutput with stdin.
func runRendered(ctx context.Context, args []string, stdin io.Reader) string {
	var stdout, stderr bytes.Buffer
	err := run(ctx, args, stdin, &stdout, &stderr)
	var out strings.Builder
	out.Write(stdout.Bytes())
	for line := range strings.Lines(stderr.String()) {
		out.WriteString("stderr: " + line)
	}
	if err != nil {
		fmt.Fprintf(&out, "stderr: vecdb: %s\nexit: 1\n", errorMessage(err))
	}
	return out.String()
}

// served is a database served in process, announced in its directory.
type served struct {
	dir, url string
	d        *db.DB
	srv      *server.Server
	ts       *httptest.Server
	withdraw func() error
}

// serve serves the database in dir (which must exist) until stop, or the
// end of the test.
func serve(t *testing.T, dir string) *served {
	t.Helper()
	d, err := db.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &served{dir: dir, d: d, srv: server.New(d, nil)}
	s.ts = httptest.NewServer(s.srv)
	s.url = s.ts.URL
	if s.withdraw, err = server.Announce(dir, wire.Announcement{URL: s.url}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(t, true) })
	return s
}

// stop stops the server and closes the database; withdraw removes the
// announcement (else it is left behind, as by a killed server).
func (s *served) stop(t *testing.T, withdraw bool) {
	t.Helper()
	if s.d == nil {
		return
	}
	if withdraw {
		if err := s.withdraw(); err != nil {
			t.Error(err)
		}
	}
	s.ts.Close()
	if err := s.srv.Close(); err != nil {
		t.Error(err)
	}
	if err := s.d.Close(); err != nil {
		t.Error(err)
	}
	s.d = nil
}

var (
	maskPlanTimes  = regexp.MustCompile(`"(filter|scan|rerank|resolve)_ms":[0-9.e+-]+`)
	maskTimeLine   = regexp.MustCompile(`(?m)^  time: .*$`)
	maskBuildTimes = regexp.MustCompile(`"(train|encode|write)_seconds":[0-9.e+-]+|train [0-9.]+\S*, encode [0-9.]+\S*, write [0-9.]+\S*`)
	maskMemory     = regexp.MustCompile(`"memory":\{[^}]*\}|"(disk_bytes|vector_cache_bytes)":\d+|(?m)^(memory|mapped|disk) .*$`)
	maskSizes      = regexp.MustCompile(`\d+(\.\d+)? (B|KiB|MiB|GiB)\b`)
)

// maskServed masks what legitimately differs between two processes
// answering the same command: timings, memory and disk sizes.
func maskServed(s string) string {
	s = maskPlanTimes.ReplaceAllString(s, `"${1}_ms":<t>`)
	s = maskTimeLine.ReplaceAllString(s, "  time: <t>")
	s = maskBuildTimes.ReplaceAllString(s, "<times>")
	s = maskMemory.ReplaceAllString(s, "<memory>")
	return maskSizes.ReplaceAllString(s, "<size>")
}

// writeServeFixtures writes the files the served and local runs import:
// docs (with metadata), words, items and users, and big (enough records
// to build an index).
func writeServeFixtures(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{
		"docs.jsonl": `{"id":"t3","vector":[1,0],"meta":{"genre":"comedy","year":1990}}
{"id":"t1","vector":[0,1],"meta":{"genre":"drama & more","year":1995}}
{"id":"t2","vector":[-1,0],"meta":{"genre":"comedy","year":2000}}
{"id":"far","vector":[3,4],"meta":{"genre":"drama","year":2010}}
{"id":"near","vector":[0.5,0],"meta":{"year":2020}}
`,
		"words.txt": "man 1 0 0.1\nwoman 1 1 0.1\nking 0 0.1 1\nqueen 0.1 1 1\nprince 0 0 1\n",
		"items.jsonl": `{"id":"i1","vector":[1,0],"meta":{"title":"Alien"}}
{"id":"i2","vector":[0.9,0.1],"meta":{"title":"Heat"}}
{"id":"i3","vector":[0,1],"meta":{"title":"Up"}}
{"id":"i4","vector":[0.5,0.5],"meta":{"title":"Tom & Jerry"}}
`,
		"users.jsonl": `{"id":"u1","vector":[1,0.2],"meta":{"seen":["i1"]}}
`,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var big, queries strings.Builder
	for i := range 300 {
		fmt.Fprintf(&big, "%d %.3f %.3f %.3f %.3f\n", i, rng.Float64(), rng.Float64(), rng.Float64(), rng.Float64())
	}
	for i := range 5 {
		fmt.Fprintf(&queries, "q%d %.3f %.3f %.3f %.3f\n", i, rng.Float64(), rng.Float64(), rng.Float64(), rng.Float64())
	}
	files["big.txt"], files["queries.txt"] = big.String(), queries.String()
	paths := map[string]string{}
	for name, content := range files {
		paths[name] = filepath.Join(dir, name)
		if err := os.WriteFile(paths[name], []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// TestServedLikeLocal runs the commands a server answers through a server
// (found in --db, and given by --server) and directly on an identical
// database, and requires the same output, up to timings and memory.
func TestServedLikeLocal(t *testing.T) {
	useFakeClock(t)
	t.Setenv("VECDB_SERVER", "")
	ctx := context.Background()
	tmp := t.TempDir()
	f := writeServeFixtures(t, tmp)
	localDir, servedDir := filepath.Join(tmp, "local"), filepath.Join(tmp, "served")
	setup := [][]string{
		{"create", "docs", "--dim", "2", "--field", "genre:keyword", "--field", "year:int"},
		{"create", "words", "--dim", "3", "--metric", "cosine"},
		{"create", "items", "--dim", "2", "--metric", "dot", "--field", "title:keyword"},
		{"create", "users", "--dim", "2", "--metric", "dot", "--field", "seen:keywords"},
		{"create", "big", "--dim", "4"},
	}
	for _, dir := range []string{localDir, servedDir} {
		for _, args := range setup {
			if out := cliOutput(ctx, append([]string{"--db", dir}, args...)...); strings.Contains(out, "exit: 1") {
				t.Fatalf("%v: %s", args, out)
			}
		}
	}
	s := serve(t, servedDir)
	missing := filepath.Join(tmp, "no-such-db") // --server needs no directory
	ways := map[string][]string{
		"discovered": {"--db", servedDir},
		"--server":   {"--db", missing, "--server", s.url},
	}
	// Both ways write to the one served database, so the commands that
	// write run one way each, in turn.
	steps := []struct {
		args  []string
		write bool
	}{
		{[]string{"import", "docs", f["docs.jsonl"]}, true},
		{[]string{"import", "words", f["words.txt"], "--json"}, true},
		{[]string{"import", "items", f["items.jsonl"]}, true},
		{[]string{"import", "users", f["users.jsonl"]}, true},
		{[]string{"import", "big", f["big.txt"], "--batch", "64"}, true},
		{[]string{"list"}, false},
		{[]string{"list", "--json"}, false},
		{[]string{"stats"}, false},
		{[]string{"stats", "--json"}, false},
		{[]string{"stats", "docs"}, false},
		{[]string{"stats", "docs", "--json"}, false},
		{[]string{"stats", "nope"}, false},
		{[]string{"get", "docs", "t1"}, false},
		{[]string{"get", "docs", "t1", "--json"}, false},
		{[]string{"get", "docs", "nope"}, false},
		{[]string{"search", "docs", "--vector", "0,0"}, false},
		{[]string{"search", "docs", "--vector", "0,0", "-k", "3", "--json"}, false},
		{[]string{"search", "docs", "--vector", "0,0", "--with-meta"}, false},
		{[]string{"search", "docs", "--vector", "0,0", "--with-meta", "--json", "--filter", `genre = "comedy"`}, false},
		{[]string{"search", "docs", "--id", "t3", "-k", "2", "--explain"}, false},
		{[]string{"search", "docs", "--vector", "0,0", "--explain", "--json"}, false},
		{[]string{"search", "docs", "--vector", "0,0,0"}, false},
		{[]string{"search", "docs", "--filter", "year >", "--vector", "0,0"}, false},
		{[]string{"search", "big", "--queries", f["queries.txt"], "-k", "3", "--json"}, false},
		{[]string{"recommend", "--users", "users", "--items", "items", "--user", "u1", "-k", "2"}, false},
		{[]string{"recommend", "--users", "users", "--items", "items", "--user", "u1", "--json"}, false},
		{[]string{"recommend", "--users", "users", "--items", "items", "--user", "u1", "--json", "--with-meta", "--include-seen"}, false},
		{[]string{"recommend", "--users", "users", "--items", "items", "--user", "nobody"}, false},
		{[]string{"analogy", "words", "man", "king", "woman", "-k", "2"}, false},
		{[]string{"build", "big", "--lists", "2", "--nprobe", "1"}, true},
		{[]string{"build", "big", "--lists", "2", "--json"}, true},
		{[]string{"build", "docs"}, true},
		{[]string{"search", "big", "--queries", f["queries.txt"], "-k", "3", "--explain"}, false},
		{[]string{"stats", "big"}, false},
		{[]string{"delete", "docs", "t1", "nope"}, true},
		{[]string{"delete", "docs", "nope"}, true},
		{[]string{"delete", "missing", "t1"}, true},
		{[]string{"delete", "docs", "far", "--json"}, true},
		{[]string{"search", "docs", "--vector", "0,0", "--with-meta"}, false},
		{[]string{"create", "extra", "--dim", "3", "--field", "a:int", "--field", "b:keyword"}, true},
		{[]string{"create", "extra", "--dim", "3"}, true},
		{[]string{"create", "extra2", "--dim", "3", "--metric", "dot", "--json"}, true},
		{[]string{"drop", "extra"}, true},
		{[]string{"drop", "extra2", "--json"}, true},
		{[]string{"list"}, false},
	}
	turn := 0
	for _, step := range steps {
		want := maskServed(cliOutput(ctx, append([]string{"--db", localDir}, step.args...)...))
		for _, way := range []string{"discovered", "--server"} {
			if step.write {
				if way != [...]string{"discovered", "--server"}[turn%2] {
					continue
				}
			}
			got := maskServed(cliOutput(ctx, append(cloneArgs(ways[way]), step.args...)...))
			if got != want {
				t.Errorf("vecdb %s (%s):\n got: %s\nwant: %s", strings.Join(step.args, " "), way, got, want)
			}
		}
		if step.write {
			turn++
		}
	}

	// The records imported through the server are those imported directly.
	for _, id := range []string{"t3", "t2", "near"} {
		want := cliOutput(ctx, "--db", localDir, "get", "docs", id, "--json")
		if got := cliOutput(ctx, "--db", servedDir, "get", "docs", id, "--json"); got != want {
			t.Errorf("get %s: served %s, local %s", id, got, want)
		}
	}

	// bench issues its queries one at a time through the server; the
	// recall is the same (timings are not).
	benchArgs := []string{"bench", "big", "--queries", f["queries.txt"], "--nprobe", "1,2", "--exact", "-k", "3", "--warmup", "2", "--json"}
	var local, remote benchJSON
	decodeOne(t, []byte(cliOutput(ctx, append([]string{"--db", localDir}, benchArgs...)...)), &local, true)
	decodeOne(t, []byte(cliOutput(ctx, append([]string{"--db", servedDir}, benchArgs...)...)), &remote, true)
	if len(local.Runs) != 3 || len(remote.Runs) != 3 || remote.Process != nil || remote.Memory == nil {
		t.Fatalf("bench: local %+v, served %+v", local, remote)
	}
	for i := range local.Runs {
		if local.Runs[i].Recall != remote.Runs[i].Recall || local.Runs[i].NProbe != remote.Runs[i].NProbe {
			t.Errorf("bench run %d: served %+v, local %+v", i, remote.Runs[i], local.Runs[i])
		}
	}

	// The commands a server does not run refuse its directory.
	exportTo := filepath.Join(tmp, "out.jsonl")
	held := fmt.Sprintf("stderr: vecdb: the database %s is held by the server at %s; stop it, or run this command through its API\nexit: 1\n", servedDir, s.url)
	for _, args := range [][]string{{"export", "docs", exportTo}, {"check"}, {"compact", "big"}} {
		if got := cliOutput(ctx, append([]string{"--db", servedDir}, args...)...); got != held {
			t.Errorf("vecdb %s on a served directory:\n got: %s\nwant: %s", strings.Join(args, " "), got, held)
		}
	}
	if got := cliOutput(ctx, "--db", missing, "--server", s.url, "export", "docs", exportTo); !strings.Contains(got, "does not run through a server") {
		t.Errorf("export --server: %s", got)
	}

	// A server that stopped without withdrawing its announcement (killed)
	// leaves the directory to the commands.
	s.stop(t, false)
	if _, err := os.Stat(filepath.Join(servedDir, wire.AnnouncementFile)); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"list"}, {"export", "docs", exportTo}} {
		if got := cliOutput(ctx, append([]string{"--db", servedDir}, args...)...); strings.Contains(got, "exit: 1") {
			t.Errorf("vecdb %s after the server stopped: %s", strings.Join(args, " "), got)
		}
	}
}

// cloneArgs returns a copy of args, so appending to it leaves args alone.
func cloneArgs(args []string) []string { return append([]string(nil), args...) }

// syncBuffer is a bytes.Buffer that goroutines may write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe runs vecdb serve, over HTTP and over HTTPS with a self-signed
// certificate: it announces itself, the CLI finds it (trusting the
// certificate it announced), and cancelling its context (SIGINT) stops it,
// withdraws the announcement and closes the database.
func TestServe(t *testing.T) {
	t.Run("http", func(t *testing.T) { testServe(t, nil, "http://") })
	t.Run("https", func(t *testing.T) {
		cert, key := selfSigned(t)
		testServe(t, []string{"--tls-cert", cert, "--tls-key", key}, "https://")
	})
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// as PEM files and returns their paths.
func selfSigned(t *testing.T) (cert, key string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vecdb test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func testServe(t *testing.T, extra []string, scheme string) {
	t.Setenv("VECDB_SERVER", "")
	dir := filepath.Join(t.TempDir(), "db") // serve creates it
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		args := append([]string{"--db", dir, "serve", "--addr", "127.0.0.1:0"}, extra...)
		done <- run(ctx, args, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	}()
	announced := filepath.Join(dir, wire.AnnouncementFile)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(announced); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned %v before announcing itself; stderr:\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no announcement after 20s; stderr:\n%s", stderr.String())
		}
	}
	a, ok := discoverServer(dir)
	url := a.URL
	if !ok || !strings.HasPrefix(url, scheme) || !strings.Contains(stderr.String(), "vecdb: serving "+dir+" at "+url+"\n") {
		t.Fatalf("discovered %q (%v); stderr:\n%s", url, ok, stderr.String())
	}
	for _, args := range [][]string{
		{"create", "v", "--dim", "2"},
		{"search", "v", "--vector", "1,1"},
	} {
		if got := cliOutput(context.Background(), append([]string{"--db", dir}, args...)...); strings.Contains(got, "exit: 1") {
			t.Fatalf("vecdb %v through serve: %s", args, got)
		}
	}
	if scheme == "https://" { // an explicit --server needs --tls-ca to trust a self-signed certificate
		cert := extra[1]
		if got := cliOutput(context.Background(), "--server", url, "--tls-ca", cert, "list"); strings.Contains(got, "exit: 1") {
			t.Errorf("list through --server with --tls-ca: %s", got)
		}
		if got := cliOutput(context.Background(), "--server", url, "list"); !strings.Contains(got, "exit: 1") || !strings.Contains(got, "certificate") {
			t.Errorf("list through --server without --tls-ca: %s, want a certificate error", got)
		}
	}
	// The directory is the server's: opening it here fails.
	if got := cliOutput(context.Background(), "--db", dir, "check"); !strings.Contains(got, "held by the server at "+url) {
		t.Errorf("check beside serve: %s", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of its context's end")
	}
	if _, err := os.Stat(announced); !os.IsNotExist(err) {
		t.Errorf("announcement left after serve stopped: %v", err)
	}
	if got := cliOutput(context.Background(), "--db", dir, "list"); !strings.HasPrefix(got, "NAME") || !strings.Contains(got, "\nv ") {
		t.Errorf("list after serve stopped: %s", got)
	}
}

// TestServeRefuses: serve refuses an address other machines reach without
// a token, and a token in clear text there without --insecure.
func TestServeRefuses(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "db")
	tokenFile := filepath.Join(tmp, "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "0.0.0.0:0"}, "--token-file"},
		{[]string{"serve", "--addr", ":0"}, "token"},
		{[]string{"--token-file", tokenFile, "serve", "--addr", "0.0.0.0:0"}, "--insecure"},
		{[]string{"serve", "--tls-cert", "c.pem"}, "--tls-key"},
	} {
		got := cliOutput(context.Background(), append([]string{"--db", dir}, tc.args...)...)
		if !strings.Contains(got, "exit: 1") || !strings.Contains(got, tc.want) {
			t.Errorf("vecdb %v: %s, want an error naming %s", tc.args, got, tc.want)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused serve touched the directory: %v", err)
	}
}

// TestServedToken: a server with a token refuses the CLI without it, and
// answers with it ($VECDB_TOKEN or --token-file).
func TestServedToken(t *testing.T) {
	t.Setenv("VECDB_SERVER", "")
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "db")
	if out := cliOutput(context.Background(), "--db", dir, "create", "v", "--dim", "2"); strings.Contains(out, "exit: 1") {
		t.Fatal(out)
	}
	d, err := db.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(d, &server.Options{Token: "s3cret"})
	ts := httptest.NewServer(srv)
	withdraw, err := server.Announce(dir, wire.Announcement{URL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := withdraw(); err != nil {
			t.Error(err)
		}
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	}()
	tokenFile := filepath.Join(tmp, "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VECDB_TOKEN", "")
	if got := cliOutput(context.Background(), "--db", dir, "list"); !strings.Contains(got, "exit: 1") {
		t.Errorf("list without the token: %s", got)
	}
	if got := cliOutput(context.Background(), "--db", dir, "--token-file", tokenFile, "list"); !strings.HasPrefix(got, "NAME") {
		t.Errorf("list with --token-file: %s", got)
	}
	t.Setenv("VECDB_TOKEN", "s3cret")
	if got := cliOutput(context.Background(), "--db", dir, "list"); !strings.HasPrefix(got, "NAME") {
		t.Errorf("list with $VECDB_TOKEN: %s", got)
	}
}

// TestServedBuildCancel: Ctrl-C (the command's context ending) during a
// build through a server cancels the server's job, and a failed job is
// reported in the build's own words.
func TestServedBuildCancel(t *testing.T) {
	var mu sync.Mutex
	var polls int
	var cancelled []string
	state := wire.JobRunning
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/collections/{c}/build", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"job":"j1"}`) // a failed write fails the test's build
	})
	mux.HandleFunc("GET /v1/jobs/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		polls++
		j := wire.Job{ID: r.PathValue("id"), Kind: "build", State: state, Progress: 0.5, Stage: "encoding"}
		if state == wire.JobFailed {
			j.Error = `vecdb: building an index on "v": too few records`
		}
		_ = json.NewEncoder(w).Encode(j) // as above
	})
	mux.HandleFunc("DELETE /v1/jobs/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		cancelled = append(cancelled, r.PathValue("id"))
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan string, 1)
	go func() { done <- cliOutput(ctx, "--server", ts.URL, "build", "v") }()
	for {
		mu.Lock()
		n := polls
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if got := <-done; got != "stderr: vecdb: context canceled\nexit: 1\n" {
		t.Errorf("cancelled build: %q", got)
	}
	mu.Lock()
	if len(cancelled) != 1 || cancelled[0] != "j1" {
		t.Errorf("jobs cancelled: %v, want [j1]", cancelled)
	}
	state = wire.JobFailed
	mu.Unlock()
	want := "stderr: vecdb: building an index on \"v\": too few records\nexit: 1\n"
	if got := cliOutput(context.Background(), "--server", ts.URL, "build", "v"); got != want {
		t.Errorf("failed build: %q, want %q", got, want)
	}
}
