package client_test

import (
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

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

	if url, ok := client.Discover(dir); ok {
		t.Errorf("Discover with no file = %q, true", url)
	}
	withdraw, err := server.Announce(dir, ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	if url, ok := client.Discover(dir); !ok || url != ts.URL {
		t.Errorf("Discover of a live server = %q, %v; want %q, true", url, ok, ts.URL)
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
	if _, err := server.Announce(dir, dead); err != nil {
		t.Fatal(err)
	}
	if url, ok := client.Discover(dir); ok {
		t.Errorf("Discover of a dead address = %q, true", url)
	}
	// Garbage in the file.
	if err := os.WriteFile(filepath.Join(dir, wire.AnnouncementFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if url, ok := client.Discover(dir); ok {
		t.Errorf("Discover of a garbled file = %q, true", url)
	}
	if err := withdraw(); err != nil {
		t.Fatal(err)
	}
	if url, ok := client.Discover(dir); ok {
		t.Errorf("Discover after withdraw = %q, true", url)
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
