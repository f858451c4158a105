package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/server"
	"github.com/vecdb/vecdb/wire"
)

// TestAnnounce: the announcement is written whole, the database in its
// directory still checks and reopens with it there, and withdraw removes
// it.
func TestAnnounce(t *testing.T) {
	dir := t.TempDir()
	d, err := db.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CreateCollection(db.Schema{Name: "c", Dim: 2, Metric: db.L2}); err != nil {
		t.Fatal(err)
	}
	if err := d.Put("c", "x", []float32{1, 2}, nil); err != nil {
		t.Fatal(err)
	}
	withdraw, err := server.Announce(dir, wire.Announcement{URL: "http://127.0.0.1:7700"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, wire.AnnouncementFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var a wire.Announcement
	if err := json.Unmarshal(data, &a); err != nil || a.URL != "http://127.0.0.1:7700" || a.PID != os.Getpid() || time.Since(a.Started) > time.Minute {
		t.Errorf("announcement %s: %+v, %v", data, a, err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, wire.AnnouncementFile+".tmp-*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
	if err := d.Check(); err != nil {
		t.Fatalf("check with the announcement: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// A server killed without withdrawing leaves the file: the
	// directory must still open (and not lose the file).
	for range 2 {
		d, err = db.Open(dir, nil)
		if err != nil {
			t.Fatalf("reopen with the announcement: %v", err)
		}
		if n, err := d.Count("c"); err != nil || n != 1 {
			t.Errorf("count after reopen = %d, %v", n, err)
		}
		if err := d.Check(); err != nil {
			t.Errorf("check after reopen: %v", err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("the announcement is gone after an open: %v", err)
		}
	}
	if err := withdraw(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after withdraw: %v", err)
	}
	if err := withdraw(); err != nil {
		t.Errorf("second withdraw: %v", err)
	}
}
