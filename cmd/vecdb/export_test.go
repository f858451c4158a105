//go:build unix

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestExportKeepsSpecialFiles: export writes into a FIFO (its reader gets
// the records and it stays a FIFO) and through a symbolic link (the link
// stays, the file it names gets the records, created if it is missing),
// where it used to rename a new regular file over both.
func TestExportKeepsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	dbDir := filepath.Join(dir, "db")
	vecdb := func(args ...string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), append([]string{"--db", dbDir}, args...), strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("vecdb %v: %v (%s)", args, err, errOut.String())
		}
	}
	vecdb("create", "v", "--dim", "2")
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte("a 1 2\nb 3 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vecdb("import", "v", in)

	fifo := filepath.Join(dir, "out.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	vecdb("export", "v", fifo)
	if b := <-got; !bytes.Contains(b, []byte(`"id":"a"`)) || !bytes.Contains(b, []byte(`"id":"b"`)) {
		t.Fatalf("the FIFO's reader got %q", b)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO after export: %v, %v", fi.Mode(), err)
	}

	for _, existing := range []bool{true, false} {
		target := filepath.Join(dir, "target.jsonl")
		_ = os.Remove(target) // absent in the second round
		if existing {
			if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		link := filepath.Join(dir, "link.jsonl")
		_ = os.Remove(link)
		if err := os.Symlink("target.jsonl", link); err != nil {
			t.Fatal(err)
		}
		vecdb("export", "v", link)
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("the link after export (target existing %v): %v, %v", existing, fi.Mode(), err)
		}
		if b, err := os.ReadFile(target); err != nil || !bytes.Contains(b, []byte(`"id":"b"`)) {
			t.Fatalf("the link's target (existing %v): %q, %v", existing, b, err)
		}
	}
}
