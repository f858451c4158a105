//go:build unix

package fault

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestGuardTurnsSIGBUSIntoError maps a file, truncates it under the
// mapping and reads past the new end: without Guard that is SIGBUS.
func TestGuardTurnsSIGBUSIntoError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	page := os.Getpagesize()
	if err := os.WriteFile(path, make([]byte, 4*page), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := syscall.Mmap(int(f.Fd()), 0, 4*page, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	defer syscall.Munmap(m)
	if err := os.Truncate(path, int64(page)); err != nil {
		t.Fatal(err)
	}
	var got byte
	err = Guard(func() error {
		got = m[3*page]
		return nil
	})
	if !errors.Is(err, ErrFault) {
		t.Fatalf("Guard = %v (read %d), want ErrFault", err, got)
	}
	// Reads within the file still work, and errors pass through.
	want := errors.New("fn's error")
	if err := Guard(func() error { got = m[0]; return want }); err != want {
		t.Fatalf("Guard = %v, want fn's error", err)
	}
}

// TestGuardPassesOtherPanics checks that a panic that is not a fault
// is not swallowed.
func TestGuardPassesOtherPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("the panic was swallowed")
		}
	}()
	_ = Guard(func() error { panic("boom") })
}
