package client_test

import (
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vecdb/vecdb/client"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/server"
	"github.com/vecdb/vecdb/wire"
)

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	d, err := db.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := server.New(d, &server.Options{Token: "t"})
	defer s.Close()
	ts := httptest.NewServer(s)
	defer ts.Close()

	if a, ok := client.Discover(dir); ok {
		t.Errorf("Discover with no file = %q, true", a.URL)
	}
	withdraw, err := server.Announce(dir, wire.Announcement{URL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := client.Discover(dir); !ok || a.URL != ts.URL {
		t.Errorf("Discover of a live server = %q, %v; want %q, true", a.URL, ok, ts.URL)
	}

	// A stale file: the port is closed (a SIGKILLed server).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Announce(dir, wire.Announcement{URL: dead}); err != nil {
		t.Fatal(err)
	}
	if a, ok := client.Discover(dir); ok {
		t.Errorf("Discover of a dead address = %q, true", a.URL)
	}
	// Garbage in the file.
	if err := os.WriteFile(filepath.Join(dir, wire.AnnouncementFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if a, ok := client.Discover(dir); ok {
		t.Errorf("Discover of a garbled file = %q, true", a.URL)
	}
	if err := withdraw(); err != nil {
		t.Fatal(err)
	}
	if a, ok := client.Discover(dir); ok {
		t.Errorf("Discover after withdraw = %q, true", a.URL)
	}
}

// TestDiscoverTLS: a server with a self-signed certificate is found
// through its announced certificate file, and a client given that file
// talks to it; without the file the certificate is not trusted.
func TestDiscoverTLS(t *testing.T) {
	dir := t.TempDir()
	d, err := db.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := server.New(d, nil)
	defer s.Close()
	ts := httptest.NewTLSServer(s)
	defer ts.Close()
	cert := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Announce(dir, wire.Announcement{URL: ts.URL}); err != nil {
		t.Fatal(err)
	}
	if a, ok := client.Discover(dir); ok {
		t.Fatalf("Discover trusted a self-signed certificate it was not given: %+v", a)
	}
	if _, err := server.Announce(dir, wire.Announcement{URL: ts.URL, CertFile: cert}); err != nil {
		t.Fatal(err)
	}
	a, ok := client.Discover(dir)
	if !ok || a.URL != ts.URL || a.CertFile != cert {
		t.Fatalf("Discover of a TLS server with its certificate = %+v, %v", a, ok)
	}
	c, err := client.New(a.URL, &client.Options{CAFile: a.CertFile})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := c.Collections(context.Background()); err != nil || len(list.Collections) != 0 {
		t.Fatalf("Collections over TLS: %+v, %v", list, err)
	}
	if _, err := client.New(ts.URL, &client.Options{CAFile: filepath.Join(dir, "missing.pem")}); err == nil {
		t.Fatal("a missing certificate file was accepted")
	}
}

func TestNew(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:7700", "ftp://x", "http://"} {
		if _, err := client.New(u, nil); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	c, err := client.New("http://127.0.0.1:7700/", nil)
	if err != nil || c.URL() != "http://127.0.0.1:7700" {
		t.Errorf("New = %v, %v", c, err)
	}
}

// TestDiscoverSlowServer: a server that answers its health check after
// the first probe's half second is still found when its announced process
// is alive, and not when the announcing process has exited.
func TestDiscoverSlowServer(t *testing.T) {
	dir := t.TempDir()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(800 * time.Millisecond)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer ts.Close()
	if _, err := server.Announce(dir, wire.Announcement{URL: ts.URL, PID: os.Getpid()}); err != nil {
		t.Fatal(err)
	}
	if a, ok := client.Discover(dir); !ok || a.URL != ts.URL {
		t.Errorf("Discover of a slow live server = %q, %v; want %q, true", a.URL, ok, ts.URL)
	}
	// The same server announced by a process that has exited: a stale
	// file whose port another listener took.
	exited := exec.Command(os.Args[0], "-test.run=^$")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Announce(dir, wire.Announcement{URL: ts.URL, PID: exited.Process.Pid}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if a, ok := client.Discover(dir); ok {
		t.Errorf("Discover of a slow server announced by an exited process = %q, true", a.URL)
	}
	if d := time.Since(start); d > 700*time.Millisecond {
		t.Errorf("Discover for an exited process took %v, want about half a second", d)
	}
}
